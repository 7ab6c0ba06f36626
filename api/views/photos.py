"""Wound photos: upload (202, processed in the background), private serving, reviews, the queue."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import FileResponse
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import TendViewSet, private_file
from api.filters import course_filters
from api.parsers import JSONParser
from api.serializers import (
    PhotoSerializer,
    PhotoUpdateSerializer,
    PhotoUploadSerializer,
    RecordVersionSerializer,
    RetakeSerializer,
    ReviewInputSerializer,
    ReviewSerializer,
    ReviewUpdateSerializer,
)
from api.views.records import RecordViewSet, record_writes
from tracker.access import Action
from tracker.models import Photo, PhotoStatus, Review
from tracker.selectors.reviews import review_queue
from tracker.services import photos, records, reviews


def _with_reviews(queryset: QuerySet[Photo]) -> QuerySet[Photo]:
    return queryset.prefetch_related(
        Prefetch("reviews", queryset=Review.objects.order_by("-created_at"))
    )


class PhotoViewSet(RecordViewSet):
    kind = records.PHOTO
    required_actions = {**record_writes(Action.PHOTO_WRITE), "review_create": Action.REVIEW_WRITE,
                        "retry": Action.PHOTO_RETRY, "retake": Action.PHOTO_RETAKE}
    audit_actions = {"image": "read_image", "thumbnail": "read_thumbnail",
                     "reviews": "read_reviews"}
    model = Photo
    serializer_class = PhotoSerializer
    input_serializer_class = PhotoUploadSerializer
    filterset_class = course_filters(Photo, PhotoStatus)
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["taken_at", "created_at"]
    ordering = ["-taken_at"]
    parser_classes = [MultiPartParser, JSONParser]
    audit_object_type = "photo"

    def base_queryset(self) -> QuerySet[Photo]:
        # Serving bytes, a version history or the reviews list never shows the photo's reviews.
        if self.action in ("image", "thumbnail", "history", "reviews", "review_create"):
            return Photo.objects.all()
        return _with_reviews(Photo.objects.select_related("course__patient", "recorded_by"))

    @extend_schema(request={"multipart/form-data": PhotoUploadSerializer},
                   responses={202: PhotoSerializer, 200: PhotoSerializer})
    def create(self, request: Request) -> Response:
        values = self.validated(self.input_serializer_class)
        course, upload = values.pop("course"), values.pop("image")
        self.audit.touch("photo", values.get("id") or "", course.patient_id)
        photo, created = photos.photo_upload(
            course=course, uploaded_by=self.user, data=upload.read(),
            taken_at=values["taken_at"], note=values.get("note", ""), photo_id=values.get("id"),
        )
        self.audit.retarget("photo", photo.pk, photo.patient_id)
        photo = self.base_queryset().get(pk=photo.pk)
        return Response(self.get_serializer(photo).data,
                        status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)

    @extend_schema(request=PhotoUpdateSerializer, responses={200: PhotoSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        photo = self.get_object()
        changes = self.validated(PhotoUpdateSerializer)
        if "note" in changes:
            changes["notes"] = changes.pop("note")
        records.record_update(kind=self.kind, record=photo, changed_by=self.user, changes=changes)
        return Response(self.get_serializer(self.base_queryset().get(pk=photo.pk)).data)

    def _serve(self, which: str) -> FileResponse:
        photo = self.get_object()
        handle, size = photos.photo_bytes(photo, which)
        return private_file(handle, size, content_type="image/jpeg",
                            filename=f"{which}-{photo.pk}.jpg")

    @extend_schema(responses={(200, "image/jpeg"): OpenApiResponse(description="JPEG bytes")})
    @action(detail=True, methods=["get"])
    def image(self, request: Request, pk: str) -> FileResponse:
        """The full image (long side at most 4096 px): upright, sRGB, no metadata at all."""
        return self._serve("image")

    @extend_schema(responses={(200, "image/jpeg"): OpenApiResponse(description="JPEG bytes")})
    @action(detail=True, methods=["get"])
    def thumbnail(self, request: Request, pk: str) -> FileResponse:
        """The thumbnail (long side 512 px)."""
        return self._serve("thumbnail")

    @extend_schema(responses={200: ReviewSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def reviews(self, request: Request, pk: str) -> Response:
        """The photo's reviews, newest first."""
        page = self.page_of(self.get_object().reviews.order_by("-created_at"))
        return self.get_paginated_response(ReviewSerializer(page, many=True).data)

    @extend_schema(request=ReviewInputSerializer, responses={201: ReviewSerializer})
    @reviews.mapping.post
    def review_create(self, request: Request, pk: str) -> Response:
        """A nurse's or physician's review: measurements, PUSH score, flags."""
        photo = self.get_object()
        values = self.validated(ReviewInputSerializer)
        review, created = reviews.review_create(photo=photo, reviewer=self.user,
                                                review_id=values.pop("id", None), data=values)
        return Response(ReviewSerializer(review).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=RetakeSerializer, responses={200: PhotoSerializer})
    @action(detail=True, methods=["post"])
    def retake(self, request: Request, pk: str) -> Response:
        """Ask the patient for a new photo instead of measuring this one; she is told why."""
        photo = photos.photo_retake(photo=self.get_object(), by=self.user,
                                    reason=self.validated(RetakeSerializer)["reason"])
        return Response(self.get_serializer(self.base_queryset().get(pk=photo.pk)).data)

    @extend_schema(request=None, responses={202: PhotoSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        """Staff put a failed photo back in the processing queue."""
        photo = self.get_object()
        photos.photo_retry(photo=photo)
        return Response(self.get_serializer(self.base_queryset().get(pk=photo.pk)).data,
                        status=status.HTTP_202_ACCEPTED)


class ReviewQueueViewSet(TendViewSet):
    """Ready photos of the user's patients that nobody has reviewed yet, oldest first."""

    model = Photo
    serializer_class = PhotoSerializer
    filterset_class = course_filters(Photo)
    audit_object_type = "photo"
    http_method_names = ["get", "head", "options"]
    required_actions = {"list": Action.REVIEW_WRITE}

    def base_queryset(self) -> QuerySet[Photo]:
        return _with_reviews(review_queue().select_related("course__patient", "recorded_by"))


class ReviewViewSet(TendViewSet):
    """Reviews of the user's patients' photos: read, corrected (a new version), their history."""

    model = Review
    serializer_class = ReviewSerializer
    filterset_class = course_filters(Review)
    audit_object_type = "review"
    http_method_names = ["get", "patch", "head", "options"]
    required_actions = {"partial_update": Action.REVIEW_CHANGE}

    @extend_schema(request=ReviewUpdateSerializer, responses={200: ReviewSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        """Correct a review: a new version; the earlier values stay in its history."""
        review = reviews.review_update(review=self.get_object(), changed_by=self.user,
                                       changes=self.validated(ReviewUpdateSerializer))
        return Response(ReviewSerializer(review).data)

    @extend_schema(responses={200: RecordVersionSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str) -> Response:
        """Every earlier version of the review: who changed what, and when."""
        return self.versions_response("review", self.get_object().pk)
