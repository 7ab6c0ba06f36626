import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from tests import images
from tracker.models import Photo
from tracker.services import photos


def test_an_upload_is_processed_and_served_without_metadata(cast, api, django_capture_on_commit_callbacks):
    client = api(cast.patient_user)
    upload = SimpleUploadedFile("wound.jpg", images.phone_jpeg(), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/api/v1/photos/", {"course": str(cast.course.pk),
                                                   "taken_at": timezone.now().isoformat(),
                                                   "image": upload}, format="multipart")
    assert response.status_code == 202, response.content
    photo_id = response.json()["id"]
    assert response.json()["status"] == "processing"
    photos.photo_process(photo_id=photo_id)
    photo = Photo.objects.get(pk=photo_id)
    assert photo.status == "ready" and (photo.width, photo.height) == (1200, 900)
    served = client.get(f"/api/v1/photos/{photo_id}/image/")
    assert served.status_code == 200
    assert served["Cache-Control"] == "private, no-store"
    body = b"".join(served.streaming_content)
    assert images.XMP_MARKER not in body and images.COMMENT_MARKER not in body
    assert images.GPS_MARKER.encode() not in body and b"Exif" not in body
    assert Image.open(io.BytesIO(body)).size == (1200, 900)
    review = api(cast.nurse).post(f"/api/v1/photos/{photo_id}/reviews/", {
        "length_cm": "2.0", "width_cm": "1.5", "exudate": "light", "tissue_type": "granulation",
        "signs_of_infection": True}, format="json")
    assert review.status_code == 201, review.content
    assert review.json()["area_cm2"] == 3.0 and review.json()["push_score"] == 5 + 1 + 2
    alerts = api(cast.nurse).get("/api/v1/alerts/?status=open").json()
    assert [a["kind"] for a in alerts["results"]] == ["review_infection"]
    assert api(cast.other_nurse).get(f"/api/v1/photos/{photo_id}/image/").status_code == 404
