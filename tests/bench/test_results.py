"""bench/results.py: RESULTS.md from the benchmarks' JSON, fed with small files shaped like theirs."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DASH = "\N{EN DASH}"
SCRIPT = ROOT / "bench" / "results.py"

TEND = [  # (name, label, baseline)
    ("application_create", "POST /api/v1/applications/", "naive_create"),
    ("adherence_90d", "GET /api/v1/courses/{id}/adherence/ (90 d)", "naive_list"),
    ("application_list", "GET /api/v1/applications/?course= (50)", "naive_list"),
    ("review_queue", "GET /api/v1/review-queue/", "naive_list"),
    ("patients", "GET /api/v1/patients/ (nurse, 200)", "naive_list"),
]
BASELINES = [("bare", "bare Django JsonResponse"), ("naive_list", "naive DRF list of 50"),
             ("naive_create", "naive DRF create")]


@pytest.fixture(scope="module")
def results() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_results", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def figures(label: str, req_per_s: float, p50: float, p99: float, **extra: Any) -> dict[str, Any]:
    return {"label": label, "requests": int(req_per_s * 10), "seconds": 10.0, "req_per_s": req_per_s,
            "p50_ms": p50, "p90_ms": p99 * 0.8, "p99_ms": p99, "max_ms": p99 * 1.5,
            "errors": {"connect_errors": 0, "read_errors": 0, "write_errors": 0, "status_errors": 0,
                       "timeouts": 0},
            "rounds_req_per_s": [req_per_s * 0.9, req_per_s * 1.1], "rounds_p50_ms": [p50, p50],
            "spread_percent": 20.0, **extra}


def plan(endpoint: str, seq: list[str], big: list[str], indexes: list[str]) -> dict[str, Any]:
    return {"endpoint": endpoint, "sql": "SELECT 1", "plan": "Seq Scan", "seq_scans": seq,
            "big_seq_scans": big, "indexes": indexes, "execution_ms": 0.42}


def scale(patients: int, create_ratio: float, p50_factor: float) -> dict[str, Any]:
    http = {name: figures(label, 100.0, 50.0 * p50_factor, 90.0) for name, label in BASELINES}
    for name, label, baseline in TEND:
        value = create_ratio if name == "application_create" else 1.2
        http[name] = figures(label, 100.0 * value, 40.0 * p50_factor, 45.0, baseline=baseline,
                             ratio=value, goals_met=value >= 1.0)
    endpoints = [{"name": n, "label": lbl, "method": "GET", "path": "/", "who": "", "body": "",
                  "baseline": "", "expect": 200} for n, lbl in BASELINES]
    endpoints += [{"name": n, "label": lbl, "method": "GET", "path": "/", "who": "nurse", "body": "",
                   "baseline": b, "expect": 200} for n, lbl, b in TEND]
    inprocess = {name: {"runs": 30, "queries": 3, "median_ms": 8.5, "p99_ms": 31.4, "min_ms": 7.9,
                        "max_ms": 31.4, "sql_median_ms": 2.0, "python_median_ms": 6.5,
                        "sql_statements": ["SELECT 1"], "plans": [0], "profile": {}}
                 for name in http}
    return {
        "patients": patients, "days": 365, "database": "tend_http_x", "redis": "none (file cache)",
        "migrate_s": 3.0, "seed_s": 11.5, "unreviewed_photos": 200, "analyze_s": 0.4,
        "subjects": {"read": {}, "write": {}, "nurse_patients": 200, "database_mb": 1234,
                     "rows": {"tracker_patient": patients, "tracker_treatmentcourse": patients,
                              "tracker_application": patients * 350, "tracker_symptomentry": patients * 320,
                              "tracker_photo": patients * 52, "tracker_auditevent": 0,
                              "tracker_review": patients * 52},
                     "today_utc": "2026-01-01"},
        "endpoints": endpoints, "probes": {}, "load_before": [1.0, 1.0, 1.0], "load_after": [2.0, 1.5, 1.0],
        "http": http,
        "inprocess": {"endpoints": inprocess,
                      "plans": [plan("review_queue", ["tracker_photo"], ["tracker_photo"], []),
                                plan("application_list", [], [], ["app_course_time"]),
                                plan("naive_list", ["tracker_application"], ["tracker_application"], []),
                                plan("adherence (one year, in-process)", [], [], ["app_course_time"])],
                      "adherence_one_year": {"runs": 30, "period_days": 366, "expected": 366, "applied": 340,
                                             "queries": 2, "median_ms": 11.6, "p99_ms": 14.2, "min_ms": 10.1,
                                             "max_ms": 14.2, "plans": [3], "profile": {}}},
    }


def http_json() -> dict[str, Any]:
    small, large = scale(500, 0.9, 1.0), scale(5000, 1.2, 2.0)
    growth = {name: {"label": f["label"], "p50_small_ms": f["p50_ms"],
                     "p50_large_ms": large["http"][name]["p50_ms"], "ratio": 2.0, "inprocess_ratio": 1.1}
              for name, f in small["http"].items()}
    return {"date": "2026-01-01T10:00:00+00:00",
            "machine": {"cpus": 2, "cpu_model": "Test CPU @ 2.0GHz", "memory_gb": 23.5, "kernel": "6.1.0",
                        "platform": "Linux-6.1.0-x86_64", "load_average_start": [0.5, 0.4, 0.3],
                        "load_average_end": [1.5, 1.0, 0.6]},
            "versions": {"python": "3.11.7", "django": "5.2.19", "djangorestframework": "3.18.3",
                         "gunicorn": "27.0.1", "psycopg": "3.3.9", "wrk": "wrk 4.1.0", "redis": "7.0.15",
                         "postgresql": "15.20"},
            "generator": "wrk (/usr/bin/wrk)", "quick": False, "seconds": 10, "rounds": 2,
            "warmup_seconds": 2, "threads": 2, "connections": 8, "days": 365, "repeats": 30,
            "goals_set": {}, "scales": [small, large], "total_s": 420.0, "scale_growth": growth,
            "goals": []}


def photos_json(ratio_12: float = 1.2) -> dict[str, Any]:
    def timing(median: float) -> dict[str, Any]:
        return {"runs": 15, "median_ms": median, "p90_ms": median * 1.1, "p99_ms": median * 1.2,
                "min_ms": median * 0.9, "max_ms": median * 1.2, "samples_ms": [median]}

    memory = {"baseline_mib": 33.0, "peak_mib": 140.0, "added_mib": 107.0}
    return {"at": "2026-01-01T10:10:00.123456+00:00", "python": "3.11.7", "pillow": "13.0.0", "cpus": 2,
            "quick": False, "machine": {"cpus": 2, "kernel": "6.1.0", "cpu_model": "Test CPU @ 2.0GHz",
                                        "memory_gb": 23.5},
            "versions": {"python": "3.11.7", "pillow": "13.0.0", "pillow-heif": "1.8.1"},
            "load_average": {"before": [1.0, 1.0, 1.0], "after": [1.0, 1.0, 1.0]},
            "inputs": {"12mp": {"stored": "4032x3024", "bytes": 3_600_000},
                       "48mp": {"stored": "8000x6000", "bytes": 14_000_000}},
            "outputs_12mp": {}, "upload_database": "PostgreSQL", "upload_queries": 12,
            "upload_enqueue": "broker publish stubbed",
            "timings": {"render 12 MP": timing(240.0 * ratio_12), "minimal 12 MP": timing(240.0),
                        "render 48 MP": timing(1200.0), "minimal 48 MP": timing(1300.0),
                        "inspect_upload 12 MP": timing(49.0),
                        "full decode 12 MP (open + load)": timing(81.0),
                        "upload POST /api/v1/photos/ 12 MP": timing(111.0)},
            "peak_memory_mib": {k: memory for k in ("render 12 MP", "minimal 12 MP", "render 48 MP",
                                                     "minimal 48 MP")},
            "ratios": {"render_over_minimal_12mp": ratio_12, "render_over_minimal_48mp": 0.92,
                       "render_over_minimal_12mp_minima": ratio_12, "render_over_minimal_48mp_minima": 1.0,
                       "inspect_over_full_decode_12mp": 0.6, "upload_over_full_decode_12mp": 1.37},
            "goals": {}, "profiles": []}


def reports_json() -> dict[str, Any]:
    def variant(name: str, median: float) -> dict[str, Any]:
        return {"variant": name, "median_ms": median, "p90_ms": median * 1.2, "min_ms": median * 0.9,
                "max_ms": median * 1.3, "cpu_median_ms": median * 0.9, "samples_ms": [median],
                "first_render_ms": 500.0, "import_ms": 0.0, "peak_rss_mb": 231.0, "vm_hwm_mb": 231.0,
                "rss_before_render_mb": 80.0, "rss_after_each_render_mb": [90.0, 99.0],
                "rss_growth_mb_per_render": 9.0, "rl_accel_c": True, "useA85": 0, "shapeChecking": 1,
                "pdf_pages": 4, "pdf_kb": 373.0, "versions": {}, "tracemalloc_peak_mb": 1.8,
                "label": name, "load_after": [1.0, 1.0, 1.0]}

    tend = variant("tend", 294.0)
    tend["split"] = {"charts": 4, "thumbnails": 15, "images_embedded": 15, "total_ms": 300.0,
                     "total_cpu_ms": 280.0, "data_gather_ms": 30.0, "data_gather_share": 0.1,
                     "data_gather_cpu_ms": 30.0, "data_gather_cpu_share": 0.11}
    weasyprint = {**variant("weasyprint", 900.0), "pdf_pages": None, "label": "WeasyPrint"}
    return {"benchmark": "bench/reports.py", "when": "2026-01-01T10:20:00+00:00",
            "argv": ["bench/reports.py", "--renders", "5", "--skip", "noaccel", "--save-pdfs",
                     "/tmp/my pdfs"],
            "machine": {"python": "3.11.7", "cpus": 2, "platform": "Linux", "kernel": "6.1.0",
                        "cpu_model": "Test CPU @ 2.0GHz", "memory_gb": 23.5,
                        "load_average_before": [1.0, 1.0, 1.0], "load_average_after": [1.0, 1.0, 1.0],
                        "busy": False, "reportlab": "5.1.0", "rl_accel": "0.9.1", "matplotlib": None,
                        "weasyprint": None, "pillow": "13.0.0", "django": "5.2.19"},
            "renders_per_variant": 15,
            "goals": {"median_s": 2.0, "peak_rss_mb": 300, "met": True, "rss_goal_passed_after_renders": 23},
            "scenario": {"applications": 84, "symptom_entries": 84, "photos_ready": 24, "reviews": 24,
                         "debridements": 3, "alerts": 4, "thumbnail_kb_mean": 27.0},
            "tend": tend, "per_process": {"tend": tend, "weasyprint": weasyprint,
                                          "matplotlib": {"error": "worker exited with 1",
                                                         "variant": "matplotlib", "label": "matplotlib"}},
            "tend_control_process": variant("tend", 320.0),
            "same_process": {"rounds": 15, "peak_rss_mb": 250.0, "rl_accel_swapped": {"noaccel": 33},
                             "variants": {"tend": {**variant("tend", 290.0), "ratio_vs_tend": 1.0,
                                                   "cpu_ratio_vs_tend": 1.0},
                                          "noaccel": {**variant("noaccel", 310.0), "ratio_vs_tend": 1.07,
                                                      "cpu_ratio_vs_tend": 1.08}}},
            "notes": []}


def write(folder: Path, name: str, data: dict[str, Any]) -> Path:
    path = folder / f"{name}.json"
    path.write_text(json.dumps(data))
    return path


def goal_line(text: str, start: str) -> str:
    found = [line for line in text.splitlines() if line.startswith("| " + start)]
    assert len(found) == 1, (start, found)
    return found[0]


def test_goals_say_what_holds_and_by_how_much_a_goal_is_missed(results: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    http, photos = write(tmp_path, "http", http_json()), write(tmp_path, "photos", photos_json())
    reports = write(tmp_path, "reports", reports_json())
    assert results.main(["--http", str(http), "--photos", str(photos), "--reports", str(reports),
                         "--output", str(out)]) == 0
    text = out.read_text()

    first = text.splitlines()[0]
    assert first.startswith("<!--") and "Generated by `make bench`" in first
    assert "do not edit by hand" in first
    assert "not run" not in text
    # A ratio of 0.9 to the naive baseline misses the goal of 1.0 by 10 %; 1.2 holds.
    assert "0.90 | **misses by 10 %**" in goal_line(text, "POST /api/v1/applications/ at 500 patients: req/s")
    assert "1.20 | holds" in goal_line(text, "POST /api/v1/applications/ at 5,000 patients: req/s")
    assert "1.20 | holds" in goal_line(text, "GET /api/v1/review-queue/ at 500 patients: req/s")
    assert "| 45 ms | holds" in goal_line(text, "GET /api/v1/patients/ (nurse, 200) at 500 patients: p99")
    assert "2.00x | **misses by 33 %**" in goal_line(text, "GET /api/v1/review-queue/: median at 5,000")
    assert "12 ms | holds" in goal_line(text, "one-year adherence in-process at 500")
    # The baseline's Seq Scan is listed, not counted against Tend.
    explain = goal_line(text, "EXPLAIN at 500 patients")
    assert "2 of 3 hot queries read no big table by Seq Scan" in explain
    assert "**misses by 1 of 3 queries**" in explain and "index" not in explain
    assert "1.20 | holds" in goal_line(text, "photo render / minimal Pillow pipeline <= 2.0, 12 MP")
    assert "111 ms | holds" in goal_line(text, "photo upload")
    assert "294 ms | holds" in goal_line(text, "12-week report: median")
    assert "231 MB after 16 renders | holds" in goal_line(text, "12-week report: peak RSS")
    # Sections, machine, versions, formats.
    assert "Command: `.venv/bin/python bench/http_load.py`" in text
    assert "Command: `.venv/bin/python bench/photos.py`" in text
    assert "Test CPU @ 2.0GHz" in text and "2026-01-01 10:10 UTC" in text and "| pillow-heif |" in text
    assert "| 1,750,000 |" in text  # applications at 5,000 patients, with a thousands separator
    assert f"| 90{DASH}110 |" in text  # req/s of the slowest and the fastest round
    assert "failed: worker exited with 1" in text  # the matplotlib worker
    assert f"| {DASH} p., 373 KB |" in text and "None" not in text  # WeasyPrint's pages: not counted
    assert "bench/http.py" not in text
    assert "{DASH}" not in text


def test_in_process_tables_show_the_spread(results: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    assert results.main(["--dir", str(tmp_path), "--http", str(write(tmp_path, "http", http_json())),
                         "--reports", str(write(tmp_path, "reports", reports_json())),
                         "--output", str(out)]) == 0
    text = out.read_text()
    header = next(line for line in text.splitlines() if line.startswith("| endpoint | queries |"))
    assert f"| median | p99 | min{DASH}max |" in header
    row = next(line for line in text.splitlines()
               if line.startswith("| GET /api/v1/review-queue/ | 3 |"))
    assert f"| 8.5 ms | 31 ms | 7.9{DASH}31 ms |" in row
    # The interleaved reports block has min-max too, and names what "without rl_accel" means there.
    row = next(line for line in text.split("interleaved in one worker")[1].splitlines()
               if line.startswith("| ReportLab without rl_accel, `useA85 = 0` |"))
    assert f"| 279{DASH}403 ms |" in row and "| 1.08 |" in row
    assert "Python versions of the accelerated functions" in text


def test_the_recorded_command_line_is_shown(results: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    photos = {**photos_json(), "argv": ["bench/photos.py", "--sqlite"]}
    assert results.main(["--dir", str(tmp_path), "--http", str(write(tmp_path, "http", http_json())),
                         "--photos", str(write(tmp_path, "photos", photos)),
                         "--reports", str(write(tmp_path, "reports", reports_json())),
                         "--output", str(out)]) == 0
    text = out.read_text()
    assert "Command: `.venv/bin/python bench/photos.py --sqlite`" in text
    assert ("Command: `.venv/bin/python bench/reports.py --renders 5 --skip noaccel --save-pdfs "
            "'/tmp/my pdfs'`") in text
    assert "Command: `.venv/bin/python bench/http_load.py`" in text  # no argv: the default command


def test_a_missing_benchmark_is_not_run(results: ModuleType, tmp_path: Path) -> None:
    write(tmp_path, "photos", photos_json(ratio_12=2.5))
    out = tmp_path / "out" / "RESULTS.md"
    assert results.main(["--dir", str(tmp_path), "--output", str(out)]) == 0
    text = out.read_text()
    assert "generated by" in text.lower()
    http_part = text.split("## HTTP at clinic scale")[1].split("\n## ")[0]
    assert "not run (no `" in http_part and "http.json" in http_part
    assert f"| one-year adherence in-process: median < 20 ms | {DASH} | not run |" in text
    assert f"| 12-week report: median < 2 s | {DASH} | not run |" in text
    photo = goal_line(text, "photo render / minimal Pillow pipeline <= 2.0, 12 MP")
    assert "2.50 | **misses by 25 %**" in photo


def test_quick_figures_never_replace_results_md(results: ModuleType, tmp_path: Path) -> None:
    before = results.OUTPUT.read_bytes() if results.OUTPUT.exists() else None
    with pytest.raises(SystemExit):
        results.main(["--quick", "--dir", str(tmp_path), "--output", str(results.OUTPUT)])
    assert (results.OUTPUT.read_bytes() if results.OUTPUT.exists() else None) == before


def test_numbers(results: ModuleType) -> None:
    assert [results.num(v) for v in (0.27, 9.94, 10.4, 1971.2, 12_345.6, None)] == [
        "0.3", "9.9", "10", "1,971", "12,346", DASH]
    assert results.verdict(0.9, 1.0, ">=") == "**misses by 10 %**"
    assert results.verdict(60.0, 50.0, "<", "ms") == "**misses by 10 ms (20 %)**"
    assert results.verdict(1.5, 1.5, "<=") == "holds"


def test_runs_without_django_or_site_packages(tmp_path: Path) -> None:
    write(tmp_path, "reports", reports_json())
    out = tmp_path / "RESULTS.md"
    command = [sys.executable, "-S", "-I", str(SCRIPT), "--dir", str(tmp_path), "--output", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "12-week report" in out.read_text()


def test_p99_is_judged_without_queueing_when_that_pass_ran(results: ModuleType, tmp_path: Path) -> None:
    data = http_json()
    queue = data["scales"][0]["http"]["review_queue"]
    queue["p99_ms"] = 160.0  # 8 connections on 2 workers: the queue
    queue["unqueued"] = {"connections": 2, "requests": 400, "seconds": 5.0, "req_per_s": 80.0,
                         "p50_ms": 20.0, "p90_ms": 25.0, "p99_ms": 31.0, "max_ms": 40.0, "errors": {}}
    data["scales"][1]["http"]["review_queue"]["unqueued"] = {**queue["unqueued"], "p99_ms": 62.6}
    out = tmp_path / "RESULTS.md"
    assert results.main(["--http", str(write(tmp_path, "http", data)), "--photos", str(tmp_path / "none"),
                         "--reports", str(tmp_path / "none"), "--output", str(out)]) == 0
    text = out.read_text()
    small = goal_line(text, "GET /api/v1/review-queue/ at 500 patients: p99")
    assert "(2 connections, one per worker; 160 ms at 8)" in small and "| 31 ms | holds" in small
    large = goal_line(text, "GET /api/v1/review-queue/ at 5,000 patients: p99")
    assert "| 63 ms | **misses by 13 ms (25 %)**" in large
