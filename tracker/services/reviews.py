"""A nurse's review of a wound photo: measurements and the PUSH Tool 3.0 score. A worrying review
opens alerts (alert_rules.review_alerts)."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tracker.errors import Conflict
from tracker.idempotency import create_once, fingerprint
from tracker.models import Photo, PhotoStatus, Review, User
from tracker.services.alert_rules import healing_checkpoint, review_alerts

# PUSH Tool 3.0 (NPUAP): area = length x width (cm²), scored 0-10.
_AREA_POINTS: list[tuple[Decimal, int]] = [
    (Decimal("0.6"), 2), (Decimal("1.0"), 3), (Decimal("2.0"), 4), (Decimal("3.0"), 5),
    (Decimal("4.0"), 6), (Decimal("8.0"), 7), (Decimal("12.0"), 8), (Decimal("24.0"), 9),
]
EXUDATE_POINTS = {"none": 0, "light": 1, "moderate": 2, "heavy": 3}
TISSUE_POINTS = {"closed": 0, "epithelial": 1, "granulation": 2, "slough": 3, "necrotic": 4}

REVIEW_FIELDS = ("length_cm", "width_cm", "exudate", "tissue_type", "signs_of_infection",
                 "flag_for_physician", "comment")


def area_cm2(length_cm: Decimal, width_cm: Decimal) -> Decimal:
    return (Decimal(length_cm) * Decimal(width_cm)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def area_points(area: Decimal) -> int:
    """0 for 0; 1 below 0.3; 2 up to 0.6; ... 9 up to 24.0; 10 above 24.0 (cm²)."""
    if area <= 0:
        return 0
    if area < Decimal("0.3"):
        return 1
    for upper, points in _AREA_POINTS:
        if area <= upper:
            return points
    return 10


def push_score(*, area: Decimal, exudate: str, tissue_type: str) -> int:
    """PUSH Tool 3.0: area points + exudate amount + tissue type, 0 to 17."""
    return area_points(area) + EXUDATE_POINTS[exudate] + TISSUE_POINTS[tissue_type]


def review_create(*, photo: Photo, reviewer: User, review_id: uuid.UUID | None = None,
                  data: dict[str, Any]) -> tuple[Review, bool]:
    """Record a review of a ready photo, with its area and PUSH score. Idempotent by id."""
    content: dict[str, Any] = {name: data.get(name) for name in REVIEW_FIELDS}
    content["comment"] = content["comment"] or ""
    content["signs_of_infection"] = bool(content["signs_of_infection"])
    content["flag_for_physician"] = bool(content["flag_for_physician"])

    def validate() -> None:
        if photo.status != PhotoStatus.READY:
            raise Conflict(f"This photo is {photo.status}; only a ready photo can be reviewed.")
        if photo.entered_in_error_at is not None:
            raise Conflict("This photo was marked entered in error.")

    def build(pk: uuid.UUID) -> Review:
        area = area_cm2(content["length_cm"], content["width_cm"])
        return Review(id=pk, photo=photo, course_id=photo.course_id, patient_id=photo.patient_id,
                      reviewer=reviewer, area_cm2=area,
                      push_score=push_score(area=area, exudate=content["exudate"],
                                            tissue_type=content["tissue_type"]),
                      **content)

    def then(review: Review) -> None:
        Photo.objects.filter(pk=photo.pk, reviewed_at__isnull=True).update(
            reviewed_at=review.created_at)
        review_alerts(review)
        healing_checkpoint(photo.course)

    return create_once(Review, client_id=review_id,
                       fingerprint=fingerprint({"photo": photo.pk, **content}),
                       build=build, validate=validate, then=then,
                       conflict="Another review with different content already has this id.")
