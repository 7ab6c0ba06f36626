"""Who may do what is declared on each viewset (`required_actions`, api/permissions.py): these hold
the declarations to the viewsets' real actions, so a typo or a new write cannot skip the role check.
The access matrix (test_access_matrix.py) checks what each role then gets."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.permissions import SAFE_METHODS

from api.permissions import ALL
from api.urls import router
from api.views.photos import ReviewQueueViewSet
from tracker.access import Action

_STANDARD = {"list": "get", "create": "post", "retrieve": "get", "partial_update": "patch",
             "update": "put", "destroy": "delete"}

VIEWSETS = {prefix: viewset for prefix, viewset, _ in router.registry} | {
    "review-queue": ReviewQueueViewSet}


def actions_of(viewset: Any) -> dict[str, set[str]]:
    """Each action the viewset answers, with the HTTP methods it answers on."""
    allowed = set(viewset.http_method_names)
    found: dict[str, set[str]] = {}
    for name, method in _STANDARD.items():
        if hasattr(viewset, name) and method in allowed:
            found.setdefault(name, set()).add(method)
    for extra in viewset.get_extra_actions():
        for method, name in extra.mapping.items():
            if method in allowed:
                found.setdefault(name, set()).add(method)
    return found


@pytest.mark.parametrize("prefix", sorted(VIEWSETS))
def test_every_declared_action_is_one_the_viewset_has(prefix: str) -> None:
    viewset = VIEWSETS[prefix]
    actions = set(actions_of(viewset))
    assert set(viewset.required_actions) - {ALL} <= actions, viewset.required_actions
    assert set(viewset.audit_actions) <= actions, viewset.audit_actions
    assert all(isinstance(value, Action) for value in viewset.required_actions.values())


@pytest.mark.parametrize("prefix", sorted(VIEWSETS))
def test_every_write_declares_what_it_requires(prefix: str) -> None:
    viewset = VIEWSETS[prefix]
    if ALL in viewset.required_actions:
        return
    writes = {name for name, methods in actions_of(viewset).items()
              if {m.upper() for m in methods} - set(SAFE_METHODS)}
    assert writes <= set(viewset.required_actions), writes - set(viewset.required_actions)


def test_the_check_finds_an_undeclared_write() -> None:
    """The two tests above can fail: a viewset with a write it does not declare."""

    class Careless(VIEWSETS["patients"]):  # type: ignore[misc,valid-type]
        required_actions: dict[str, Action] = {"create": Action.PATIENT_CREATE}

    writes = {name for name, methods in actions_of(Careless).items() if "post" in methods
              or "patch" in methods}
    assert writes - set(Careless.required_actions) == {"partial_update", "care_team",
                                                       "activation_code", "caregiver_invite"}
