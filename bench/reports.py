"""Benchmark: rendering a 12-week progress report (issue 4, point 7). Not a test.

Run it from the repository root (PostgreSQL on 127.0.0.1:5432 as `postgres`, like the tests):

    .venv/bin/pip install -r requirements-bench.txt
    .venv/bin/python bench/reports.py                 # about 3 minutes on 2 cores
    .venv/bin/python bench/reports.py --renders 5 --skip weasyprint --output bench/results/reports-quick.json

What it does:
1. Creates a throwaway database `tend_bench_<random>` and a temporary TEND_DATA_DIR, migrates,
   and builds the issue's scenario through Tend's own services, with a clock that travels day by
   day: a 12-week course, 84 applications, 84 symptom entries, 24 phone photos (2 a week) uploaded
   and processed by `photo_process` (so the thumbnails are real stored JPEGs) and reviewed by a
   nurse, 3 debridements and the alerts those records raise. Both are dropped at the end.
2. Renders the report in fresh, warm worker processes (one per variant: imports and fonts are warmed
   by a first render that is not counted), N times each through `report_render`, with a new Report
   row each time; median and p90 wall time, peak RSS of the process (ru_maxrss), and the tracemalloc
   peak of one render. For Tend's pipeline, a second instrumented pass splits the time into data
   (gather, summary), charts (building the Drawings, drawing them), images (reading thumbnails from
   storage, embedding them) and PDF layout/build, by wrapping the module functions at run time.
3. Compares libraries: ReportLab with and without its C accelerator (rl_accel hidden from the import
   in a subprocess), matplotlib charts instead of the native ones, WeasyPrint (HTML/CSS, inline SVG)
   instead of ReportLab, each in its own process; then the variants interleaved in ONE process
   (there, without rl_accel means ReportLab's own Python versions of the accelerated functions
   swapped in for the C ones), since the machine's speed drifts by about 25 % between processes.
4. Prints a table and writes bench/results/reports.json, with the command line that ran.

The app code is not changed: the variants swap module attributes in the worker process only.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import html
import io
import math
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import _common, goals  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "reports.json"
MB = 1024 * 1024
WEEKS = 12
DAYS = WEEKS * 7
PHOTOS_PER_WEEK = 2
GOAL_MEDIAN_S = goals.REPORT_MS_MAX / 1000
GOAL_PEAK_RSS_MB = goals.REPORT_RSS_MB_MAX
CHART_DPI = 150  # matplotlib charts are PNGs at this resolution (print quality; not vectors)

VARIANTS = {
    "tend": "Tend: ReportLab + rl_accel, native charts, stored JPEGs",
    "noaccel": "ReportLab without rl_accel (useA85=0 as Tend sets)",
    "noaccel-a85": "ReportLab without rl_accel, useA85=1 (its defaults)",
    "tend-noshapecheck": "what-if: rl_config.shapeChecking = 0",
    "matplotlib": "ReportLab + matplotlib charts (OO API, Agg, PNG)",
    "weasyprint": "WeasyPrint: HTML/CSS, inline SVG charts",
}
# The variants the interleaved worker can switch between in one process.
IN_PROCESS = ("tend", "noaccel", "noaccel-a85", "matplotlib", "weasyprint")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _proc_status_mb(field: str) -> float | None:
    found = _common.proc_status_mib(field)
    return None if found is None else round(found, 1)


def vm_hwm_mb() -> float | None:
    """The peak RSS of this process's own address space (Linux), as a cross-check of ru_maxrss,
    which Linux carries over from the parent through fork and exec."""
    return _proc_status_mb("VmHWM")


def rss_now_mb() -> float | None:
    return _proc_status_mb("VmRSS")


def stats_ms(samples: list[float], cpu: list[float]) -> dict[str, Any]:
    """Wall-time figures, and the median CPU time of this process (steadier on a busy machine;
    it leaves out PostgreSQL's own time)."""
    ordered = sorted(samples)
    p90 = _common.nearest_rank(ordered, 0.9)
    return {"median_ms": round(statistics.median(ordered) * 1000, 1), "p90_ms": round(p90 * 1000, 1),
            "min_ms": round(ordered[0] * 1000, 1), "max_ms": round(ordered[-1] * 1000, 1),
            "cpu_median_ms": round(statistics.median(cpu) * 1000, 1),
            "samples_ms": [round(s * 1000, 1) for s in samples]}


# ---------------------------------------------------------------------------------------------
# The parent: database, scenario, workers, table.
# ---------------------------------------------------------------------------------------------

def _phone_photo(index: int) -> bytes:
    """A 12 MP phone JPEG (EXIF orientation, GPS, ICC...), a little different each time so that
    no two thumbnails are equal (ReportLab stores identical images once)."""
    from tests.images import phone_jpeg

    return phone_jpeg(4032 - 16 * index, 3024 - 12 * index, orientation=6)


def build_scenario() -> dict[str, Any]:
    """The issue's 12-week course, recorded through Tend's services as it would have happened."""
    from concurrent.futures import ProcessPoolExecutor

    import time_machine
    from django.core.files.storage import default_storage

    from tests.conftest import make_course, make_patient, make_staff
    from tracker import clock, queue
    from tracker.models import Alert, Application, Debridement, Photo, Review, Role, SymptomEntry
    from tracker.services import alerts, photos, records, reviews

    queue.enqueue = lambda *args: False  # no broker here: photos are processed inline below
    zone = clock.zone("America/Denver")
    today = clock.today_in("America/Denver")
    start = today - dt.timedelta(days=DAYS)
    rng = random.Random(4)

    def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(start + dt.timedelta(days=day), dt.time(hour, minute), zone)

    @contextmanager
    def moment(instant: dt.datetime) -> Iterator[None]:
        with time_machine.travel(instant + dt.timedelta(minutes=1), tick=False):
            yield

    log(f"Generating {WEEKS * PHOTOS_PER_WEEK} phone photos (12 MP JPEGs)...")
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        uploads = list(pool.map(_phone_photo, range(WEEKS * PHOTOS_PER_WEEK)))

    with moment(at(0, 8)):
        physician = make_staff("bench_physician", Role.PHYSICIAN)
        nurse = make_staff("bench_nurse", Role.NURSE)
        patient, patient_user = make_patient(name="Helen Mercer", username="bench_helen",
                                             tz="America/Denver", team=[physician, nurse])
        course = make_course(patient, physician, days_ago=0)

    events: list[tuple[dt.datetime, Callable[[], None]]] = []

    def event(instant: dt.datetime) -> Callable[[Callable[[], None]], Callable[[], None]]:
        def add(action: Callable[[], None]) -> Callable[[], None]:
            events.append((instant, action))
            return action
        return add

    for day, method, nodules in ((0, "excisional", 4), (28, "sharp", 1), (56, "sharp", 2)):
        when = at(day, 10, 30)
        event(when)(lambda when=when, method=method, nodules=nodules: records.record_create(
            kind=records.DEBRIDEMENT, recorded_by=physician, course=course, data={
                "performed_at": when, "method": method, "nodules_removed": nodules,
                "specimen_sent": method == "excisional",
                "notes": "Calcified nodules removed at the distal scar."}))
    skipped = {9: "Visiting my daughter", 23: "Skin felt too sore", 38: "Ran out of the emulsion",
               61: "Forgot"}
    for day in range(DAYS):
        progress = day / DAYS
        when = at(day, 20, rng.randint(0, 50))
        data: dict[str, Any] = {"applied_at": when, "status": "applied"}
        if day in skipped:
            data.update(status="skipped", skip_reason=skipped[day])
        event(when)(lambda data=data: records.record_create(
            kind=records.APPLICATION, recorded_by=patient_user, course=course, data=data))
        fever = day == 40
        symptom = {
            "recorded_at": at(day, 21), "fever": fever, "redness_spreading": False,
            "pain": 8 if fever else max(0, min(10, round(6 - 4 * progress + rng.uniform(-1, 1)))),
            "itch": max(0, min(10, round(5 - 3.5 * progress + rng.uniform(-1, 1)))),
            "drainage": "cloudy" if fever else ("clear" if progress < 0.3 else "none"),
            "notes": "Warm and throbbing tonight." if fever else "",
        }
        event(symptom["recorded_at"])(lambda symptom=symptom: records.record_create(
            kind=records.SYMPTOM, recorded_by=patient_user, course=course, data=symptom))
    event(at(41, 9))(lambda: [alerts.alert_acknowledge(alert=a, by=nurse)
                              for a in Alert.objects.filter(course=course, status="open")])
    for index, upload in enumerate(uploads):
        day = 7 * (index // PHOTOS_PER_WEEK) + (1 if index % PHOTOS_PER_WEEK == 0 else 4)
        progress = index / (len(uploads) - 1)

        def photo_and_review(index: int = index, upload: bytes = upload, day: int = day,
                             progress: float = progress) -> None:
            photo, _ = photos.photo_upload(course=course, uploaded_by=nurse, data=upload,
                                           taken_at=at(day, 10), note=f"Visit photo {index + 1}")
            photo = photos.photo_process(photo_id=photo.pk)
            reviews.review_create(photo=photo, reviewer=nurse, data={
                "length_cm": f"{4.2 - 1.6 * progress + rng.uniform(-0.1, 0.1):.1f}",
                "width_cm": f"{3.1 - 1.3 * progress + rng.uniform(-0.1, 0.1):.1f}",
                "exudate": "moderate" if progress < 0.3 else ("light" if progress < 0.7 else "none"),
                "tissue_type": ("slough" if progress < 0.25
                                else "granulation" if progress < 0.8 else "epithelial"),
                "signs_of_infection": False, "flag_for_physician": index == 9,
                "comment": ("" if index % 2 else
                            f"Edges {'rolled' if progress < 0.5 else 'flattening'}; chalky "
                            f"fragments {'visible' if progress < 0.6 else 'fewer'}; dressing "
                            "changed, emulsion applied."),
            })
        event(at(day, 10))(photo_and_review)

    log(f"Recording {len(events)} events through the services, day by day...")
    started = time.perf_counter()
    for instant, action in sorted(events, key=lambda e: e[0]):
        with moment(instant):
            action()
    log(f"  done in {time.perf_counter() - started:.1f} s")

    ready = Photo.objects.filter(course=course, status="ready")
    thumbs = [default_storage.size(p.thumbnail_name) for p in ready]
    return {
        "course_id": str(course.pk), "period_start": start.isoformat(),
        "period_end": (start + dt.timedelta(days=DAYS - 1)).isoformat(),
        "applications": Application.objects.filter(course=course).count(),
        "symptom_entries": SymptomEntry.objects.filter(course=course).count(),
        "photos_ready": len(thumbs), "reviews": Review.objects.filter(course=course).count(),
        "debridements": Debridement.objects.filter(course=course).count(),
        "alerts": Alert.objects.filter(course=course).count(),
        "upload_mb_mean": round(statistics.mean(len(u) for u in uploads) / MB, 2),
        "thumbnail_kb_mean": round(statistics.mean(thumbs) / 1024, 1),
    }


def run_worker(env: dict[str, str], variant: str, args: argparse.Namespace,
               scenario: dict[str, Any], *, interleave: list[str] | None = None) -> dict[str, Any]:
    command = ["--child", variant, "--course", scenario.get("course_id", ""), "--renders", str(args.renders)]
    if interleave:
        command += ["--interleave", ",".join(interleave)]
    if args.save_pdfs:
        command += ["--save-pdfs", str(args.save_pdfs)]
    log(f"Worker process: {variant}{' (' + ', '.join(interleave) + ')' if interleave else ''}...")
    found, done = _common.run_child(Path(__file__).resolve(), command, env)
    if done.returncode or found is None:
        return {"error": f"worker exited with {done.returncode}", "variant": variant}
    return {**found, "load_after": _common.load_average()}


def parent_main(args: argparse.Namespace) -> int:
    base = _common.postgres_base()
    name = _common.throwaway_name("tend_bench")
    data_dir = tempfile.mkdtemp(prefix="tend-bench-")
    env = dict(os.environ, **_common.settings_test_env(f"{base}/{name}", data_dir, name),
               PYTHONPATH=str(ROOT))
    os.environ.update(env)
    log(f"Database {name}, private storage in {data_dir}; load average {_common.load_average()} on "
        f"{os.cpu_count()} CPUs")
    load_before = _common.load_average()
    _common.create_database(base, name)
    try:
        # The parent stays small and never imports Django: Linux hands a parent's peak RSS down to
        # its children's ru_maxrss, so the scenario (12 MP photos) is built in a process of its own.
        scenario = run_worker(env, "setup", args, {})
        if "error" in scenario:
            raise SystemExit("building the scenario failed")
        workers: dict[str, dict[str, Any]] = {}
        for variant in VARIANTS:
            if not skipped(variant, args.skip):
                workers[variant] = run_worker(env, variant, args, scenario)
        interleave = [v for v in IN_PROCESS
                      if not skipped(v, args.skip) and "error" not in workers.get(v, {})]
        same = run_worker(env, "interleaved", args, scenario, interleave=interleave)
        control = run_worker(env, "tend", args, scenario)  # Tend again: the spread between processes
    finally:
        _common.drop_database(base, name)
        shutil.rmtree(data_dir, ignore_errors=True)
        log(f"Dropped {name} and removed {data_dir}")
    scenario["load_before"] = load_before

    result = summarise(args, scenario, workers, same, control)
    target = args.output or RESULTS
    _common.write_json(target, result)
    print_table(result)
    print(f"\nWritten to {target}")
    return 0


def skipped(variant: str, skip: list[str]) -> bool:
    return variant in skip or (variant.startswith("noaccel") and "noaccel" in skip)


def _ratios(entry: dict[str, Any], base: dict[str, Any]) -> None:
    if "median_ms" in entry and base.get("median_ms"):
        entry["ratio_vs_tend"] = round(entry["median_ms"] / base["median_ms"], 2)
        entry["cpu_ratio_vs_tend"] = round(entry["cpu_median_ms"] / base["cpu_median_ms"], 2)


def summarise(args: argparse.Namespace, scenario: dict[str, Any], workers: dict[str, dict[str, Any]],
              same: dict[str, Any], control: dict[str, Any]) -> dict[str, Any]:
    tend = workers.get("tend", {})
    per_process = {}
    for variant, found in workers.items():
        entry = {"label": VARIANTS[variant], **found}
        _ratios(entry, tend)
        per_process[variant] = entry
    _ratios(control, tend)
    in_one = same.get("variants", {})
    for found in in_one.values():
        _ratios(found, in_one.get("tend", {}))
    median_s = tend.get("median_ms", 1e9) / 1000
    meets = median_s < GOAL_MEDIAN_S and tend.get("peak_rss_mb", 1e9) < GOAL_PEAK_RSS_MB
    growth, after = tend.get("rss_growth_mb_per_render"), tend.get("rss_after_each_render_mb") or [None]
    # Renders after which a worker that never runs a full garbage collection passes the RSS goal.
    exceed = (math.ceil((GOAL_PEAK_RSS_MB - after[-1]) / growth) + len(after) - 1
              if growth and growth > 0.5 and after[-1] else None)
    cpus = os.cpu_count() or 1
    busy = max([*scenario.get("load_before", [0]), *control.get("load_after", [0])]) > cpus
    return {
        "benchmark": "bench/reports.py",
        "argv": _common.command_argv(__file__),
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), **_common.machine(),
                    "load_average_before": scenario.get("load_before"),
                    "load_average_after": control.get("load_after"), "busy": busy,
                    **tend.get("versions", {})},
        "renders_per_variant": args.renders,
        "goals": {"median_s": GOAL_MEDIAN_S, "peak_rss_mb": GOAL_PEAK_RSS_MB, "met": meets,
                  "rss_goal_passed_after_renders": exceed},
        "scenario": scenario,
        "tend": tend,
        "per_process": per_process,
        "tend_control_process": control,
        "same_process": same,
        "notes": [
            "Wall times are medians of N renders of report_render in a warm worker (the first render, "
            "which loads fonts and caches, is first_render_ms and not counted); p90 is nearest-rank.",
            "cpu_median_ms is the worker's own CPU time per render (time.process_time): steadier than "
            "wall time when other processes share the CPUs, but without PostgreSQL's time.",
            "Per-process ratios compare figures from different processes; the machine's speed swings "
            "by about 25 % between processes (compare tend with tend_control_process). The "
            "same_process block interleaves the variants in one process, in random order: use its "
            "ratios to compare them. There, noaccel and noaccel-a85 swap ReportLab's own Python "
            "versions of the rl_accel functions in for the C ones (rl_accel_swapped counts the "
            "module and class attributes replaced) instead of hiding the C module from the import.",
            "peak_rss_mb is the worker's ru_maxrss after its renders (Django and imports included; the "
            "parent that starts the workers stays small, since Linux carries a parent's peak RSS into "
            "its children's ru_maxrss); vm_hwm_mb is the same from /proc; tracemalloc_peak_mb is the "
            "Python-level allocation peak of one render alone (C buffers of Pillow are not traced).",
            "matplotlib replaces the 3 line charts (pain/itch, area, PUSH); the heat map stays native.",
            "weasyprint renders an HTML/CSS equivalent written in this file (same sections, inline "
            "SVG charts, thumbnails as JPEG data URIs); it needs the system's pango.",
            "Tend hands ReportLab each stored thumbnail's file path (tracker.reports.pdf._image_source), "
            "so ReportLab embeds the JPEG without decoding it; rss_growth_mb_per_render is the RSS "
            "each render leaves behind in a worker, which should stay near 0.",
            "tend-noshapecheck is a what-if: with rl_config.shapeChecking = 0 (set before ReportLab's "
            "graphics are imported), chart shapes skip the validation of every attribute they set.",
        ],
    }


def _row(cells: list[str], widths: list[int]) -> str:
    pairs = enumerate(zip(cells, widths, strict=True))
    return "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in pairs)


def print_table(result: dict[str, Any]) -> None:
    s, tend, machine = result["scenario"], result["tend"], result["machine"]
    print(f"\nProgress report of a {WEEKS}-week course: {s['applications']} applications, "
          f"{s['symptom_entries']} symptom entries, {s['photos_ready']} reviewed photos "
          f"(thumbnails {s['thumbnail_kb_mean']} KB on average), {s['debridements']} debridements, "
          f"{s['alerts']} alerts; {result['renders_per_variant']} renders per variant, warm workers.")
    print(f"Load average {machine['load_average_before']} before, {machine['load_average_after']} after, "
          f"on {machine['cpus']} CPUs" + ("  << BUSY MACHINE: wall times are inflated; compare the CPU "
                                         "times and the same-process ratios" if machine["busy"] else ""))
    if "median_ms" not in tend:
        print("Tend's worker failed:", tend.get("error"))
        return
    goals = result["goals"]
    print(f"\nTend (report_render): median {tend['median_ms']:.0f} ms, p90 {tend['p90_ms']:.0f} ms "
          f"(goal < {goals['median_s'] * 1000:.0f} ms), CPU {tend['cpu_median_ms']:.0f} ms; "
          f"first render {tend['first_render_ms']:.0f} ms")
    print(f"  peak RSS {tend['peak_rss_mb']:.0f} MB after {result['renders_per_variant'] + 1} renders "
          f"(goal < {goals['peak_rss_mb']} MB; {tend['rss_before_render_mb']:.0f} MB before the first "
          f"render; {tend['rss_growth_mb_per_render']} MB left behind per render), tracemalloc peak of one "
          f"render {tend['tracemalloc_peak_mb']:.1f} MB; PDF {tend['pdf_pages']} pages, "
          f"{tend['pdf_kb']:.0f} KB; rl_accel is the C version: {tend['rl_accel_c']}; "
          f"goals met: {goals['met']}")
    if goals["rss_goal_passed_after_renders"]:
        print(f"  !! at that rate a worker passes {goals['peak_rss_mb']} MB after about "
              f"{goals['rss_goal_passed_after_renders']} renders, unless a full garbage collection runs")
    split = tend["split"]
    print(f"\nWhere the time goes (median per render, instrumented pass; total {split['total_ms']:.0f} ms "
          f"wall, {split['total_cpu_ms']:.0f} ms CPU):")
    widths = [46, 8, 6, 8, 6]
    print(_row(["part", "wall ms", "share", "CPU ms", "share"], widths))
    for key, label in (("data_gather", "data: gather (queries, adherence)"),
                       ("data_summary", "data: summary"),
                       ("charts_build", f"charts: build the {split['charts']} Drawings"),
                       ("charts_draw", "charts: draw them into the PDF"),
                       ("images_read", f"images: read {split['thumbnails']} thumbnails"),
                       ("images_embed", f"images: embed them ({split['images_embedded']} drawImage)"),
                       ("pdf_layout", "PDF layout/build (the rest of render_pdf)"),
                       ("other", "other: claim, store the PDF, update the row")):
        print(_row([label, f"{split[key + '_ms']:.1f}", f"{split[key + '_share']:.0%}",
                    f"{split[key + '_cpu_ms']:.1f}", f"{split[key + '_cpu_share']:.0%}"], widths))

    print("\nLibraries, each in its own warm worker process:")
    widths = [55, 6, 6, 5, 5, 5, 6, 6, 6, 6, 5, 4]
    print(_row(["variant", "median", "p90", "ratio", "CPU", "ratio", "RSS MB", "+/rend", "traced",
                "import", "pages", "KB"], widths))
    rows = dict(result["per_process"])
    if "median_ms" in result["tend_control_process"]:
        rows["control"] = {**result["tend_control_process"], "label": "Tend again, last process (control)"}
    for variant, found in rows.items():
        if "median_ms" not in found:
            print(_row([found.get("label", variant), "failed", *[""] * 10], widths))
            continue
        print(_row([found["label"], f"{found['median_ms']:.0f}", f"{found['p90_ms']:.0f}",
                    f"{found.get('ratio_vs_tend', 1):.2f}", f"{found['cpu_median_ms']:.0f}",
                    f"{found.get('cpu_ratio_vs_tend', 1):.2f}", f"{found['peak_rss_mb']:.0f}",
                    f"{found['rss_growth_mb_per_render']}", f"{found['tracemalloc_peak_mb']:.1f}",
                    f"{found.get('import_ms', 0):.0f}",
                    str(found["pdf_pages"]), f"{found['pdf_kb']:.0f}"], widths))
    print("  ms; ratio = median / Tend's median (wall, then CPU); RSS = peak RSS of the worker; "
          "+/rend = MB of RSS each render leaves behind;\n  traced = tracemalloc peak (MB) of one "
          "render; import = the library's first import (ms)")

    same = result["same_process"]
    if "variants" in same:
        print(f"\nVariants interleaved in ONE worker ({same['rounds']} rounds, random order):")
        widths = [55, 6, 6, 9, 5, 5, 5]
        print(_row(["variant", "median", "p90", "min-max", "ratio", "CPU", "ratio"], widths))
        for variant, found in same["variants"].items():
            print(_row([VARIANTS[variant], f"{found['median_ms']:.0f}", f"{found['p90_ms']:.0f}",
                        f"{found['min_ms']:.0f}-{found['max_ms']:.0f}",
                        f"{found['ratio_vs_tend']:.2f}", f"{found['cpu_median_ms']:.0f}",
                        f"{found['cpu_ratio_vs_tend']:.2f}"], widths))
        charts = same.get("chart")
        if charts:
            print(f"\nOne pain/itch chart ({charts['points_per_series']} days x 2 series), median of "
                  f"{charts['repeats']} in that worker:")
            widths = [52, 8, 8]
            print(_row(["", "wall ms", "CPU ms"], widths))
            for key, label in (("native_build", "ReportLab native: build the Drawing"),
                               ("native_pdf", "ReportLab native: build + draw, one-page PDF"),
                               ("matplotlib_png", f"matplotlib: Figure + savefig PNG ({CHART_DPI} dpi)"),
                               ("matplotlib_pdf", "matplotlib: PNG + embed, one-page PDF"),
                               ("svg_string", "SVG string for WeasyPrint (build only)")):
                if key + "_ms" in charts:
                    print(_row([label, f"{charts[key + '_ms']:.1f}", f"{charts[key + '_cpu_ms']:.1f}"],
                               widths))
    elif same.get("error"):
        print("\nThe interleaved worker failed:", same["error"])


# ---------------------------------------------------------------------------------------------
# The worker: one warm process that renders the report N times.
# ---------------------------------------------------------------------------------------------

class Patches:
    """Swap module or class attributes for a while, and put them back."""

    def __init__(self) -> None:
        self._undo: list[tuple[Any, str, Any, bool]] = []

    def set(self, owner: Any, name: str, value: Any) -> None:
        self._undo.append((owner, name, getattr(owner, name), name in vars(owner)))
        setattr(owner, name, value)

    def undo(self) -> None:
        while self._undo:
            owner, name, old, own = self._undo.pop()
            if own:
                setattr(owner, name, old)
            else:
                delattr(owner, name)


class Split:
    """Accumulates the time spent in wrapped functions (they do not nest)."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.patches = Patches()

    def wrap(self, owner: Any, name: str, key: str) -> None:
        original = getattr(owner, name)
        totals, calls = self.totals, self.calls

        def timed(*args: Any, **kwargs: Any) -> Any:
            cpu = time.process_time()
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                totals[key] += time.perf_counter() - started
                totals[key + "@cpu"] += time.process_time() - cpu
                calls[key] += 1

        self.patches.set(owner, name, timed)

    def take(self) -> tuple[dict[str, float], dict[str, int]]:
        totals, calls = dict(self.totals), dict(self.calls)
        self.totals.clear()
        self.calls.clear()
        return totals, calls


def _rgb(colour: Any) -> tuple[float, float, float]:
    red, green, blue = colour.rgb()
    return (red, green, blue)


def mpl_chart_png(series: list[tuple[str, Any, list[tuple[int, float]]]], *, width: float,
                  height: float, y_max: float, language: str, y_step: float) -> bytes:
    """The same chart as Tend's `_line_chart`, drawn by matplotlib (OO API, Agg) as a PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from reportlab.lib.units import mm

    from tracker.reports import i18n

    figure = Figure(figsize=(width / 72, height / 72), dpi=CHART_DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((12 * mm / width, 10 * mm / height, (width - 16 * mm) / width,
                            (height - 16 * mm) / height))
    xs = [x for _, _, points in series for x, _ in points]
    lo, hi = min(xs), max(xs)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    for name, colour, points in series:
        axes.plot([x for x, _ in points], [y for _, y in points], color=_rgb(colour), linewidth=1.2,
                  marker="o", markersize=2.2, label=name)
    step = max(1, round((hi - lo) / 6))
    ticks = list(range(lo, hi + 1, step))
    axes.set_xlim(lo, hi)
    axes.set_xticks(ticks, [i18n.short_date(dt.date.fromordinal(t), language) for t in ticks])
    axes.set_ylim(0, y_max)
    axes.set_yticks([y_step * i for i in range(int(y_max // y_step) + 1)])
    axes.tick_params(labelsize=6)
    axes.grid(axis="y", color="#e4e7eb", linewidth=0.6)
    axes.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=len(series), fontsize=7,
                frameon=False, borderaxespad=0.2)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=CHART_DPI)
    return out.getvalue()


def mpl_line_chart(series: list[tuple[str, Any, list[tuple[int, float]]]], *, width: float,
                   height: float, y_max: float, language: str, y_step: float) -> Any:
    from reportlab.platypus import Image

    png = mpl_chart_png(series, width=width, height=height, y_max=y_max, language=language,
                        y_step=y_step)
    return Image(io.BytesIO(png), width=width, height=height)


# --- WeasyPrint: the same report as HTML/CSS ------------------------------------------------------

def _hex(colour: Any) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in _rgb(colour))


def svg_line_chart(series: list[tuple[str, Any, list[tuple[int, float]]]], *, width_mm: float,
                   height_mm: float, y_max: float, y_step: float, language: str) -> str:
    from tracker.reports import i18n

    left, top = 12.0, 6.0
    plot_w, plot_h = width_mm - 16, height_mm - 16
    xs = [x for _, _, points in series for x, _ in points]
    lo, hi = min(xs), max(xs)
    if lo == hi:
        lo, hi = lo - 1, hi + 1

    def px(x: float) -> float:
        return left + (x - lo) / (hi - lo) * plot_w

    def py(y: float) -> float:
        return top + plot_h - y / y_max * plot_h

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width_mm:.1f}mm" height="{height_mm:.1f}mm" '
           f'viewBox="0 0 {width_mm:.1f} {height_mm:.1f}" font-family="Helvetica" font-size="2.5">']
    tick = 0.0
    while tick <= y_max + 1e-9:
        out.append(f'<line x1="{left}" x2="{left + plot_w:.1f}" y1="{py(tick):.2f}" y2="{py(tick):.2f}" '
                   f'stroke="#e4e7eb" stroke-width="0.2"/><text x="{left - 1.5}" y="{py(tick) + 0.8:.2f}" '
                   f'text-anchor="end" fill="#52606d">{tick:g}</text>')
        tick += y_step
    step = max(1, round((hi - lo) / 6))
    for x in range(lo, hi + 1, step):
        label = i18n.short_date(dt.date.fromordinal(x), language)
        out.append(f'<text x="{px(x):.2f}" y="{top + plot_h + 4:.2f}" text-anchor="middle" '
                   f'fill="#52606d">{label}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{plot_w:.1f}" height="{plot_h:.1f}" fill="none" '
               'stroke="#1d2733" stroke-width="0.2"/>')
    legend_x = left
    for name, colour, points in series:
        colour_hex = _hex(colour)
        line = " ".join(f"{px(x):.2f},{py(y):.2f}" for x, y in points)
        out.append(f'<polyline points="{line}" fill="none" stroke="{colour_hex}" stroke-width="0.55"/>')
        out += [f'<circle cx="{px(x):.2f}" cy="{py(y):.2f}" r="0.5" fill="{colour_hex}"/>' for x, y in points]
        out.append(f'<rect x="{legend_x}" y="1" width="3" height="3" fill="{colour_hex}"/>'
                   f'<text x="{legend_x + 4}" y="3.5" font-size="2.8" fill="#1d2733">'
                   f'{html.escape(name)}</text>')
        legend_x += 6 + len(name) * 1.8
    out.append("</svg>")
    return "".join(out)


def svg_heatmap(data: Any, t: dict[str, str], language: str) -> str:
    from tracker.reports import i18n, pdf

    days = data.adherence.days
    first_monday = days[0].date - dt.timedelta(days=days[0].date.weekday())
    weeks = (days[-1].date - first_monday).days // 7 + 1
    cell, gap, label_w = 7.0, 1.0, 22.0
    height = weeks * (cell + gap) + 14
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="180mm" height="{height:.1f}mm" '
           f'viewBox="0 0 180 {height:.1f}" font-family="Helvetica" font-size="2.5">']
    for col, letter in enumerate(t["weekdays"]):
        out.append(f'<text x="{label_w + col * (cell + gap) + cell / 2}" y="3.5" text-anchor="middle" '
                   f'fill="#52606d">{letter}</text>')
    for day in days:
        row = (day.date - first_monday).days // 7
        col = day.date.weekday()
        x, y = label_w + col * (cell + gap), 6 + row * (cell + gap)
        if not day.expected:
            fill, letter = pdf.NOT_EXPECTED, ""
        elif day.applied >= day.expected:
            fill, letter = pdf.APPLIED, t["applied"][0]
        elif day.skipped:
            fill, letter = pdf.SKIPPED, t["skipped"][0]
        else:
            fill, letter = pdf.NOTHING, "-"
        out.append(f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{_hex(fill)}"/>')
        if letter:
            out.append(f'<text x="{x + cell / 2}" y="{y + 4.8}" text-anchor="middle" '
                       f'fill="#fff">{letter}</text>')
        if col == 0 or day is days[0]:
            label = i18n.short_date(day.date, language)
            out.append(f'<text x="0" y="{y + 4.8}" fill="#52606d">{label}</text>')
    x = label_w
    for fill, key in ((pdf.APPLIED, "applied"), (pdf.SKIPPED, "skipped"), (pdf.NOTHING, "nothing"),
                      (pdf.NOT_EXPECTED, "not_expected")):
        out.append(f'<rect x="{x}" y="{height - 5}" width="3" height="3" fill="{_hex(fill)}"/>'
                   f'<text x="{x + 4}" y="{height - 2.5}" fill="#52606d">{html.escape(t[key])}</text>')
        x += 8 + len(t[key]) * 1.6
    out.append("</svg>")
    return "".join(out)


WEASY_CSS = """
@page { size: %(paper)s; margin: 26mm 15mm 26mm 15mm;
        @bottom-right { content: "%(page)s" counter(page); font: 8pt Helvetica, Arial, sans-serif;
                        color: #52606d; } }
body { font: 10pt/13pt Helvetica, Arial, sans-serif; color: #1d2733; margin: 0; }
h1 { font-size: 18pt; line-height: 22pt; margin: 0 0 4pt; }
h2 { font-size: 13pt; line-height: 16pt; margin: 8pt 0 4pt; }
p { margin: 0 0 3pt; }
.small { font-size: 8.5pt; line-height: 11pt; color: #52606d; }
section { break-inside: avoid; }
table { border-collapse: collapse; width: 100%; }
td, th { vertical-align: top; padding: 1pt 3pt; text-align: left; }
table.clinic th { border-bottom: 0.6pt solid #1d2733; font-size: 9pt; }
table.clinic td { font-size: 9pt; }
table.clinic tr:nth-child(even) td { background: #f4f6f8; }
img { display: block; }
table.pair td { width: 50%; }
table.pair img { width: 87mm; }
table.timeline td { width: 16.6%; }
table.timeline img { width: 27.5mm; }
"""


def weasy_render_pdf(data: Any, summary: dict[str, Any], *, language: str, paper: str,
                     generated_at: dt.datetime, generated_for: str) -> bytes:
    """The report of `tracker.reports.pdf.render_pdf`, as HTML/CSS rendered by WeasyPrint."""
    import weasyprint
    from django.core.files.storage import default_storage

    from tracker import clock
    from tracker.reports import i18n, pdf

    t = i18n.TEXT[language]
    e = html.escape
    course, patient = data.course, data.course.patient
    frequency = (t["once_daily"] if course.applications_per_day == 1
                 else t["times_daily"].format(n=course.applications_per_day))
    strength = i18n.number(float(course.concentration_percent), language, digits=0, suffix=" %")
    local = generated_at.astimezone(dt.UTC)

    def thumb(point: Any, css: str) -> str:
        with default_storage.open(point.thumbnail_name, "rb") as handle:
            raw = base64.b64encode(handle.read()).decode()
        return (f'<img class="{css}" src="data:image/jpeg;base64,{raw}">'
                f'<p class="small">{i18n.date(point.date, language)}</p>')

    parts = [f"<h1>{e(t['title'])}</h1><table>"]
    rows = [
        (t["patient"], f"{e(patient.display_name)} · {t['age']} {data.end.year - patient.birth_year} "
                       f"{t['years']}"),
        (t["regimen"], f"{e(course.medication)} {strength}, {e(course.vehicle)}, {e(course.body_site)}, "
                       f"{frequency}"),
        (t["period"], f"{i18n.date(data.start, language)} - {i18n.date(data.end, language)}"),
    ]
    parts += [f"<tr><td style='width:28mm'><b>{a}</b></td><td>{b}</td></tr>" for a, b in rows]
    when = f"{i18n.date(local.date(), language)} {local:%H:%M} UTC"
    parts.append(f"</table><p class='small'>{t['generated'].format(when=when, whom=e(generated_for))}</p>")

    percent = i18n.number(summary["adherence_percent"], language, suffix=" %")
    parts.append(f"<section><h2>{t['adherence']}</h2><p>" + t["adherence_line"].format(
        percent=f"<b>{percent}</b>", applied=summary["applications_applied"],
        expected=summary["applications_expected"]) + "</p>")
    parts.append(f"<p>{t['longest_gap']}: <b>{summary['longest_gap_days']}</b> {t['days']} · "
                 f"{t['streak']}: <b>{summary['current_streak_days']}</b> {t['days']}</p>")
    if summary["applications_expected"]:
        parts.append(svg_heatmap(data, t, language))
    parts.append("</section>")

    parts.append(f"<section><h2>{t['symptoms']}</h2>")
    if data.symptoms:
        by_day = {s.local_date: s for s in data.symptoms}
        pain = [(day.toordinal(), s.pain) for day, s in sorted(by_day.items())]
        itch = [(day.toordinal(), s.itch) for day, s in sorted(by_day.items())]
        parts.append(svg_line_chart([(t["pain"], pdf.PAIN, pain), (t["itch"], pdf.ITCH, itch)],
                                    width_mm=180, height_mm=55, y_max=10, y_step=2, language=language))
        parts.append(f"<p>{t['red_flags']}</p>")
        if not data.red_flags:
            parts.append(f"<p class='small'>{t['no_red_flags']}</p>")
        for entry in data.red_flags:
            signs = [t[key] for key, on in (("fever", entry.fever), ("pus", entry.drainage == "pus"),
                                            ("redness", entry.redness_spreading)) if on]
            parts.append(f"<p class='small'>{i18n.date(entry.local_date, language)}: {', '.join(signs)}</p>")
    else:
        parts.append(f"<p>{t['no_data']}</p>")
    parts.append("</section>")

    parts.append(f"<section><h2>{t['wound']}</h2>")
    if data.timeline:
        parts.append(f"<p>{t['first_last']}</p><table class='pair'><tr>"
                     f"<td>{thumb(data.timeline[0], 'half')}</td><td>{thumb(data.timeline[-1], 'half')}</td>"
                     "</tr></table></section>")
        if len(data.timeline) > 2:
            cells = [f"<td>{thumb(p, 'sixth')}</td>" for p in data.timeline]
            rows_html = ["<tr>" + "".join(cells[i:i + 6]) + "</tr>" for i in range(0, len(cells), 6)]
            parts.append(f"<p>{t['timeline']}</p><table class='timeline'>{''.join(rows_html)}</table>")
        if summary["area_change_percent"] is not None:
            change = i18n.number(summary["area_change_percent"], language, suffix=" %")
            change = ("+" + change) if summary["area_change_percent"] > 0 else change
            parts.append("<p>" + t["area_change"].format(
                change=f"<b>{change}</b>", first=i18n.number(summary["area_first_cm2"], language, digits=2),
                last=i18n.number(summary["area_last_cm2"], language, digits=2)) + "</p>")
        if data.measurements:
            area = [(p.date.toordinal(), float(p.area_cm2 or 0)) for p in data.measurements]
            push = [(p.date.toordinal(), float(p.push_score or 0)) for p in data.measurements]
            top = max(1.0, max(a for _, a in area) * 1.2)
            parts.append("<table><tr><td>" + svg_line_chart(
                [(t["area_chart"], pdf.ITCH, area)], width_mm=88, height_mm=50, y_max=round(top + 0.5),
                y_step=max(1, round(top / 5)), language=language) + "</td><td>" + svg_line_chart(
                [(t["push_chart"], pdf.PAIN, push)], width_mm=88, height_mm=50, y_max=17, y_step=3,
                language=language) + "</td></tr></table>")
    else:
        parts.append(f"<p>{t['no_data']}</p></section>")

    parts.append(f"<h2>{t['debridements']}</h2>")
    if data.debridements:
        parts.append(f"<table class='clinic'><thead><tr><th>{t['date']}</th><th>{t['method']}</th>"
                     f"<th>{t['nodules']}</th><th>{t['specimen']}</th></tr></thead><tbody>")
        parts += [f"<tr><td>{i18n.date(d.local_date, language)}</td>"
                  f"<td>{i18n.METHODS[language][d.method]}</td>"
                  f"<td>{d.nodules_removed}</td><td>{t['yes'] if d.specimen_sent else t['no']}</td></tr>"
                  for d in data.debridements]
        parts.append("</tbody></table>")
    else:
        parts.append(f"<p>{t['no_data']}</p>")
    parts.append(f"<h2>{t['comments']}</h2>")
    comments = [f"<p><b>{i18n.date(r.photo.local_date, language)}, "
                f"{e(r.reviewer.display_name or r.reviewer.username)}:</b> {e(r.comment)}</p>"
                for r in data.reviews if r.comment.strip()]
    parts += comments or [f"<p>{t['no_data']}</p>"]
    parts.append(f"<h2>{t['alerts']}</h2>")
    alerts = [f"<p><b>{i18n.date(clock.local_date(a.created_at, patient.timezone), language)}</b> "
              f"[{a.severity}, "
              f"{t['open'] if a.status == 'open' else t['acknowledged']}] {e(a.detail)}</p>"
              for a in data.alerts]
    parts += alerts or [f"<p>{t['no_data']}</p>"]

    css = (WEASY_CSS.replace("%(paper)s", "A4" if paper == "a4" else "Letter")
           .replace("%(page)s", t["page"].split("{n}")[0].replace('"', "")))
    document = (f"<!doctype html><html lang='{language}'><head><meta charset='utf-8'>"
                f"<title>{e(t['title'])}</title><style>{css}</style></head><body>{''.join(parts)}</body></html>")
    return weasyprint.HTML(string=document).write_pdf()


def pdf_pages(content: bytes) -> int | None:
    if shutil.which("pdfinfo"):
        done = subprocess.run(["pdfinfo", "-"], input=content, capture_output=True, check=False)
        found = re.search(rb"^Pages:\s+(\d+)", done.stdout, re.MULTILINE)
        if found:
            return int(found.group(1))
    return len(re.findall(rb"/Type\s*/Page[^s]", content)) or None


class Worker:
    def __init__(self, course_id: str, renders: int) -> None:
        from tracker.models import TreatmentCourse

        self.course = TreatmentCourse.objects.select_related("patient", "prescribed_by").get(pk=course_id)
        self.start = self.course.start_date
        self.end = self.start + dt.timedelta(days=DAYS - 1)
        self.renders = renders
        self.last_pdf = b""
        self.last_cpu = 0.0

    def render(self) -> float:
        """One report_render of a new Report row; returns the wall time of report_render alone."""
        from django.core.files.storage import default_storage

        from tracker.models import Report, ReportStatus
        from tracker.services.reports import report_render

        report = Report.objects.create(course=self.course, patient_id=self.course.patient_id,
                                       period_start=self.start, period_end=self.end,
                                       requested_by=self.course.prescribed_by)
        cpu = time.process_time()
        started = time.perf_counter()
        done = report_render(report_id=report.pk)
        elapsed = time.perf_counter() - started
        self.last_cpu = time.process_time() - cpu
        if done is None or done.status != ReportStatus.READY:
            raise RuntimeError(f"the report did not render: {done and done.failure_reason}")
        with default_storage.open(done.pdf_name, "rb") as handle:
            self.last_pdf = handle.read()
        return elapsed

    def traced_peak_mb(self) -> float:
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            self.render()
            return round(tracemalloc.get_traced_memory()[1] / MB, 1)
        finally:
            tracemalloc.stop()


def apply_variant(variant: str, patches: Patches) -> int:
    """Switch this process to `variant` (until `patches.undo()`); returns how many rl_accel
    functions were swapped for their Python versions (noaccel variants), else 0."""
    from tracker.reports import pdf
    from tracker.services import reports as report_service

    if variant.startswith("noaccel"):
        # Only in the interleaved worker (the per-process ones hide _rl_accel from the import).
        swapped = rl_accel_python(patches)
        if variant == "noaccel-a85":
            from reportlab import rl_config

            patches.set(rl_config, "useA85", 1)
        return swapped
    if variant == "matplotlib":
        patches.set(pdf, "_line_chart", mpl_line_chart)
    elif variant == "weasyprint":
        patches.set(report_service, "render_pdf", weasy_render_pdf)
    return 0


def rl_accel_python(patches: Patches) -> int:
    """Swap ReportLab's Python versions of the rl_accel functions in for the C ones, wherever a
    loaded ReportLab or Tend module (or one of its classes) holds them; returns how many attributes
    were swapped. The Python versions exist only when `reportlab._rl_testing` was set before
    rl_accel was first imported (see child_main)."""
    from reportlab.lib import rl_accel

    swap = {id(c): p for name, c in rl_accel._c_funcs.items() if (p := rl_accel._py_funcs.get(name))}
    if len(swap) != len(rl_accel._c_funcs) or not swap:
        raise SystemExit("ReportLab's Python versions of the rl_accel functions are not loaded")
    swapped = 0
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(("reportlab", "tracker")):
            continue
        owners = [module, *(v for v in vars(module).values()
                            if isinstance(v, type) and v.__module__ == name)]
        for owner in owners:
            for attr, value in list(vars(owner).items()):
                if id(value) in swap:  # the C functions stay alive in _c_funcs: their ids are theirs
                    patches.set(owner, attr, swap[id(value)] if owner is module
                                else staticmethod(swap[id(value)]))
                    swapped += 1
    return swapped


def import_library(variant: str) -> float:
    started = time.perf_counter()
    if variant == "matplotlib":
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: F401
        from matplotlib.figure import Figure  # noqa: F401
    elif variant == "weasyprint":
        import weasyprint  # noqa: F401
    else:
        return 0.0
    return round((time.perf_counter() - started) * 1000, 1)


def versions() -> dict[str, Any]:
    return _common.package_versions(("reportlab", "rl_accel", "matplotlib", "weasyprint", "pillow", "django"))


def measure_split(worker: Worker) -> dict[str, Any]:
    """Tend's pipeline again, with the pieces timed by wrappers around the module functions."""
    from reportlab.graphics.shapes import Drawing
    from reportlab.pdfgen.canvas import Canvas

    from tracker.reports import data as report_data
    from tracker.reports import pdf
    from tracker.services import reports as report_service

    split = Split()
    split.wrap(report_data, "gather", "data_gather")
    split.wrap(report_data, "summary", "data_summary")
    split.wrap(report_service, "render_pdf", "render_pdf")
    split.wrap(pdf, "_heatmap", "charts_build")
    split.wrap(pdf, "_line_chart", "charts_build")
    split.wrap(Drawing, "draw", "charts_draw")
    split.wrap(pdf, "_thumbnail", "images_read")
    split.wrap(Canvas, "drawImage", "images_embed")
    per_render: dict[str, list[float]] = defaultdict(list)
    calls: dict[str, int] = {}
    pieces = ("data_gather", "data_summary", "charts_build", "charts_draw", "images_read", "images_embed")
    try:
        for _ in range(worker.renders):
            measured = {"": worker.render(), "@cpu": worker.last_cpu}
            totals, calls = split.take()
            for clock, total in measured.items():
                parts = {key: totals.get(key + clock, 0.0) for key in pieces}
                rendered = totals.get("render_pdf" + clock, 0.0)
                parts["pdf_layout"] = rendered - sum(parts[k] for k in pieces[2:])
                parts["other"] = total - rendered - parts["data_gather"] - parts["data_summary"]
                parts["total"] = total
                for key, value in parts.items():
                    per_render[key + clock].append(value)
    finally:
        split.patches.undo()
    result: dict[str, Any] = {"charts": calls.get("charts_build", 0),
                              "thumbnails": calls.get("images_read", 0),
                              "images_embedded": calls.get("images_embed", 0)}
    for clock, name in (("", "ms"), ("@cpu", "cpu_ms")):
        total_ms = statistics.median(per_render["total" + clock]) * 1000
        result[f"total_{name}"] = round(total_ms, 1)
        for key in (*pieces, "pdf_layout", "other"):
            median = statistics.median(per_render[key + clock]) * 1000
            result[f"{key}_{name}"] = round(median, 1)
            result[f"{key}_{name.replace('ms', 'share')}"] = round(median / total_ms, 3)
    return result


def chart_microbench(worker: Worker, repeats: int, with_mpl: bool) -> dict[str, Any]:
    from reportlab.graphics import renderPDF
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    from tracker.reports import data as report_data
    from tracker.reports import i18n, pdf

    data = report_data.gather(worker.course, worker.start, worker.end)
    language = worker.course.patient.language
    t = i18n.TEXT[language]
    by_day = {s.local_date: s for s in data.symptoms}
    series = [(t["pain"], pdf.PAIN, [(d.toordinal(), s.pain) for d, s in sorted(by_day.items())]),
              (t["itch"], pdf.ITCH, [(d.toordinal(), s.itch) for d, s in sorted(by_day.items())])]
    size = {"width": pdf.FRAME_WIDTH, "height": 55 * mm, "y_max": 10, "y_step": 2, "language": language}

    def native_pdf() -> None:
        renderPDF.drawToString(pdf._line_chart(series, **size))

    def mpl_pdf() -> None:
        png = mpl_chart_png(series, **size)
        canvas = Canvas(io.BytesIO(), pagesize=(size["width"], size["height"]))
        canvas.drawImage(ImageReader(io.BytesIO(png)), 0, 0, size["width"], size["height"])
        canvas.save()

    cases: dict[str, Callable[[], Any]] = {
        "native_build_ms": lambda: pdf._line_chart(series, **size),
        "native_pdf_ms": native_pdf,
        "svg_string_ms": lambda: svg_line_chart(series, width_mm=180, height_mm=55, y_max=10, y_step=2,
                                                language=language),
    }
    if with_mpl:
        cases["matplotlib_png_ms"] = lambda: mpl_chart_png(series, **size)
        cases["matplotlib_pdf_ms"] = mpl_pdf
    result: dict[str, Any] = {"repeats": repeats, "points_per_series": len(series[0][2])}
    for key, case in cases.items():
        case()  # warm
        samples, cpu = [], []
        for _ in range(repeats):
            started, cpu_started = time.perf_counter(), time.process_time()
            case()
            samples.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        result[key] = round(statistics.median(samples) * 1000, 2)
        result[key.replace("_ms", "_cpu_ms")] = round(statistics.median(cpu) * 1000, 2)
    if with_mpl:
        result["matplotlib_png_kb"] = round(len(mpl_chart_png(series, **size)) / 1024, 1)
    return result


def child_main(args: argparse.Namespace) -> int:
    variant = args.child
    if variant.startswith("noaccel"):
        sys.modules["_rl_accel"] = None  # type: ignore[assignment]  # rl_accel falls back to Python
    import reportlab

    if variant == "interleaved":
        # rl_accel then defines its Python versions next to the C ones (and still uses the C ones),
        # so that the noaccel variants can switch to them in this process.
        reportlab._rl_testing = True  # type: ignore[attr-defined]
    from reportlab import rl_config

    if variant == "tend-noshapecheck":
        rl_config.shapeChecking = 0  # read when reportlab.graphics.shapes is first imported
    import django

    django.setup()
    if variant == "setup":
        _common.migrate()
        _common.send_result(build_scenario())
        return 0
    from reportlab.lib import rl_accel

    import tracker.reports.pdf  # noqa: F401  (sets rl_config.useA85 = 0, as in a worker)

    if variant == "noaccel-a85":
        rl_config.useA85 = 1
    accel_c = bool(rl_accel._c_funcs) and all(
        getattr(rl_accel, name) is f and type(f).__name__ == "builtin_function_or_method"
        for name, f in rl_accel._c_funcs.items()) and not set(rl_accel.__all__) - set(rl_accel._c_funcs)
    if variant.startswith("noaccel") and accel_c:
        raise SystemExit("could not hide rl_accel")
    worker = Worker(args.course, args.renders)

    if variant == "interleaved":
        return interleaved(worker, args)

    import_ms = import_library(variant)
    patches = Patches()
    if variant in ("matplotlib", "weasyprint"):
        apply_variant(variant, patches)
    rss_before = peak_rss_mb()
    first = worker.render()
    samples, cpu, rss = [], [], [rss_now_mb()]
    for _ in range(args.renders):
        samples.append(worker.render())
        cpu.append(worker.last_cpu)
        rss.append(rss_now_mb())
    peak = peak_rss_mb()
    result: dict[str, Any] = {
        "variant": variant, **stats_ms(samples, cpu), "first_render_ms": round(first * 1000, 1),
        "import_ms": import_ms, "peak_rss_mb": round(peak, 1), "vm_hwm_mb": vm_hwm_mb(),
        "rss_before_render_mb": round(rss_before, 1), "rss_after_each_render_mb": rss,
        # From the end of the first counted render on: how much RSS each render leaves behind.
        "rss_growth_mb_per_render": round((rss[-1] - rss[1]) / max(1, len(rss) - 2), 2)
        if len(rss) > 2 and None not in rss else None,
        "rl_accel_c": accel_c, "useA85": rl_config.useA85, "shapeChecking": rl_config.shapeChecking,
        "pdf_pages": pdf_pages(worker.last_pdf), "pdf_kb": round(len(worker.last_pdf) / 1024, 1),
        "versions": versions(),
    }
    if variant == "tend":
        result["split"] = measure_split(worker)
    result["tracemalloc_peak_mb"] = worker.traced_peak_mb()
    if args.save_pdfs:
        Path(args.save_pdfs).mkdir(parents=True, exist_ok=True)
        (Path(args.save_pdfs) / f"report-{variant}.pdf").write_bytes(worker.last_pdf)
    patches.undo()
    _common.send_result(result)
    return 0


def interleaved(worker: Worker, args: argparse.Namespace) -> int:
    variants = [v for v in args.interleave.split(",") if v]
    for variant in variants:
        import_library(variant)
    samples: dict[str, list[float]] = {v: [] for v in variants}
    cpu: dict[str, list[float]] = {v: [] for v in variants}
    swapped: dict[str, int] = {}
    rng = random.Random(7)
    for round_ in range(args.renders + 1):
        for variant in rng.sample(variants, len(variants)):
            patches = Patches()
            swapped[variant] = apply_variant(variant, patches)
            try:
                elapsed = worker.render()
            finally:
                patches.undo()
            if round_:  # round 0 warms every variant up
                samples[variant].append(elapsed)
                cpu[variant].append(worker.last_cpu)
    result = {"rounds": args.renders, "peak_rss_mb": round(peak_rss_mb(), 1),
              "rl_accel_swapped": {v: n for v, n in swapped.items() if v.startswith("noaccel")},
              "variants": {v: stats_ms(s, cpu[v]) for v, s in samples.items()},
              "chart": chart_microbench(worker, max(15, args.renders), "matplotlib" in variants)}
    _common.send_result(result)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--renders", type=int, default=15, help="timed renders per variant (15)")
    parser.add_argument("--skip", type=lambda s: [v for v in s.split(",") if v], default=[],
                        help="comma-separated: noaccel (both), noaccel-a85, tend-noshapecheck, matplotlib, "
                             "weasyprint")
    parser.add_argument("--save-pdfs", type=Path, help="keep one PDF of each variant in this folder")
    parser.add_argument("--output", type=Path, help="where to write the figures (bench/results/reports.json)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--course", help=argparse.SUPPRESS)
    parser.add_argument("--interleave", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.chdir(ROOT)
    return child_main(args) if args.child else parent_main(args)


if __name__ == "__main__":
    sys.exit(main())
