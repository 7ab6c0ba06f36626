from django.urls import include, path
from rest_framework.routers import SimpleRouter

from api.views import (
    alerts,
    audit,
    auth,
    courses,
    notifications,
    people,
    photos,
    records,
    reports,
)

router = SimpleRouter(trailing_slash=True)
router.register("staff", people.StaffViewSet, basename="staff")
router.register("patients", people.PatientViewSet, basename="patient")
router.register("courses", courses.CourseViewSet, basename="course")
router.register("applications", records.ApplicationViewSet, basename="application")
router.register("symptoms", records.SymptomViewSet, basename="symptom")
router.register("debridements", records.DebridementViewSet, basename="debridement")
router.register("photos", photos.PhotoViewSet, basename="photo")
router.register("reviews", photos.ReviewViewSet, basename="review")
router.register("alerts", alerts.AlertViewSet, basename="alert")
router.register("reports", reports.ReportViewSet, basename="report")
router.register("audit-events", audit.AuditEventViewSet, basename="audit-event")
router.register("push/subscriptions", notifications.PushSubscriptionViewSet,
                basename="push-subscription")

urlpatterns = [
    path("auth/token/", auth.TokenView.as_view(), name="auth-token"),
    path("auth/logout/", auth.LogoutView.as_view(), name="auth-logout"),
    path("auth/csrf/", auth.CsrfView.as_view(), name="auth-csrf"),
    path("auth/session/", auth.SessionView.as_view(), name="auth-session"),
    path("auth/activate/", auth.ActivateView.as_view(), name="auth-activate"),
    path("me/", auth.MeView.as_view(), name="me"),
    path("push/public-key/", notifications.PushPublicKeyView.as_view(), name="push-public-key"),
    # A list only: a photo in the queue is read at photos/{id}/.
    path("review-queue/", photos.ReviewQueueViewSet.as_view({"get": "list"}), name="review-queue-list"),
    path("caregivers/<str:pk>/",
         people.CaregiverViewSet.as_view({"get": "retrieve", "delete": "destroy"}),
         name="caregiver-detail"),
    path("", include(router.urls)),
]
