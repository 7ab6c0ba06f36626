"""URLs of config.settings_bench: all of Tend's, plus the baselines under /bench/."""

from django.urls import include, path

from bench import baseline_views

urlpatterns = [
    path("bench/bare/", baseline_views.bare),
    path("bench/naive/applications/", baseline_views.NaiveApplicationList.as_view()),
    path("bench/naive/applications/create/", baseline_views.NaiveApplicationCreate.as_view()),
    path("", include("config.urls")),
]

handler400 = "api.problems.bad_request"
handler403 = "api.problems.permission_denied"
handler404 = "api.problems.not_found"
handler500 = "api.problems.server_error"
