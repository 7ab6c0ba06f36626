"""Who may do what, declared on each endpoint: a viewset's `required_actions` names, for each of its
actions, the access.Action the user's role must allow. The roles themselves live in tracker/access.

A route on one object is checked after the scoped lookup, so that what a user may not see is a
404 before anything is a 403; a route on the collection is checked before the handler runs.
`"*"` names the action every route of the viewset requires, checked first.
"""

from __future__ import annotations

from typing import Any, cast

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from tracker import access
from tracker.access import Action
from tracker.models import User

ALL = "*"


def _required(view: Any) -> dict[str, Action]:
    return getattr(view, "required_actions", {})


def _action(view: Any) -> str:
    return getattr(view, "action", None) or ""  # a plain APIView has no actions


def _may(request: Request, action: Action | None) -> bool:
    # IsAuthenticated ran first: the user is one of Tend's.
    return action is None or access.can(cast(User, request.user), action)


class RoleAllows(BasePermission):
    message = "Your role does not allow this action."

    def has_permission(self, request: Request, view: Any) -> bool:
        required = _required(view)
        if not _may(request, required.get(ALL)):
            return False
        if view.kwargs.get(getattr(view, "lookup_url_kwarg", None) or "pk") is not None:
            return True  # one object: after its lookup (has_object_permission)
        return _may(request, required.get(_action(view)))

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return _may(request, _required(view).get(_action(view)))
