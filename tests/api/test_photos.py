"""Wound photos through the API: upload, processing, private serving (issue 3, points 1 to 5)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from tests import images
from tests.conftest import PROBLEM
from tests.images import is_red
from tracker import imaging, tasks
from tracker.models import AuditEvent, CourseStatus, Photo, PhotoStatus, TreatmentCourse
from tracker.services import photos


@pytest.fixture
def storage_root(settings: Any, tmp_path: Path) -> Path:
    """Private storage in a folder of this test only, so that "no file left" can be listed."""
    root = tmp_path / "private"
    default = settings.STORAGES["default"]
    settings.STORAGES = {**settings.STORAGES,
                         "default": {**default, "OPTIONS": {**default["OPTIONS"],
                                                            "location": str(root)}}}
    assert Path(default_storage.location) == root
    return root


def stored(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def an_hour_ago() -> str:
    return (timezone.now() - dt.timedelta(hours=1)).isoformat()


def post_photo(client: Any, data: bytes | None, *, course: TreatmentCourse | str | None,
               name: str = "wound.jpg", content_type: str = "image/jpeg", **fields: Any) -> Any:
    payload: dict[str, Any] = {"course": None if course is None else str(getattr(course, "pk", course)),
                               "taken_at": an_hour_ago(), **fields}
    payload = {key: value for key, value in payload.items() if value is not None}  # None: left out
    if data is not None:
        payload["image"] = SimpleUploadedFile(name, data, content_type=content_type)
    return client.post("/api/v1/photos/", payload, format="multipart")


def process(photo_id: str, capture: Any) -> Photo:
    """Play the worker, committing as it would (the raw upload is deleted on commit)."""
    with capture(execute=True):
        photos.photo_process(photo_id=photo_id)
    return Photo.objects.get(pk=photo_id)


def fetch(client: Any, photo_id: str, which: str) -> tuple[Any, bytes]:
    response = client.get(f"/api/v1/photos/{photo_id}/{which}/")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


@pytest.fixture
def uploaded(cast: Any, api: Any, storage_root: Path,
             django_capture_on_commit_callbacks: Any) -> Callable[..., str]:
    """uploaded(data=phone JPEG, by=patient) -> the id of a photo still `processing`."""

    def make(data: bytes | None = None, *, by: Any = None, **fields: Any) -> str:
        with django_capture_on_commit_callbacks(execute=False):
            response = post_photo(api(by or cast.patient_user),
                                  images.phone_jpeg() if data is None else data,
                                  course=cast.course, **fields)
        assert response.status_code == 202, response.content
        return response.json()["id"]

    return make


@pytest.fixture
def ready(uploaded: Callable[..., str], django_capture_on_commit_callbacks: Any
          ) -> Callable[..., str]:
    def make(data: bytes | None = None, **kwargs: Any) -> str:
        photo_id = uploaded(data, **kwargs)
        assert process(photo_id, django_capture_on_commit_callbacks).status == PhotoStatus.READY
        return photo_id

    return make


# --- Upload -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("make", "fmt", "name", "content_type"), [
    (images.phone_jpeg, "JPEG", "wound.jpg", "image/jpeg"),
    (images.png, "PNG", "wound.png", "image/png"),
    (images.webp, "WEBP", "wound.webp", "image/webp"),
    (images.heic, "HEIF", "IMG_0001.HEIC", "image/heic"),
])
def test_it_accepts_jpeg_png_webp_and_heic_and_makes_them_ready(
        cast: Any, api: Any, storage_root: Path, django_capture_on_commit_callbacks: Any,
        photos_sent: list[list[str]], make: Callable[[], bytes], fmt: str, name: str,
        content_type: str) -> None:
    client = api(cast.patient_user)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_photo(client, make(), course=cast.course, name=name,
                              content_type=content_type)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "processing" and body["image_url"] is None
    assert len(callbacks) == 1 and photos_sent == [[body["id"]]]  # handed to a worker on commit
    photo = Photo.objects.get(pk=body["id"])
    assert (photo.upload_format, photo.course_id, photo.recorded_by) == (
        fmt, cast.course.pk, cast.patient_user)
    assert stored(storage_root) == [f"photos/{photo.pk}/upload.bin"]

    photo = process(body["id"], django_capture_on_commit_callbacks)
    assert photo.status == PhotoStatus.READY
    served, data = fetch(client, body["id"], "image")
    assert served.status_code == 200
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and image.size == (photo.width, photo.height) != (None, None)
    assert images.metadata_found(data) == []


@pytest.mark.parametrize(("make", "name", "content_type", "fmt"), [
    (images.png, "wound.jpg", "image/jpeg", "PNG"),
    (images.phone_jpeg, "wound.png", "image/png", "JPEG"),
    (images.webp, "wound.txt", "text/plain", "WEBP"),
])
def test_the_content_decides_the_format_not_the_name_or_declared_type(
        cast: Any, api: Any, storage_root: Path, make: Callable[[], bytes], name: str,
        content_type: str, fmt: str) -> None:
    response = post_photo(api(cast.patient_user), make(), course=cast.course, name=name,
                          content_type=content_type)
    assert response.status_code == 202, response.content
    assert Photo.objects.get(pk=response.json()["id"]).upload_format == fmt


def _bad(kind: str) -> tuple[bytes | None, dict[str, Any]]:
    """(image bytes, other fields) for one of the bad inputs of issue 3."""
    valid = images.phone_jpeg(400, 300)
    return {
        "text-named-jpg": (images.text_file(), {}),
        "truncated-jpeg": (images.truncated_jpeg(), {}),
        "png-100000x100000": (images.png_bomb(), {}),
        "gif-3000-frames": (images.many_frame_gif(), {}),
        "empty-file": (b"", {}),
        "polyglot-jpeg-zip": (images.polyglot_jpeg_zip(), {}),
        "polyglot-script-comment": (images.polyglot_jpeg_html_comment(), {}),
        "missing-image": (None, {}),
        "future-taken-at": (valid, {"taken_at": (timezone.now() + dt.timedelta(hours=1)).isoformat()}),
        "unreadable-taken-at": (valid, {"taken_at": "yesterday evening"}),
        "unknown-field": (valid, {"patient": "someone"}),
        "missing-course": (valid, {"course": None}),
        "malformed-course": (valid, {"course": "x"}),
        "unknown-course": (valid, {"course": "5b1b1e3e-8f0c-4f3b-9a8e-2f6f4b7c9d10"}),
        "missing-taken-at": (valid, {"taken_at": None}),
        "taken-at-without-offset": (valid, {"taken_at": "2026-11-29T10:00:00"}),
        "malformed-id": (valid, {"id": "x"}),
        "note-too-long": (valid, {"note": "a" * 2001}),
    }[kind]


@pytest.mark.parametrize(("kind", "status", "field"), [
    ("text-named-jpg", 400, "image"),
    ("truncated-jpeg", 400, "image"),
    ("png-100000x100000", 413, "image"),
    ("gif-3000-frames", 415, "image"),
    ("empty-file", 400, "image"),
    ("polyglot-jpeg-zip", 400, "image"),
    ("polyglot-script-comment", 400, "image"),
    ("missing-image", 400, "image"),
    ("future-taken-at", 400, "taken_at"),
    ("unreadable-taken-at", 400, "taken_at"),
    ("unknown-field", 400, "patient"),
    ("missing-course", 400, "course"),
    ("malformed-course", 400, "course"),
    ("unknown-course", 400, "course"),
    ("missing-taken-at", 400, "taken_at"),
    ("taken-at-without-offset", 400, "taken_at"),
    ("malformed-id", 400, "id"),
    ("note-too-long", 400, "note"),
])
def test_it_refuses_bad_input_and_stores_nothing(
        cast: Any, api: Any, storage_root: Path, django_capture_on_commit_callbacks: Any,
        kind: str, status: int, field: str) -> None:
    data, fields = _bad(kind)
    fields.setdefault("course", cast.course)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post_photo(api(cast.patient_user), data, **fields)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and field in body["errors"], body
    assert Photo.objects.count() == 0
    assert stored(storage_root) == []
    assert callbacks == []  # nothing handed to a worker


def test_a_30_mb_file_is_refused_413_and_nothing_is_stored(
        cast: Any, api: Any, storage_root: Path) -> None:
    response = post_photo(api(cast.patient_user), images.oversized_jpeg(30 * 1024 * 1024),
                          course=cast.course)
    assert response.status_code == 413
    assert response["Content-Type"] == PROBLEM and response.json()["status"] == 413
    assert Photo.objects.count() == 0 and stored(storage_root) == []


def test_a_file_just_over_the_cap_is_refused_413_naming_image(
        cast: Any, api: Any, settings: Any, storage_root: Path) -> None:
    # Within the body-size middleware's allowance for the form, so the view or service decides.
    settings.TEND_MAX_UPLOAD_BYTES = 200_000
    response = post_photo(api(cast.patient_user), images.oversized_jpeg(200_001),
                          course=cast.course)
    assert response.status_code == 413, response.content
    assert response["Content-Type"] == PROBLEM and "image" in response.json()["errors"]
    assert Photo.objects.count() == 0 and stored(storage_root) == []
    # The service refuses on its own too, before decoding and before storing.
    with pytest.raises(imaging.ImageRejected) as refused:
        photos.photo_upload(course=cast.course, uploaded_by=cast.patient_user,
                            data=images.oversized_jpeg(200_001), taken_at=timezone.now())
    assert refused.value.status == 413
    assert Photo.objects.count() == 0 and stored(storage_root) == []


def test_another_patients_course_is_refused_without_revealing_it_exists(
        cast: Any, api: Any, storage_root: Path) -> None:
    client = api(cast.patient_user)
    other = post_photo(client, images.phone_jpeg(400, 300), course=cast.other_course)
    unknown = post_photo(client, images.phone_jpeg(400, 300), course=str(uuid.uuid4()))
    assert other.status_code == unknown.status_code == 400
    assert other["Content-Type"] == PROBLEM
    assert other.json()["errors"] == unknown.json()["errors"] != {}
    assert set(other.json()["errors"]) == {"course"}
    assert Photo.objects.count() == 0 and stored(storage_root) == []


@pytest.mark.parametrize(("who", "course_of", "status", "field"), [
    ("patient_user", "course", 202, None),
    ("nurse", "course", 202, None),
    ("physician", "course", 202, None),
    ("other_patient_user", "other_course", 202, None),
    ("other_nurse", "course", 400, "course"),
    ("other_physician", "course", 400, "course"),
    ("other_patient_user", "course", 400, "course"),
    ("patient_user", "other_course", 400, "course"),
    ("admin", "course", 403, None),
])
def test_only_the_patient_and_their_care_team_upload_to_a_course(
        cast: Any, api: Any, storage_root: Path, who: str, course_of: str, status: int,
        field: str | None) -> None:
    course = getattr(cast, course_of)
    response = post_photo(api(cast.user(who)), images.phone_jpeg(400, 300), course=course)
    assert response.status_code == status, response.content
    if status == 202:
        photo = Photo.objects.get()
        assert (photo.course_id, photo.patient_id, photo.recorded_by) == (
            course.pk, course.patient_id, cast.user(who))
        assert stored(storage_root) == [f"photos/{photo.pk}/upload.bin"]
        return
    assert response["Content-Type"] == PROBLEM
    if field:
        assert field in response.json()["errors"]
    assert Photo.objects.count() == 0 and stored(storage_root) == []


@pytest.mark.parametrize("state", [CourseStatus.PAUSED, CourseStatus.STOPPED, CourseStatus.COMPLETED])
def test_a_course_that_is_not_active_takes_no_photo(
        cast: Any, api: Any, storage_root: Path, state: str) -> None:
    TreatmentCourse.objects.filter(pk=cast.course.pk).update(status=state)
    response = post_photo(api(cast.patient_user), images.phone_jpeg(400, 300), course=cast.course)
    assert response.status_code == 400
    assert "course" in response.json()["errors"]
    assert Photo.objects.count() == 0 and stored(storage_root) == []


def test_an_upload_is_idempotent_by_its_client_id(
        cast: Any, api: Any, storage_root: Path, django_capture_on_commit_callbacks: Any) -> None:
    client, photo_id, taken_at = api(cast.patient_user), str(uuid.uuid4()), an_hour_ago()
    data = images.phone_jpeg(400, 300)
    first = post_photo(client, data, course=cast.course, id=photo_id, taken_at=taken_at)
    assert first.status_code == 202 and first.json()["id"] == photo_id
    files = stored(storage_root)
    upload = (storage_root / files[0]).read_bytes()

    again = post_photo(client, data, course=cast.course, id=photo_id, taken_at=taken_at)
    assert again.status_code == 200 and again.json()["id"] == photo_id
    assert Photo.objects.count() == 1 and stored(storage_root) == files

    other_bytes = post_photo(client, images.phone_jpeg(401, 300), course=cast.course, id=photo_id,
                             taken_at=taken_at)
    other_time = post_photo(client, data, course=cast.course, id=photo_id, taken_at=(
        timezone.now() - dt.timedelta(hours=2)).isoformat())
    for conflict in (other_bytes, other_time):
        assert conflict.status_code == 409 and conflict["Content-Type"] == PROBLEM
        assert "id" in conflict.json()["errors"]
    assert Photo.objects.count() == 1 and stored(storage_root) == files
    assert (storage_root / files[0]).read_bytes() == upload

    # A client retrying after the photo was processed gets it back; no raw copy is stored again.
    process(photo_id, django_capture_on_commit_callbacks)
    late = post_photo(client, data, course=cast.course, id=photo_id, taken_at=taken_at)
    assert late.status_code == 200 and late.json()["status"] == "ready"
    assert Photo.objects.count() == 1
    assert f"photos/{photo_id}/upload.bin" not in stored(storage_root)


def test_photos_are_stored_privately_under_the_data_dir() -> None:
    configured = django_settings.STORAGES["default"]
    location = Path(configured["OPTIONS"]["location"])
    assert Path(default_storage.location) == location
    assert location.is_relative_to(django_settings.DATA_DIR)
    assert not location.is_relative_to(django_settings.STATIC_ROOT)
    assert configured["OPTIONS"].get("base_url") is None and django_settings.MEDIA_URL in ("", "/")


def test_photos_are_never_under_a_public_url(
        cast: Any, api: Any, ready: Callable[..., str], client: Any) -> None:
    photo_id = ready()
    for path in (f"/media/photos/{photo_id}/full.jpg", f"/photos/{photo_id}/full.jpg",
                 f"/private/photos/{photo_id}/full.jpg", f"/static/photos/{photo_id}/full.jpg",
                 f"/media/photos/{photo_id}/thumbnail.jpg"):
        for who in (client, api(cast.patient_user)):
            response = who.get(path)
            assert response.status_code == 404, path
            assert b"\xff\xd8\xff" not in b"".join(getattr(response, "streaming_content", [])
                                                  or [response.content])


# --- Processing ---------------------------------------------------------------------------------
def test_processing_records_the_served_image_and_drops_the_raw_upload(
        cast: Any, api: Any, uploaded: Callable[..., str], storage_root: Path,
        django_capture_on_commit_callbacks: Any) -> None:
    photo_id = uploaded(images.phone_jpeg(1200, 900))
    assert stored(storage_root) == [f"photos/{photo_id}/upload.bin"]
    photo = process(photo_id, django_capture_on_commit_callbacks)
    assert photo.status == PhotoStatus.READY and photo.processed_at is not None
    assert (photo.width, photo.height) == (1200, 900)  # upright: stored sideways as 900 x 1200
    assert photo.upload_name == ""
    assert stored(storage_root) == [f"photos/{photo_id}/full.jpg", f"photos/{photo_id}/thumbnail.jpg"]

    client = api(cast.nurse)
    _, full = fetch(client, photo_id, "image")
    _, thumb = fetch(client, photo_id, "thumbnail")
    assert photo.sha256 == hashlib.sha256(full).hexdigest()
    assert (storage_root / f"photos/{photo_id}/full.jpg").read_bytes() == full
    image = Image.open(io.BytesIO(full))
    assert image.size == (1200, 900)
    assert is_red(image, (100, 5, 1100, 60)) and not is_red(image, (0, 300, 40, 600))
    assert not is_red(image, (1160, 300, 1200, 600)) and not is_red(image, (100, 860, 1100, 895))
    assert Image.open(io.BytesIO(thumb)).size == (512, 384)
    for served in (full, thumb):
        for marker in (images.GPS_MARKER.encode(), images.XMP_MARKER, images.COMMENT_MARKER,
                       images.MAKER_MARKER, b"Exif", b"ICC_PROFILE"):
            assert marker not in served
        assert images.metadata_found(served) == []
        info = Image.open(io.BytesIO(served)).info
        assert not {"exif", "xmp", "comment", "icc_profile"} & set(info)
        assert [marker for marker, payload in images.jpeg_segments(served)
                if 0xE0 <= marker <= 0xEF or marker == 0xFE] == [0xE0]


def test_a_big_photo_is_served_at_4096_with_a_512_thumbnail(
        cast: Any, api: Any, uploaded: Callable[..., str],
        django_capture_on_commit_callbacks: Any) -> None:
    photo_id = uploaded(images.phone_jpeg(5000, 3000))
    photo = process(photo_id, django_capture_on_commit_callbacks)
    assert photo.width == 4096 and abs(photo.height - 2458) <= 1
    client = api(cast.patient_user)
    _, full = fetch(client, photo_id, "image")
    _, thumb = fetch(client, photo_id, "thumbnail")
    assert Image.open(io.BytesIO(full)).size == (photo.width, photo.height)
    assert max(Image.open(io.BytesIO(thumb)).size) == 512
    assert photo.sha256 == hashlib.sha256(full).hexdigest()


def test_processing_twice_changes_nothing(
        uploaded: Callable[..., str], storage_root: Path,
        django_capture_on_commit_callbacks: Any) -> None:
    photo_id = uploaded()
    first = process(photo_id, django_capture_on_commit_callbacks)
    files = {name: (storage_root / name).read_bytes() for name in stored(storage_root)}
    row = Photo.objects.filter(pk=photo_id).values().get()

    again = process(photo_id, django_capture_on_commit_callbacks)
    tasks.process_photo.apply(args=[photo_id]).get()
    assert again.sha256 == first.sha256
    assert {name: (storage_root / name).read_bytes() for name in stored(storage_root)} == files
    assert Photo.objects.filter(pk=photo_id).values().get() == row


def test_a_photo_whose_upload_vanished_fails_and_only_staff_see_why(
        cast: Any, api: Any, uploaded: Callable[..., str], storage_root: Path) -> None:
    photo_id = uploaded()
    (storage_root / f"photos/{photo_id}/upload.bin").unlink()
    tasks.process_photo.apply(args=[photo_id]).get()
    photo = Photo.objects.get(pk=photo_id)
    assert photo.status == PhotoStatus.FAILED and "missing" in photo.failure_reason
    assert stored(storage_root) == []

    staff = api(cast.nurse).get(f"/api/v1/photos/{photo_id}/").json()
    assert staff["status"] == "failed" and staff["failure_reason"] == photo.failure_reason
    assert staff["image_url"] is None and staff["thumbnail_url"] is None
    mine = api(cast.patient_user).get(f"/api/v1/photos/{photo_id}/").json()
    assert mine["status"] == "failed" and mine["failure_reason"]
    assert "missing" not in mine["failure_reason"] and "storage" not in mine["failure_reason"]
    assert photo.failure_reason not in str(api(cast.patient_user).get("/api/v1/photos/").json())


def test_staff_retry_a_failed_photo_whose_upload_is_still_there(
        cast: Any, api: Any, uploaded: Callable[..., str], storage_root: Path,
        django_capture_on_commit_callbacks: Any, photos_sent: list[list[str]]) -> None:
    photo_id = uploaded()
    photos.photo_fail(photo_id=photo_id, reason="Processing failed after 6 attempts (OSError).")
    url = f"/api/v1/photos/{photo_id}/retry/"
    assert api(cast.patient_user).post(url).status_code == 403
    assert api(cast.other_nurse).post(url).status_code == 404
    assert api(cast.admin).post(url).status_code == 404
    assert Photo.objects.get(pk=photo_id).status == PhotoStatus.FAILED

    with django_capture_on_commit_callbacks(execute=True):
        response = api(cast.nurse).post(url)
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "processing" and response.json()["failure_reason"] == ""
    assert photos_sent == [[photo_id]]
    assert process(photo_id, django_capture_on_commit_callbacks).status == PhotoStatus.READY
    again = api(cast.physician).post(url)  # only a failed photo can be retried
    assert again.status_code == 409 and again["Content-Type"] == PROBLEM
    assert Photo.objects.get(pk=photo_id).status == PhotoStatus.READY


def test_retry_is_refused_when_the_upload_is_gone(
        cast: Any, api: Any, uploaded: Callable[..., str], storage_root: Path) -> None:
    photo_id = uploaded()
    (storage_root / f"photos/{photo_id}/upload.bin").unlink()
    tasks.process_photo.apply(args=[photo_id]).get()
    response = api(cast.nurse).post(f"/api/v1/photos/{photo_id}/retry/")
    assert response.status_code == 409 and response["Content-Type"] == PROBLEM
    assert Photo.objects.get(pk=photo_id).status == PhotoStatus.FAILED


# --- Serving ------------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["image", "thumbnail"])
@pytest.mark.parametrize("who", ["patient_user", "nurse", "physician"])
def test_photo_bytes_are_served_privately_and_each_fetch_is_audited(
        cast: Any, api: Any, ready: Callable[..., str], which: str, who: str) -> None:
    photo_id, user = ready(), cast.user(who)
    reads = AuditEvent.objects.filter(action=f"read_{which}", object_id=photo_id)
    for count in (1, 2):
        response, body = fetch(api(user), photo_id, which)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert int(response["Content-Length"]) == len(body) > 0
        assert response["Cache-Control"] == "private, no-store"
        assert Image.open(io.BytesIO(body)).format == "JPEG"
        assert reads.count() == count
        event = reads.order_by("-at").first()
        assert (event.actor, event.patient_id, event.object_type) == (user, cast.patient.pk, "photo")


@pytest.mark.parametrize("which", ["image", "thumbnail"])
@pytest.mark.parametrize("who", ["other_nurse", "other_physician", "other_patient_user", "admin"])
def test_photo_bytes_are_404_for_users_who_may_not_see_the_photo(
        cast: Any, api: Any, ready: Callable[..., str], which: str, who: str) -> None:
    photo_id = ready()
    response, body = fetch(api(cast.user(who)), photo_id, which)
    assert response.status_code == 404 and response["Content-Type"] == PROBLEM
    assert b"\xff\xd8" not in body
    unknown, _ = fetch(api(cast.user(who)), str(uuid.uuid4()), which)
    assert unknown.json() == response.json()
    anonymous, _ = fetch(api(None), photo_id, which)
    assert anonymous.status_code == 401


@pytest.mark.parametrize("which", ["image", "thumbnail"])
def test_a_photo_still_processing_answers_409(
        cast: Any, api: Any, uploaded: Callable[..., str], which: str) -> None:
    photo_id = uploaded()
    response, _ = fetch(api(cast.nurse), photo_id, which)
    assert response.status_code == 409 and response["Content-Type"] == PROBLEM
    assert "processing" in response.json()["detail"]


def test_the_photo_lists_its_image_urls_only_when_ready(
        cast: Any, api: Any, uploaded: Callable[..., str],
        django_capture_on_commit_callbacks: Any) -> None:
    photo_id = uploaded()
    client = api(cast.patient_user)
    before = client.get(f"/api/v1/photos/{photo_id}/").json()
    assert before["status"] == "processing"
    assert before["image_url"] is None and before["thumbnail_url"] is None
    assert before["sha256"] == "" or before["sha256"] is None
    process(photo_id, django_capture_on_commit_callbacks)
    after = client.get(f"/api/v1/photos/{photo_id}/").json()
    assert after["status"] == "ready"
    assert after["image_url"].endswith(f"/api/v1/photos/{photo_id}/image/")
    assert after["thumbnail_url"].endswith(f"/api/v1/photos/{photo_id}/thumbnail/")
    assert (after["width"], after["height"]) == (1200, 900) and len(after["sha256"]) == 64
    assert client.get(after["image_url"]).status_code == 200
