"""`since` and `until` on the audit trail take an instant as every write field does: with its
offset, turned into UTC before any query, so no client-chosen offset reaches PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import assert_problem

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["2026-01-01T00:00:00-18:59", "2026-01-01T00:00:00+16:00",
                                   "2026-01-01T00:00:00Z", "2026-11-29T20:15:00-07:00"])
@pytest.mark.parametrize("name", ["since", "until"])
def test_any_offset_is_an_instant_answered_without_a_server_error(cast: Any, api: Any, name: str,
                                                                  value: str) -> None:
    response = api(cast.admin).get("/api/v1/audit-events/", {name: value})
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(("value", "says"), [
    ("2026-01-01T00:00:00", "offset"),
    ("0001-01-01T00:00:00+14:00", "no UTC"),
    ("yesterday", "valid"),
])
@pytest.mark.parametrize("name", ["since", "until"])
def test_a_time_that_is_no_instant_is_refused_naming_the_parameter(cast: Any, api: Any, name: str,
                                                                   value: str, says: str) -> None:
    body = assert_problem(api(cast.admin).get("/api/v1/audit-events/", {name: value}), 400, name)
    assert says in body["errors"][name][0]


def test_the_bounds_select_by_the_instant_they_name(cast: Any, api: Any) -> None:
    api(cast.physician).get(f"/api/v1/patients/{cast.patient.pk}/")

    def count(**bound: str) -> int:
        return api(cast.admin).get("/api/v1/audit-events/", bound).json()["count"]

    assert count(since="2000-01-01T00:00:00+15:00") > 0
    assert count(until="2000-01-01T00:00:00-18:59") == 0
    assert count(since="2100-01-01T00:00:00-18:59") == 0
