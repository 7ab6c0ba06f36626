"""Alerts as the care team reads them: each with what caused it, to link to."""

from __future__ import annotations

from django.db.models import Case, CharField, OuterRef, QuerySet, Subquery, UUIDField, Value, When

from tracker.models import Alert, Review


def alerts_with_causes() -> QuerySet[Alert]:
    """Every alert, annotated with `source_photo` (the photo it is about: its own, or the one a
    review measured) and `source_comment` (the reviewer's comment), in the same query."""
    review = Review.objects.filter(pk=OuterRef("source_id"))
    return Alert.objects.annotate(
        source_photo=Case(
            When(source_type="photo", then="source_id"),
            When(source_type="review", then=Subquery(review.values("photo_id")[:1])),
            default=None, output_field=UUIDField()),
        source_comment=Case(
            When(source_type="review", then=Subquery(review.values("comment")[:1])),
            default=Value(""), output_field=CharField()),
    )
