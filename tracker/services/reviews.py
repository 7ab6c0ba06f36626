"""A nurse's review of a wound photo: measurements and the PUSH Tool 3.0 score. A worrying review
opens alerts (alert_rules.review_alerts)."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from tracker.errors import Conflict, ValidationError, field_error
from tracker.idempotency import canonical, create_once, fingerprint
from tracker.models import Photo, PhotoStatus, RecordVersion, Review, TissueType, User
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


def validate_measurements(content: dict[str, Any]) -> None:
    """What a measurement cannot be: a wound with a length has a width, a wound of no area is
    closed (PUSH scores tissue 0 only for a closed wound), and a closed wound, covered with new
    skin, has no area."""
    length, width = Decimal(content["length_cm"]), Decimal(content["width_cm"])
    if length > 0 and width == 0:
        raise field_error("width_cm", "A wound with a length has a width: measure it, or give 0 "
                                      "for both when the wound is closed.")
    if width > 0 and length == 0:
        raise field_error("length_cm", "A wound with a width has a length: measure it, or give 0 "
                                       "for both when the wound is closed.")
    if length == 0 and width == 0 and content["tissue_type"] != TissueType.CLOSED:
        raise field_error("tissue_type", "An area of 0 is a closed wound: choose closed, or give "
                                         "the wound's length and width.")
    if content["tissue_type"] == TissueType.CLOSED and (length > 0 or width > 0):
        raise field_error("tissue_type", "A closed wound has no length or width: give 0 for "
                                         "both, or choose the tissue you see.")


def review_create(*, photo: Photo, reviewer: User, review_id: uuid.UUID | None = None,
                  data: dict[str, Any]) -> tuple[Review, bool]:
    """Record a review of a ready photo, with its area and PUSH score. Idempotent by id."""
    content: dict[str, Any] = {name: data.get(name) for name in REVIEW_FIELDS}
    content["comment"] = content["comment"] or ""
    content["signs_of_infection"] = bool(content["signs_of_infection"])
    content["flag_for_physician"] = bool(content["flag_for_physician"])

    def validate() -> None:
        validate_measurements(content)
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


@transaction.atomic
def review_update(*, review: Review, changed_by: User, changes: dict[str, Any]) -> Review:
    """Correct a review: a new version, its area and PUSH score worked out again, the earlier values
    kept as a RecordVersion. A correction that finds infection or flags it opens its alert."""
    review = Review.objects.select_for_update().select_related("photo__course__patient").get(
        pk=review.pk)
    unknown = set(changes) - set(REVIEW_FIELDS)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in sorted(unknown)})
    if review.photo.entered_in_error_at is not None:
        raise Conflict("This photo was marked entered in error; its reviews stay as they were.")
    content = {name: getattr(review, name) for name in REVIEW_FIELDS}
    changes = {name: ("" if value is None else value) if name == "comment" else value
               for name, value in changes.items()}
    diff = {name: {"from": canonical(content[name]), "to": canonical(value)}
            for name, value in changes.items() if content[name] != value}
    if not diff:
        return review
    content.update(changes)
    validate_measurements(content)
    for name in diff:
        setattr(review, name, content[name])
    review.area_cm2 = area_cm2(review.length_cm, review.width_cm)
    review.push_score = push_score(area=review.area_cm2, exudate=review.exudate,
                                   tissue_type=review.tissue_type)
    review.version += 1
    review.updated_at = timezone.now()
    review.save()
    RecordVersion.objects.create(object_type="review", object_id=review.pk, version=review.version,
                                 changed_by=changed_by, action="update", changes=diff)
    review_alerts(review)
    healing_checkpoint(review.photo.course)
    return review
