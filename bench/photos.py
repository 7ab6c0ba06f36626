"""Benchmark of the wound-photo path (issue 3, point 7). Not a test: run it from the repository root,

    .venv/bin/python bench/photos.py            # about two minutes
    .venv/bin/python bench/photos.py --quick    # fewer runs, for a smoke check
    .venv/bin/python bench/photos.py --sqlite   # the upload against SQLite instead of PostgreSQL

and read the table. It measures, in one run, with repeated interleaved runs (median, p90, min-max):

1. processing: `tracker.imaging.render` against a minimal Pillow pipeline that makes the same two
   outputs (full image at most 4096 px re-encoded at the same quality, 512 px thumbnail) from the
   same file, without orientation, ICC or metadata work; for a 12 MP and a 48 MP phone JPEG, with
   each one's peak memory measured in a fresh child process (VmHWM, reset once the imports are done);
2. the upload: `POST /api/v1/photos/` with a 3.6 MB 12 MP JPEG through Django's test client with a
   bearer token, against a throwaway PostgreSQL database `tend_bench_<random>` this script creates and
   drops (PostgreSQL on 127.0.0.1:5432 as `postgres`, or TEND_BENCH_POSTGRES=postgres://user@host:port),
   or SQLite in a temporary folder with --sqlite. Validation, storage, the row, the audit event and
   the on-commit enqueue's database update are included; the broker publish itself is stubbed out
   (excluded). The split: `tracker.imaging.inspect_upload` alone against a full decode (Image.open + load).

The figures are also written to bench/results/photos.json (photos-quick.json for --quick), with
the command line that ran. If a goal is missed (render / minimal > 2.0, upload median >= 150 ms)
the slow part is profiled with cProfile and the top entries printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "photos.json"
QUICK_RESULTS = ROOT / "bench" / "results" / "photos-quick.json"  # a smoke run never replaces the figures
sys.path.insert(0, str(ROOT))

from bench import _common, goals  # noqa: E402

GOAL_RATIO = goals.PHOTO_RATIO_MAX
GOAL_UPLOAD_MS = goals.UPLOAD_MS_MAX


# --- The two pipelines ------------------------------------------------------------------------------

def minimal_pipeline(data: bytes) -> tuple[bytes, bytes]:
    """The floor: the same two outputs with the same resampling and qualities as render, from the
    same file, with no orientation, colour-profile or metadata work."""
    from PIL import Image

    from tracker import imaging

    image = Image.open(io.BytesIO(data), formats=["JPEG"])
    image.draft("RGB", (imaging.FULL_SIDE, imaging.FULL_SIDE))
    if max(image.size) > imaging.FULL_SIDE:
        image.thumbnail((imaging.FULL_SIDE, imaging.FULL_SIDE), Image.Resampling.LANCZOS,
                        reducing_gap=3.0)
    else:
        image.load()
    full = io.BytesIO()
    image.save(full, "JPEG", quality=imaging.FULL_QUALITY)
    thumb = image.copy()
    thumb.thumbnail((imaging.THUMB_SIDE, imaging.THUMB_SIDE), Image.Resampling.LANCZOS,
                    reducing_gap=2.0)
    small = io.BytesIO()
    thumb.save(small, "JPEG", quality=imaging.THUMB_QUALITY)
    return full.getvalue(), small.getvalue()


def render_pipeline(data: bytes) -> tuple[bytes, bytes]:
    from tracker import imaging

    rendered = imaging.render(data, "JPEG")
    return rendered.full, rendered.thumbnail


PIPELINES: dict[str, Callable[[bytes], tuple[bytes, bytes]]] = {
    "render": render_pipeline, "minimal": minimal_pipeline,
}


def full_decode(data: bytes) -> None:
    from PIL import Image

    with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
        image.load()


def _proc_status_mib(field: str) -> float:
    found = _common.proc_status_mib(field)
    if found is None:
        raise RuntimeError(f"{field} not in /proc/self/status")
    return found


def memory_child(pipeline: str, path: str) -> None:
    """Run in a fresh interpreter: the peak resident memory one pipeline adds. ru_maxrss would carry
    the parent's peak over fork and exec, so the peak (VmHWM) is reset through clear_refs first."""
    data = Path(path).read_bytes()
    from PIL import Image  # noqa: F401  (imports and the input count in the baseline)

    import tracker.imaging  # noqa: F401

    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current VmRSS
    before = _proc_status_mib("VmRSS")
    PIPELINES[pipeline](data)
    peak = _proc_status_mib("VmHWM")
    _common.send_result({"baseline_mib": before, "peak_mib": peak, "added_mib": peak - before})


def peak_memory(pipeline: str, data: bytes, folder: Path) -> dict[str, float]:
    path = folder / f"input-{len(data)}.jpg"
    path.write_bytes(data)
    found, done = _common.run_child(__file__, ["--memory-child", pipeline, str(path)])
    if done.returncode or found is None:
        raise RuntimeError(f"the memory child of {pipeline} failed ({done.returncode}): {done.stdout[-500:]}")
    return found


# --- Timing ---------------------------------------------------------------------------------------------

def summary(samples: list[float]) -> dict[str, Any]:
    ordered = sorted(samples)
    p90 = statistics.quantiles(ordered, n=10, method="inclusive")[8] if len(ordered) > 1 else ordered[0]
    p99 = _common.nearest_rank(ordered, 0.99)
    return {"runs": len(ordered), "median_ms": statistics.median(ordered) * 1000, "p90_ms": p90 * 1000,
            "p99_ms": p99 * 1000,
            "min_ms": ordered[0] * 1000, "max_ms": ordered[-1] * 1000,
            "samples_ms": [round(s * 1000, 2) for s in samples]}


def interleaved(cases: dict[str, Callable[[], Any]], runs: int, warmup: int = 1) -> dict[str, list[float]]:
    """Each round runs every case once, so that a busy machine slows all of them alike."""
    for _ in range(warmup):
        for fn in cases.values():
            fn()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, fn in cases.items():
            started = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - started)
    return samples


def profile(fn: Callable[[], Any], title: str, repeat: int = 3, top: int = 14) -> str:
    table = _common.own_time_table(_common.profiled(fn, repeat), top)
    text = f"\n=== cProfile: {title} ({repeat} runs, by own time) ===\n" + table
    print(text)
    return text


# --- Django, for the upload -------------------------------------------------------------------------

def setup_django(folder: Path, use_sqlite: bool, state: dict[str, Any]) -> None:
    """Django on a throwaway database, described in `state` (which teardown_django reads, even when
    this fails half-way)."""
    os.environ["REDIS_URL"] = ""  # no server needed: file cache, and the publish is stubbed below
    if use_sqlite:
        os.environ.update(_common.settings_test_env(f"sqlite:///{folder / 'bench.sqlite3'}", folder))
        state["database"] = f"SQLite file in a temporary folder ({folder / 'bench.sqlite3'})"
    else:
        base = _common.postgres_base()
        name = _common.throwaway_name("tend_bench")
        _common.create_database(base, name)
        state.update(postgres=base, postgres_database=name,
                     database=f"PostgreSQL, throwaway database {name} (created and dropped by this run)")
        os.environ.update(_common.settings_test_env(f"{base}/{name}", folder, name))
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()
    _common.migrate()


def teardown_django(state: dict[str, Any]) -> None:
    name = state.get("postgres_database")
    if not name:
        return
    _common.drop_database(state["postgres"], name)
    print(f"Dropped {name}", flush=True)


def upload_bench(data: bytes, runs: int) -> tuple[dict[str, Any], Callable[[], Any]]:
    from django.test import Client
    from django.test.client import encode_multipart
    from django.utils import timezone

    from tests.conftest import make_course, make_patient, make_staff
    from tracker import queue
    from tracker.models import Photo, Role
    from tracker.services.auth import token_issue

    queue.publish = lambda *args: None  # the broker publish: excluded
    physician = make_staff("bench_physician", Role.PHYSICIAN)
    nurse = make_staff("bench_nurse", Role.NURSE)
    patient, user = make_patient(name="Bench Patient", username="bench_patient", tz="America/Denver",
                                 team=[physician, nurse])
    course = make_course(patient, physician)
    _, token = token_issue(user=user)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    boundary = "BenchBoundary7MA4YWxkTrZu0gW"

    class Upload:
        def __init__(self) -> None:
            self.body = b""

        def prepare(self) -> None:
            from django.core.files.uploadedfile import SimpleUploadedFile

            fields = {"course": str(course.pk), "taken_at": timezone.now().isoformat(),
                      "image": SimpleUploadedFile("wound.jpg", data, content_type="image/jpeg")}
            self.body = encode_multipart(boundary, fields)

        def post(self) -> None:
            response = client.generic("POST", "/api/v1/photos/", self.body,
                                      content_type=f"multipart/form-data; boundary={boundary}")
            if response.status_code != 202:
                raise RuntimeError(f"upload answered {response.status_code}: {response.content[:300]!r}")

    upload = Upload()
    for _ in range(3):  # warm-up: connections, imports, first-request work
        upload.prepare()
        upload.post()
    samples: list[float] = []
    for _ in range(runs):
        upload.prepare()  # encoding the body is the client's work: outside the timer
        started = time.perf_counter()
        upload.post()
        samples.append(time.perf_counter() - started)
    assert Photo.objects.count() == runs + 3

    def one() -> None:
        upload.prepare()
        upload.post()

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        one()
    return {"upload": samples, "queries": len(queries.captured_queries)}, one


# --- Report -------------------------------------------------------------------------------------------

def versions() -> dict[str, str | None]:
    return {"python": platform.python_version(), **_common.package_versions(
        ("pillow", "pillow-heif", "django", "djangorestframework", "psycopg"))}


def row(name: str, s: dict[str, Any]) -> str:
    return (f"{name:<38} {s['runs']:>4} {s['median_ms']:>9.1f} {s['p90_ms']:>9.1f} "
            f"{s['min_ms']:>9.1f} {s['max_ms']:>9.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    parser.add_argument("--sqlite", action="store_true", help="upload against SQLite, not PostgreSQL")
    parser.add_argument("--profile", action="store_true", help="profile even when the goals are met")
    parser.add_argument("--output", type=Path, help="where to write the figures (default "
                        "bench/results/photos.json; photos-quick.json for --quick)")
    parser.add_argument("--memory-child", nargs=2, metavar=("PIPELINE", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(*args.memory_child)
        return 0

    runs_12, runs_48, runs_upload, runs_split = (5, 2, 10, 5) if args.quick else (15, 5, 30, 15)
    folder = Path(tempfile.mkdtemp(prefix="tend-bench-"))
    state: dict[str, Any] = {}
    try:
        from PIL import Image

        from tests import images
        from tracker import imaging

        load_before = _common.load_average()
        print("Making the inputs ...", flush=True)
        photo_12 = images.detailed_phone_jpeg(4032, 3024, orientation=6)
        photo_48 = images.detailed_phone_jpeg(8000, 6000, orientation=6)
        inputs = {
            "12mp": {"stored": "4032x3024", "bytes": len(photo_12)},
            "48mp": {"stored": "8000x6000", "bytes": len(photo_48)},
        }
        full_r, thumb_r = render_pipeline(photo_12)
        full_m, thumb_m = minimal_pipeline(photo_12)
        outputs = {name: {"full": Image.open(io.BytesIO(f)).size, "thumbnail": Image.open(io.BytesIO(t)).size,
                          "full_bytes": len(f), "thumbnail_bytes": len(t)}
                   for name, (f, t) in {"render": (full_r, thumb_r), "minimal": (full_m, thumb_m)}.items()}

        print("Processing, 12 MP ...", flush=True)
        timings = {f"{k} 12 MP": v for k, v in interleaved(
            {"render": lambda: render_pipeline(photo_12), "minimal": lambda: minimal_pipeline(photo_12)},
            runs_12).items()}
        print("Processing, 48 MP ...", flush=True)
        timings.update({f"{k} 48 MP": v for k, v in interleaved(
            {"render": lambda: render_pipeline(photo_48), "minimal": lambda: minimal_pipeline(photo_48)},
            runs_48).items()})
        print("Upload validation against a full decode ...", flush=True)
        max_bytes = 25 * 1024 * 1024
        timings.update(interleaved({
            "inspect_upload 12 MP": lambda: imaging.inspect_upload(photo_12, max_bytes=max_bytes),
            "full decode 12 MP (open + load)": lambda: full_decode(photo_12),
        }, runs_split))
        print("Peak memory, each pipeline in a fresh process ...", flush=True)
        memory = {f"{pipeline} {label}": peak_memory(pipeline, data, folder)
                  for label, data in (("12 MP", photo_12), ("48 MP", photo_48))
                  for pipeline in ("render", "minimal")}

        print("Upload requests (Django test client) ...", flush=True)
        setup_django(folder, args.sqlite, state)
        upload_samples, one_upload = upload_bench(photo_12, runs_upload)
        timings["upload POST /api/v1/photos/ 12 MP"] = upload_samples["upload"]
        load_after = _common.load_average()

        stats = {name: summary(samples) for name, samples in timings.items()}
        ratio_12 = stats["render 12 MP"]["median_ms"] / stats["minimal 12 MP"]["median_ms"]
        ratio_48 = stats["render 48 MP"]["median_ms"] / stats["minimal 48 MP"]["median_ms"]
        upload_ms = stats["upload POST /api/v1/photos/ 12 MP"]["median_ms"]
        inspect_ms = stats["inspect_upload 12 MP"]["median_ms"]
        decode_ms = stats["full decode 12 MP (open + load)"]["median_ms"]

        print()
        print(f"Tend photo benchmark  {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC  Python "
              f"{platform.python_version()}  Pillow {Image.__version__}  {os.cpu_count()} CPUs  "
              f"load {load_before[0]:.1f} -> {load_after[0]:.1f}")
        print(f"Inputs: 12 MP stored 4032x3024 JPEG q90, {len(photo_12) / 1e6:.2f} MB; 48 MP stored "
              f"8000x6000, {len(photo_48) / 1e6:.2f} MB; both EXIF orientation 6 + GPS + XMP + "
              f"comment + sRGB ICC.")
        print(f"Outputs (12 MP): render full {outputs['render']['full']} thumbnail "
              f"{outputs['render']['thumbnail']}; minimal full {outputs['minimal']['full']} thumbnail "
              f"{outputs['minimal']['thumbnail']}.")
        print(f"Upload database: {state['database']}; {upload_samples['queries']} queries per upload. "
              f"Broker publish stubbed (excluded); the enqueue's database update included.")
        print()
        print(f"{'case (ms)':<38} {'runs':>4} {'median':>9} {'p90':>9} {'min':>9} {'max':>9}")
        for name, s in stats.items():
            print(row(name, s))
        print()
        print(f"{'peak memory (MiB, fresh process)':<38} {'added':>9} {'peak':>9} {'baseline':>9}")
        for name, m in memory.items():
            print(f"{name:<38} {m['added_mib']:>9.1f} {m['peak_mib']:>9.1f} {m['baseline_mib']:>9.1f}")
        print()
        verdict_ratio = "OK" if ratio_12 <= GOAL_RATIO else "MISSED"
        verdict_upload = "OK" if upload_ms < GOAL_UPLOAD_MS else "MISSED"
        min_ratio_12 = stats["render 12 MP"]["min_ms"] / stats["minimal 12 MP"]["min_ms"]
        min_ratio_48 = stats["render 48 MP"]["min_ms"] / stats["minimal 48 MP"]["min_ms"]
        print(f"render / minimal, 12 MP: {ratio_12:.2f} of medians, {min_ratio_12:.2f} of minima  "
              f"(goal <= {GOAL_RATIO})  {verdict_ratio}")
        print(f"render / minimal, 48 MP: {ratio_48:.2f} of medians, {min_ratio_48:.2f} of minima")
        print(f"upload median: {upload_ms:.1f} ms  (goal < {GOAL_UPLOAD_MS:.0f} ms)  {verdict_upload}; "
              f"that is {upload_ms / decode_ms:.2f} x a full decode of the same file measured in this run "
              f"(a busy machine slows both alike)")
        print(f"inspect_upload / full decode: {inspect_ms / decode_ms:.2f}  "
              f"({inspect_ms:.1f} ms against {decode_ms:.1f} ms); the upload's other work "
              f"(HTTP, multipart, storage, row, audit) about {upload_ms - inspect_ms:.1f} ms")

        profiles = []
        if args.profile or ratio_12 > GOAL_RATIO:
            profiles.append(profile(lambda: render_pipeline(photo_12), "render 12 MP"))
            profiles.append(profile(lambda: minimal_pipeline(photo_12), "minimal 12 MP"))
        if args.profile or upload_ms >= GOAL_UPLOAD_MS:
            profiles.append(profile(one_upload, "upload request 12 MP", repeat=5))

        target = args.output or (QUICK_RESULTS if args.quick else RESULTS)
        _common.write_json(target, {
            "argv": _common.command_argv(__file__),
            "at": dt.datetime.now(dt.UTC).isoformat(), "python": platform.python_version(),
            "pillow": Image.__version__, "cpus": os.cpu_count(), "quick": args.quick,
            "machine": _common.machine(), "versions": versions(),
            "load_average": {"before": load_before, "after": load_after},
            "inputs": inputs, "outputs_12mp": outputs, "upload_database": state["database"],
            "upload_queries": upload_samples["queries"],
            "upload_enqueue": "broker publish stubbed (excluded); enqueued_at update included",
            "timings": stats, "peak_memory_mib": memory,
            "ratios": {"render_over_minimal_12mp": ratio_12, "render_over_minimal_48mp": ratio_48,
                       "render_over_minimal_12mp_minima": min_ratio_12,
                       "render_over_minimal_48mp_minima": min_ratio_48,
                       "inspect_over_full_decode_12mp": inspect_ms / decode_ms,
                       "upload_over_full_decode_12mp": upload_ms / decode_ms},
            "goals": {"render_over_minimal_12mp_max": GOAL_RATIO, "upload_median_ms_max": GOAL_UPLOAD_MS,
                      "ratio_met": ratio_12 <= GOAL_RATIO, "upload_met": upload_ms < GOAL_UPLOAD_MS},
            "profiles": profiles,
        })
        print(f"\nWritten to {target}")
        return 0
    finally:
        if state:
            teardown_django(state)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
