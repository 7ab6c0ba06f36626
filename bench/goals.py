"""The goals of issue 6, in one place: the benchmarks check them, bench/results.py reports them."""

RATIO_MIN = 1.0  # req/s of a Tend endpoint over the naive DRF baseline doing the same work
P99_MS_MAX = 50.0
GROWTH_MAX = 1.5  # an endpoint's median latency at the largest scale over the smallest
ADHERENCE_MS_MAX = 20.0  # a one-year course's adherence in-process, median
PHOTO_RATIO_MAX = 2.0  # tracker.imaging.render over the minimal Pillow pipeline (medians)
UPLOAD_MS_MAX = 150.0  # POST /api/v1/photos/ with a 12 MP JPEG, median
REPORT_MS_MAX = 2000.0  # the 12-week report, median
REPORT_RSS_MB_MAX = 300.0  # a report worker's peak RSS
# Tables that grow with the clinic's history: a hot query must reach them through an index.
BIG_TABLES = ("tracker_application", "tracker_symptomentry", "tracker_photo", "tracker_auditevent",
              "tracker_review", "tracker_apitoken")
