"""Write bench/RESULTS.md from the figures of the three benchmarks. From the repository root,

    .venv/bin/python bench/results.py           # bench/results/{http,photos,reports}.json -> RESULTS.md
    .venv/bin/python bench/results.py --quick   # the *-quick.json files -> bench/results/RESULTS-quick.md

`make bench` runs the three benchmarks and then this script; `make bench-quick` runs their smoke
modes and this script with --quick, whose output never replaces bench/RESULTS.md. A benchmark whose
JSON is missing shows as "not run". Standard library only: no Django, no database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shlex
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import goals  # noqa: E402  (the standard library's, like this file)
from bench._common import shown  # noqa: E402  (standard library only at import)

RESULTS_DIR = ROOT / "bench" / "results"
OUTPUT = ROOT / "bench" / "RESULTS.md"
QUICK_OUTPUT = RESULTS_DIR / "RESULTS-quick.md"
NAMES = ("http", "photos", "reports")
DASH = "\N{EN DASH}"  # no figure; and between the two ends of a range

SCRIPTS = {name: f"bench/{name}.py" for name in NAMES} | {"http": "bench/http_load.py"}
PYTHON = ".venv/bin/python"
# The default commands, shown when a JSON does not record the command line that made it.
COMMANDS = {
    "http": ".venv/bin/python bench/http_load.py",
    "photos": ".venv/bin/python bench/photos.py",
    "reports": ".venv/bin/python bench/reports.py",
}
QUICK_COMMANDS = {
    "http": ".venv/bin/python bench/http_load.py --quick --scales 40,80",
    "photos": ".venv/bin/python bench/photos.py --quick",
    "reports": ".venv/bin/python bench/reports.py --renders 2 --skip weasyprint,noaccel "
               "--output bench/results/reports-quick.json",
}

# The goals of issue 6.
GOAL_RATIO = goals.RATIO_MIN
GOAL_P99_MS = goals.P99_MS_MAX
GOAL_GROWTH = goals.GROWTH_MAX
GOAL_ADHERENCE_MS = goals.ADHERENCE_MS_MAX
GOAL_PHOTO_RATIO = goals.PHOTO_RATIO_MAX
GOAL_UPLOAD_MS = goals.UPLOAD_MS_MAX
GOAL_REPORT_MS = goals.REPORT_MS_MAX
GOAL_REPORT_RSS_MB = goals.REPORT_RSS_MB_MAX
BIG_TABLES = goals.BIG_TABLES

PHOTO_UPLOAD = "upload POST /api/v1/photos/ 12 MP"
PHOTO_INSPECT = "inspect_upload 12 MP"
PHOTO_DECODE = "full decode 12 MP (open + load)"
REPORT_VARIANTS = {
    "tend": "Tend: ReportLab + rl_accel, native charts, stored JPEGs",
    "noaccel": "ReportLab without rl_accel, `useA85 = 0`",
    "noaccel-a85": "ReportLab without rl_accel, `useA85 = 1` (its defaults)",
    "tend-noshapecheck": "what-if: `rl_config.shapeChecking = 0`",
    "matplotlib": "ReportLab + matplotlib charts (PNG)",
    "weasyprint": "WeasyPrint: HTML/CSS, inline SVG charts",
}


# ---------------------------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------------------------

def num(value: Any) -> str:
    """A measured quantity (ms, req/s, MB, s): one decimal under 10, else whole with separators."""
    if value is None or isinstance(value, bool):
        return DASH
    value = float(value)
    return f"{value:.1f}" if abs(value) < 10 else f"{value:,.0f}"


def ms(value: Any) -> str:
    return DASH if value is None else f"{num(value)} ms"


def ratio(value: Any) -> str:
    return DASH if value is None else f"{float(value):.2f}"


def count(value: Any) -> str:
    return DASH if value is None else f"{int(value):,}"


def pct(value: float) -> str:
    """A percentage: one decimal under 10, else whole."""
    value = round(value, 1)
    return f"{value:.1f} %" if abs(value) < 10 else f"{value:,.0f} %"


def span(values: Iterable[Any]) -> str:
    found = [float(v) for v in values if v is not None]
    if not found:
        return DASH
    low, high = min(found), max(found)
    return num(low) if num(low) == num(high) else f"{num(low)}{DASH}{num(high)}"


def when(stamp: Any) -> str:
    """An ISO timestamp from a JSON as `YYYY-MM-DD HH:MM UTC`."""
    if not stamp:
        return "not recorded"
    try:
        moment = dt.datetime.fromisoformat(str(stamp))
    except ValueError:
        return str(stamp)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def minmax(figures: dict[str, Any]) -> str:
    low, high = figures.get("min_ms"), figures.get("max_ms")
    if low is None and high is None:
        return DASH
    return f"{num(low)}{DASH}{num(high)} ms"


def ran(data: dict[str, Any], default: str) -> str:
    """The command line a JSON records (`argv`: the script's path, then its arguments), else
    `default`."""
    argv = data.get("argv")
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        return default
    return f"{PYTHON} {shlex.join(argv)}"


def command_line(command: str, data: dict[str, Any]) -> str:
    return f"Command: `{ran(data, command)}`" + (" (quick mode: a smoke check, not figures)"
                                                 if data.get("quick") else "")


def loads(values: Any) -> str:
    if not values:
        return DASH
    return " / ".join(f"{float(v):.2f}" for v in values)


def cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(header: list[str], rows: list[list[Any]], align: str = "") -> list[str]:
    """A markdown table; `align` has one letter per column, l or r (the first left, the rest right
    by default)."""
    align = align or "l" + "r" * (len(header) - 1)
    marks = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(marks) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return lines


# ---------------------------------------------------------------------------------------------
# Goals
# ---------------------------------------------------------------------------------------------

def verdict(value: float | None, goal: float, sense: str, unit: str = "") -> str:
    """`sense`: ">=" (value at least goal), "<" (below goal) or "<=" (at most goal). A miss says by
    how much, relative to the goal, and in the unit too when there is one."""
    if value is None:
        return "not run"
    holds = {">=": value >= goal, "<": value < goal, "<=": value <= goal}[sense]
    if holds:
        return "holds"
    gap = abs(value - goal)
    relative = pct(100 * gap / goal) if goal else ""
    if unit:
        return f"**misses by {num(gap)} {unit} ({relative})**"
    return f"**misses by {relative}**"


class Goals:
    def __init__(self) -> None:
        self.rows: list[list[str]] = []

    def add(self, goal: str, measured: str, result: str) -> None:
        self.rows.append([goal, measured, result])

    def missing(self, goal: str) -> None:
        self.add(goal, DASH, "not run")

    def lines(self) -> list[str]:
        held = sum(1 for r in self.rows if r[2] == "holds")
        missed = sum(1 for r in self.rows if r[2].startswith("**misses"))
        other = len(self.rows) - held - missed
        summary = f"{held} of {len(self.rows)} goals hold, {missed} missed"
        summary += f", {other} not run or not measured." if other else "."
        return [summary, "", *table(["goal", "measured", "result"], self.rows, "lrl")]


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------

def read(path: Path) -> tuple[dict[str, Any] | None, str]:
    """The JSON at `path`, or None and why not."""
    if not path.exists():
        return None, f"not run (no `{shown(path)}`)"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        return None, f"not run (`{shown(path)}` is unreadable: {error})"
    if not isinstance(data, dict):
        return None, f"not run (`{shown(path)}` does not hold an object)"
    return data, ""


def tend_endpoints(scale: dict[str, Any]) -> list[dict[str, Any]]:
    """Tend's endpoints of one scale (those compared with a baseline), in the run's order."""
    return [e for e in scale.get("endpoints", []) if e.get("baseline")]


# ---------------------------------------------------------------------------------------------
# Goals from each benchmark
# ---------------------------------------------------------------------------------------------

def http_goals(goals: Goals, data: dict[str, Any] | None) -> None:
    if data is None:
        for goal in (f"req/s ratio >= {GOAL_RATIO:.1f} vs naive DRF, each Tend endpoint at each scale",
                     f"p99 < {GOAL_P99_MS:.0f} ms, each Tend endpoint at each scale",
                     f"median at the largest scale <= {GOAL_GROWTH}x the smallest",
                     f"one-year adherence in-process: median < {GOAL_ADHERENCE_MS:.0f} ms",
                     "EXPLAIN: no hot query of Tend reads a big table by Seq Scan"):
            goals.missing(goal)
        return
    scales = data.get("scales", [])
    for scale in scales:
        patients = count(scale.get("patients"))
        for endpoint in tend_endpoints(scale):
            figures = scale["http"][endpoint["name"]]
            value = figures.get("ratio")
            goals.add(f"{endpoint['label']} at {patients} patients: req/s ratio >= {GOAL_RATIO:.1f} vs "
                      f"{endpoint['baseline'].replace('_', ' ')}",
                      ratio(value), verdict(value, GOAL_RATIO, ">="))
        for endpoint in tend_endpoints(scale):
            figures = scale["http"][endpoint["name"]]
            alone = figures.get("unqueued")
            value = (alone or figures).get("p99_ms")
            where = (f" ({alone['connections']} connections, one per worker; "
                     f"{ms(figures.get('p99_ms'))} at {data.get('connections', '?')})") if alone else ""
            goals.add(f"{endpoint['label']} at {patients} patients: p99 < {GOAL_P99_MS:.0f} ms{where}",
                      ms(value), verdict(value, GOAL_P99_MS, "<", "ms"))
    growth = data.get("scale_growth")
    if growth and len(scales) > 1:
        small, large = count(scales[0].get("patients")), count(scales[-1].get("patients"))
        for endpoint in tend_endpoints(scales[-1]):
            found = growth.get(endpoint["name"])
            value = found.get("ratio") if found else None
            goals.add(f"{endpoint['label']}: median at {large} <= {GOAL_GROWTH}x at {small} patients",
                      DASH if value is None else f"{ratio(value)}x", verdict(value, GOAL_GROWTH, "<="))
    else:
        goals.add(f"median at the largest scale <= {GOAL_GROWTH}x the smallest", DASH,
                  "not measured (one scale)")
    for scale in scales:
        patients = count(scale.get("patients"))
        adherence = scale.get("inprocess", {}).get("adherence_one_year", {})
        value = adherence.get("median_ms")
        goals.add(f"one-year adherence in-process at {patients} patients: median < "
                  f"{GOAL_ADHERENCE_MS:.0f} ms", ms(value), verdict(value, GOAL_ADHERENCE_MS, "<", "ms"))
    for scale in scales:
        patients = count(scale.get("patients"))
        plans = hot_plans(scale)
        scanned = [p for p in plans if p.get("big_seq_scans")]
        where = sorted({f"{p['endpoint']} ({', '.join(p['big_seq_scans'])})" for p in scanned})
        measured = f"{len(plans) - len(scanned)} of {len(plans)} hot queries read no big table by Seq Scan"
        if where:
            measured += "; Seq Scan: " + "; ".join(where)
        result = "holds" if not scanned else f"**misses by {len(scanned)} of {len(plans)} queries**"
        goals.add(f"EXPLAIN at {patients} patients: no hot query of Tend reads a big table by Seq Scan",
                  measured, result if plans else "not measured")


def hot_plans(scale: dict[str, Any]) -> list[dict[str, Any]]:
    """The checked plans of Tend's own queries (its endpoints and the one-year adherence); the
    baselines' plans are shown in the tables but are not Tend's hot queries."""
    tend = {e["name"] for e in tend_endpoints(scale)}
    return [p for p in scale.get("inprocess", {}).get("plans", [])
            if p.get("endpoint") in tend or str(p.get("endpoint", "")).startswith("adherence (one year")]


def photo_goals(goals: Goals, data: dict[str, Any] | None) -> None:
    if data is None:
        goals.missing(f"photo render / minimal Pillow pipeline <= {GOAL_PHOTO_RATIO:.1f} (12 MP)")
        goals.missing(f"photo upload: median < {GOAL_UPLOAD_MS:.0f} ms")
        return
    ratios = data.get("ratios", {})
    for size in ("12", "48"):
        value = ratios.get(f"render_over_minimal_{size}mp")
        goals.add(f"photo render / minimal Pillow pipeline <= {GOAL_PHOTO_RATIO:.1f}, {size} MP "
                  "(medians)", ratio(value), verdict(value, GOAL_PHOTO_RATIO, "<="))
    value = data.get("timings", {}).get(PHOTO_UPLOAD, {}).get("median_ms")
    goals.add(f"photo upload (POST /api/v1/photos/, 12 MP): median < {GOAL_UPLOAD_MS:.0f} ms", ms(value),
              verdict(value, GOAL_UPLOAD_MS, "<", "ms"))


def report_goals(goals: Goals, data: dict[str, Any] | None) -> None:
    median_goal = f"12-week report: median < {GOAL_REPORT_MS / 1000:.0f} s"
    rss_goal = f"12-week report: peak RSS < {GOAL_REPORT_RSS_MB:.0f} MB"
    tend = (data or {}).get("tend", {})
    if data is None or "median_ms" not in tend:
        failed = "not run" if data is None else "failed: " + str(tend.get("error", "no figures"))
        goals.add(median_goal, DASH, failed)
        goals.add(rss_goal, DASH, failed)
        return
    goals.add(median_goal, ms(tend["median_ms"]), verdict(tend["median_ms"], GOAL_REPORT_MS, "<", "ms"))
    renders = data.get("renders_per_variant")
    measured = f"{num(tend.get('peak_rss_mb'))} MB"
    if renders:
        measured += f" after {renders + 1} renders"
    goals.add(rss_goal, measured, verdict(tend.get("peak_rss_mb"), GOAL_REPORT_RSS_MB, "<", "MB"))


# ---------------------------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------------------------

def http_section(data: dict[str, Any], command: str) -> list[str]:
    out = [command_line(command, data), ""]
    scales = data.get("scales", [])
    out.append(f"Run {when(data.get('date'))}, {num(data.get('total_s'))} s in all; load generator "
               f"{data.get('generator', '?')}, {data.get('threads', '?')} threads x "
               f"{data.get('connections', '?')} connections against gunicorn (2 sync workers); "
               f"{data.get('seconds', '?')} s per endpoint and scale in {data.get('rounds', '?')} rounds "
               f"after a {data.get('warmup_seconds', '?')} s warm-up; in-process figures over "
               f"{data.get('repeats', '?')} runs.")
    out += ["", "**Seed** (`manage.py seed_scale`, a throwaway database per scale):", ""]
    rows = []
    for scale in scales:
        sizes = scale.get("subjects", {}).get("rows", {})
        rows.append([f"{count(scale.get('patients'))} x {scale.get('days', '?')} days",
                     num(scale.get("migrate_s")), num(scale.get("seed_s")), num(scale.get("analyze_s")),
                     *[count(sizes.get(t)) for t in ("tracker_patient", "tracker_application",
                                                      "tracker_symptomentry", "tracker_photo",
                                                      "tracker_review", "tracker_auditevent")],
                     count(scale.get("subjects", {}).get("database_mb")),
                     count(scale.get("subjects", {}).get("nurse_patients")),
                     count(scale.get("unreviewed_photos")), loads(scale.get("load_before")),
                     loads(scale.get("load_after"))])
    out += table(["patients x days", "migrate s", "seed s", "ANALYZE s", "patients", "applications",
                  "symptom entries", "photos", "reviews", "audit events", "database MB",
                  "nurse's patients", "queue", "load before", "load after"], rows)
    out += ["", "The load average (1, 5, 15 min) before and after the load phase.", ""]

    for scale in scales:
        http = scale.get("http", {})
        bare = http.get("bare", {}).get("req_per_s")
        out += [f"### {count(scale.get('patients'))} patients: over HTTP", ""]
        rows = []
        for name, figures in http.items():
            label = figures.get("label", name)
            if name == "bare":
                label += " (the ceiling)"
            is_tend = bool(figures.get("baseline"))
            alone = figures.get("unqueued") or {}
            p99 = (alone or figures)["p99_ms"]
            rows.append([
                label, count(figures.get("requests")), num(figures.get("req_per_s")),
                span(figures.get("rounds_req_per_s", [])), ms(figures.get("p50_ms")),
                ms(figures.get("p90_ms")), ms(figures.get("p99_ms")), ms(figures.get("max_ms")),
                ms(alone.get("p50_ms")) if alone else DASH, ms(alone.get("p99_ms")) if alone else DASH,
                ratio(figures["req_per_s"] / bare) if bare and figures.get("req_per_s") is not None else DASH,
                figures.get("baseline", "").replace("_", " ") if is_tend else "",
                ratio(figures.get("ratio")) if is_tend else "",
                ("yes" if figures["ratio"] >= GOAL_RATIO else "**no**") if is_tend else "",
                ("yes" if p99 < GOAL_P99_MS else "**no**") if is_tend else "",
            ])
        unqueued = next((f["unqueued"]["connections"] for f in http.values() if f.get("unqueued")), None)
        out += table(["endpoint", "requests", "req/s", "rounds req/s", "p50", "p90", "p99", "max",
                      f"p50 at {unqueued or '?'} conn.", f"p99 at {unqueued or '?'} conn.",
                      "÷ bare", "baseline", "ratio", f"ratio ≥ {GOAL_RATIO:.1f}",
                      f"p99 < {GOAL_P99_MS:.0f} ms"],
                     rows, "lrrrrrrrrrrlrll")
        out += ["", "req/s: all rounds' requests over their seconds (the ratio uses it); rounds req/s: "
                "the slowest and fastest round; latencies pooled over the rounds; ratio: Tend's req/s "
                "over the naive baseline's for the same work, same run; ÷ bare: req/s over the bare "
                "JsonResponse's (the ceiling of this server). p50/p99 at 2 connections: a second pass "
                "with one connection per gunicorn worker, so that no request waits in the server's "
                "queue; the p99 goal is judged there. With 8 connections on 2 workers each request "
                "waits for about 3 others (Little's law), so that p99 measures the queue.", ""]

        inprocess = scale.get("inprocess", {})
        out += [f"In-process at {count(scale.get('patients'))} patients (Django test client, one request "
                "at a time, same database; ratio: the baseline's median over this one's):", ""]
        rows = []
        for name, figures in inprocess.get("endpoints", {}).items():
            rows.append([http.get(name, {}).get("label", name), count(figures.get("queries")),
                         ms(figures.get("median_ms")), ms(figures.get("p99_ms")), minmax(figures),
                         ms(figures.get("sql_median_ms")), ms(figures.get("python_median_ms")),
                         ratio(figures.get("ratio")) if "ratio" in figures else ""])
        out += table(["endpoint", "queries", "median", "p99", f"min{DASH}max", "SQL (median)",
                      "Python (median)", "ratio"], rows)
        out += ["", f"{data.get('repeats', '?')} runs per endpoint, round-robin; p99 by nearest rank "
                "(under 100 runs, the slowest); SQL and Python: the medians of each.", ""]

    out += ["### One-year adherence, in-process", ""]
    rows = []
    for scale in scales:
        adherence = scale.get("inprocess", {}).get("adherence_one_year")
        if not adherence:
            continue
        rows.append([f"{count(scale.get('patients'))} patients", count(adherence.get("period_days")),
                     count(adherence.get("queries")), count(adherence.get("runs")),
                     ms(adherence.get("median_ms")), ms(adherence.get("p99_ms")),
                     minmax(adherence),
                     "yes" if adherence.get("median_ms", 1e9) < GOAL_ADHERENCE_MS else "**no**"])
    out += table(["scale", "days", "queries", "runs", "median", "p99", f"min{DASH}max",
                  f"median < {GOAL_ADHERENCE_MS:.0f} ms"], rows, "lrrrrrrl")
    out.append("")

    growth = data.get("scale_growth")
    out += ["### Growth with the clinic", ""]
    if growth and len(scales) > 1:
        small, large = count(scales[0].get("patients")), count(scales[-1].get("patients"))
        tend = {e["name"] for e in tend_endpoints(scales[-1])}
        rows = []
        for name, figures in growth.items():
            rows.append([figures.get("label", name), ms(figures.get("p50_small_ms")),
                         ms(figures.get("p50_large_ms")), f"{ratio(figures.get('ratio'))}x",
                         f"{ratio(figures['inprocess_ratio'])}x" if "inprocess_ratio" in figures
                         else DASH,
                         ("yes" if figures["ratio"] <= GOAL_GROWTH else "**no**") if name in tend else ""])
        out += table(["endpoint", f"p50 at {small}", f"p50 at {large}", f"{large} / {small}",
                      "in-process", f"≤ {GOAL_GROWTH}x"], rows, "lrrrrl")
        out += ["", f"Median latency over HTTP at {large} patients over the median at {small}; in-process: "
                "the same for the in-process medians.", ""]
    else:
        out += ["Not measured: the run had one scale.", ""]

    out += ["### EXPLAIN (ANALYZE, BUFFERS) of every SELECT the endpoints ran", ""]
    for scale in scales:
        plans = scale.get("inprocess", {}).get("plans", [])
        hot = {id(p) for p in hot_plans(scale)}
        out += [f"At {count(scale.get('patients'))} patients, {len(plans)} plans ({len(hot)} of Tend's "
                f"queries; big tables: {', '.join(f'`{t}`' for t in BIG_TABLES)}):", ""]
        rows = []
        for number, plan in enumerate(plans, 1):
            big = plan.get("big_seq_scans", [])
            small_scans = [t for t in plan.get("seq_scans", []) if t not in big]
            if big:
                result = "**Seq Scan on a big table**"
            elif plan.get("indexes"):
                result = "index"
            else:
                result = "no index needed" if not small_scans else "small table scanned"
            rows.append([str(number), plan.get("endpoint", "?") + ("" if id(plan) in hot else " (baseline)"),
                         ms(plan.get("execution_ms")), ", ".join(f"`{i}`" for i in plan.get("indexes", []))
                         or DASH, ", ".join(f"**`{t}`**" for t in big) or DASH,
                         ", ".join(f"`{t}`" for t in small_scans) or DASH, result])
        out += table(["#", "query of", "execution", "indexes used", "Seq Scan, big table",
                      "Seq Scan, small table", "verdict"], rows, "rlrllll")
        out.append("")
    out += ["The plans' text and SQL are in the JSON (`scales[].inprocess.plans`), with a cProfile of "
            "each endpoint (`scales[].inprocess.endpoints[].profile`).", ""]
    return out


def photos_section(data: dict[str, Any], command: str) -> list[str]:
    timings, memory = data.get("timings", {}), data.get("peak_memory_mib", {})
    ratios = data.get("ratios", {})
    inputs = data.get("inputs", {})
    load = data.get("load_average", {})
    out = [command_line(command, data), "",
           f"Run {when(data.get('at'))}; load average {loads(load.get('before'))} before, "
           f"{loads(load.get('after'))} after.", ""]
    rows = []
    for size, key in (("12 MP", "12mp"), ("48 MP", "48mp")):
        given = inputs.get(key, {})
        for pipeline in ("render", "minimal"):
            found = timings.get(f"{pipeline} {size}")
            if not found:
                continue
            peak = memory.get(f"{pipeline} {size}", {})
            name = "`tracker.imaging.render`" if pipeline == "render" else "minimal Pillow pipeline"
            rows.append([f"{size} ({given.get('stored', '?')}, {num(given.get('bytes', 0) / 1e6)} MB)", name,
                         count(found.get("runs")), ms(found.get("median_ms")), ms(found.get("p90_ms")),
                         ms(found.get("p99_ms")), minmax(found),
                         f"{num(peak.get('added_mib'))} MiB", f"{num(peak.get('peak_mib'))} MiB"])
    out += table(["input", "pipeline", "runs", "median", "p90", "p99", f"min{DASH}max", "memory added",
                  "peak RSS"], rows, "llrrrrrrr")
    out += ["", "Peak memory: each pipeline once in a fresh process (VmHWM, reset after the imports; "
            "added = over the process before the pipeline).", ""]
    rows = []
    for size, key in (("12 MP", "12mp"), ("48 MP", "48mp")):
        value = ratios.get(f"render_over_minimal_{key}")
        if value is None:
            continue
        rows.append([size, ratio(value), ratio(ratios.get(f"render_over_minimal_{key}_minima")),
                     "yes" if value <= GOAL_PHOTO_RATIO else "**no**"])
    out += table(["render / minimal", "of medians", "of minima", f"≤ {GOAL_PHOTO_RATIO:.1f}"], rows, "lrrl")
    out.append("")
    upload = timings.get(PHOTO_UPLOAD, {})
    inspect, decode = timings.get(PHOTO_INSPECT, {}), timings.get(PHOTO_DECODE, {})
    out += [f"Upload: `POST /api/v1/photos/` with a {num(inputs.get('12mp', {}).get('bytes', 0) / 1e6)} MB "
            f"12 MP JPEG through Django's test client; {data.get('upload_database', '?')}; "
            f"{count(data.get('upload_queries'))} queries per upload; {data.get('upload_enqueue', '')}.", ""]
    rows = []
    for label, found in (("upload request", upload), ("`inspect_upload` alone", inspect),
                         ("full decode of the same file (open + load)", decode)):
        if found:
            rows.append([label, count(found.get("runs")), ms(found.get("median_ms")), ms(found.get("p90_ms")),
                         ms(found.get("p99_ms")), minmax(found)])
    out += table(["12 MP", "runs", "median", "p90", "p99", f"min{DASH}max"], rows)
    out += ["", f"`inspect_upload` / full decode: {ratio(ratios.get('inspect_over_full_decode_12mp'))}; "
            f"upload / full decode: {ratio(ratios.get('upload_over_full_decode_12mp'))}.", ""]
    return out


def reports_section(data: dict[str, Any], command: str) -> list[str]:
    machine, scenario = data.get("machine", {}), data.get("scenario", {})
    out = [command_line(command, data), "",
           f"Run {when(data.get('when'))}; {data.get('renders_per_variant', '?')} timed renders per variant "
           f"in warm worker processes; load average {loads(machine.get('load_average_before'))} before, "
           f"{loads(machine.get('load_average_after'))} after"
           + (" (above the CPU count: compare CPU times and same-process ratios, not wall times)."
              if machine.get("busy") else "."), ""]
    if scenario:
        out += [f"Scenario: {count(scenario.get('applications'))} applications, "
                f"{count(scenario.get('symptom_entries'))} symptom entries, "
                f"{count(scenario.get('photos_ready'))} reviewed photos (thumbnails "
                f"{num(scenario.get('thumbnail_kb_mean'))} KB on average), "
                f"{count(scenario.get('debridements'))} debridements, "
                f"{count(scenario.get('alerts'))} alerts.",
                ""]
    rows = []
    variants = dict(data.get("per_process", {}))
    control = data.get("tend_control_process", {})
    if control:
        variants["control"] = {**control, "label": "Tend again, in the last process (the control)"}
    for variant, found in variants.items():
        label = REPORT_VARIANTS.get(variant, found.get("label", variant))
        if variant == "control":
            label = found["label"]
        if "median_ms" not in found:
            rows.append([label, f"failed: {found.get('error', '?')}", *[""] * 9])
            continue
        rows.append([label, ms(found["median_ms"]), ms(found.get("p90_ms")),
                     minmax(found), ms(found.get("cpu_median_ms")),
                     ratio(found.get("ratio_vs_tend", 1.0 if variant == "tend" else None)),
                     ratio(found.get("cpu_ratio_vs_tend", 1.0 if variant == "tend" else None)),
                     f"{num(found.get('peak_rss_mb'))} MB", num(found.get("rss_growth_mb_per_render")),
                     num(found.get("tracemalloc_peak_mb")), f"{count(found.get('pdf_pages'))} p., "
                     f"{num(found.get('pdf_kb'))} KB"])
    out += ["Each variant in its own warm worker process:", ""]
    out += table(["variant", "median", "p90", f"min{DASH}max", "CPU", "ratio", "ratio (CPU)", "peak RSS",
                  "MB / render", "traced MB", "PDF"], rows)
    out += ["", "ratio: the median over Tend's (wall, then CPU time); peak RSS: the worker's `ru_maxrss`; "
            "MB / render: RSS each render leaves behind; traced: tracemalloc peak of one render.", ""]
    goals = data.get("goals", {})
    if goals.get("rss_goal_passed_after_renders"):
        out += [f"At that growth a worker passes {num(goals.get('peak_rss_mb'))} MB after about "
                f"{count(goals['rss_goal_passed_after_renders'])} renders, unless a full garbage "
                "collection runs.", ""]

    same = data.get("same_process", {})
    if same.get("variants"):
        out += [f"Variants interleaved in one worker ({same.get('rounds', '?')} rounds, random order; "
                "compare these ratios):", ""]
        rows = [[REPORT_VARIANTS.get(v, v), ms(f.get("median_ms")), ms(f.get("p90_ms")), minmax(f),
                 ms(f.get("cpu_median_ms")), ratio(f.get("ratio_vs_tend")), ratio(f.get("cpu_ratio_vs_tend"))]
                for v, f in same["variants"].items()]
        out += table(["variant", "median", "p90", f"min{DASH}max", "CPU", "ratio", "ratio (CPU)"], rows)
        out.append("")
        if any(v.startswith("noaccel") for v in same["variants"]):
            out += ["Without rl_accel in that worker: ReportLab's own Python versions of the accelerated "
                    "functions swapped in for the C ones.", ""]
    elif same.get("error"):
        out += [f"The interleaved worker failed: {same['error']}.", ""]

    split = data.get("tend", {}).get("split")
    if split:
        out += [f"Where Tend's render goes (median per render of an instrumented pass; total "
                f"{ms(split.get('total_ms'))} wall, {ms(split.get('total_cpu_ms'))} CPU):", ""]
        rows = []
        for key, label in (("data_gather", "data: `gather` (queries, adherence)"),
                           ("data_summary", "data: `summary`"),
                           ("charts_build", f"charts: build the {split.get('charts', '?')} Drawings"),
                           ("charts_draw", "charts: draw them"),
                           ("images_read", f"images: read {split.get('thumbnails', '?')} thumbnails"),
                           ("images_embed", f"images: `drawImage` ({split.get('images_embedded', '?')})"),
                           ("pdf_layout", "PDF layout/build (the rest of `render_pdf`)"),
                           ("other", "claim, store the PDF, update the row")):
            if f"{key}_ms" not in split:
                continue
            rows.append([label, ms(split[f"{key}_ms"]), pct(100 * split.get(f"{key}_share", 0)),
                         ms(split.get(f"{key}_cpu_ms")), pct(100 * split.get(f"{key}_cpu_share", 0))])
        out += table(["part", "wall", "share", "CPU", "share"], rows)
        out.append("")
    chart = same.get("chart")
    if chart:
        out += [f"One pain/itch chart ({count(chart.get('points_per_series'))} days x 2 series), median of "
                f"{count(chart.get('repeats'))}:", ""]
        rows = []
        for key, label in (("native_build", "ReportLab native: build the Drawing"),
                           ("native_pdf", "ReportLab native: build and draw, one-page PDF"),
                           ("matplotlib_png", "matplotlib: Figure and PNG"),
                           ("matplotlib_pdf", "matplotlib: PNG embedded, one-page PDF"),
                           ("svg_string", "SVG string for WeasyPrint (build only)")):
            if f"{key}_ms" in chart:
                rows.append([label, ms(chart[f"{key}_ms"]), ms(chart.get(f"{key}_cpu_ms"))])
        out += table(["", "wall", "CPU"], rows)
        out.append("")
    return out


# ---------------------------------------------------------------------------------------------
# Machine and versions
# ---------------------------------------------------------------------------------------------

def machine_rows(runs: dict[str, dict[str, Any] | None]) -> list[list[str]]:
    rows = []
    http, photos, reports = runs.get("http"), runs.get("photos"), runs.get("reports")
    if http:
        m = http.get("machine", {})
        scales = http.get("scales", [])
        before = m.get("load_average_start") or (scales[0].get("load_before") if scales else None)
        after = m.get("load_average_end") or (scales[-1].get("load_after") if scales else None)
        rows.append(["`bench/http_load.py`", when(http.get("date")), m.get("cpu_model", "not recorded"),
                     count(m.get("cpus")), f"{num(m.get('memory_gb'))} GB" if m.get("memory_gb") else DASH,
                     m.get("kernel") or m.get("platform", DASH), loads(before), loads(after)])
    if photos:
        m = photos.get("machine", {})
        load = photos.get("load_average", {})
        rows.append(["`bench/photos.py`", when(photos.get("at")), m.get("cpu_model", "not recorded"),
                     count(m.get("cpus", photos.get("cpus"))),
                     f"{num(m.get('memory_gb'))} GB" if m.get("memory_gb") else DASH,
                     m.get("kernel") or m.get("platform", DASH), loads(load.get("before")),
                     loads(load.get("after"))])
    if reports:
        m = reports.get("machine", {})
        rows.append(["`bench/reports.py`", when(reports.get("when")), m.get("cpu_model", "not recorded"),
                     count(m.get("cpus")), f"{num(m.get('memory_gb'))} GB" if m.get("memory_gb") else DASH,
                     m.get("kernel") or m.get("platform", DASH), loads(m.get("load_average_before")),
                     loads(m.get("load_average_after"))])
    return rows


VERSION_KEYS = (  # (label, key in http versions, photos versions, reports machine)
    ("Python", "python", "python", "python"),
    ("Django", "django", "django", "django"),
    ("Django REST framework", "djangorestframework", "djangorestframework", None),
    ("psycopg", "psycopg", "psycopg", None),
    ("PostgreSQL server", "postgresql", None, None),
    ("Redis server", "redis", None, None),
    ("gunicorn", "gunicorn", None, None),
    ("wrk", "wrk", None, None),
    ("Pillow", None, "pillow", "pillow"),
    ("pillow-heif", None, "pillow-heif", None),
    ("ReportLab", None, None, "reportlab"),
    ("rl_accel", None, None, "rl_accel"),
    ("matplotlib", None, None, "matplotlib"),
    ("WeasyPrint", None, None, "weasyprint"),
)


def version_rows(runs: dict[str, dict[str, Any] | None]) -> list[list[str]]:
    http, photos, reports = runs.get("http"), runs.get("photos"), runs.get("reports")
    sources: list[tuple[dict[str, Any] | None, Callable[[dict[str, Any]], dict[str, Any]]]] = [
        (http, lambda d: d.get("versions", {})),
        (photos, lambda d: {"python": d.get("python"), "pillow": d.get("pillow"), **d.get("versions", {})}),
        (reports, lambda d: d.get("machine", {})),
    ]
    rows = []
    for label, *keys in VERSION_KEYS:
        cells = []
        for (data, versions), key in zip(sources, keys, strict=True):
            if key is None:
                cells.append("")
            elif data is None:
                cells.append("not run")
            else:
                value = versions(data).get(key)
                cells.append("not installed" if value is None else str(value))
        if any(c and c != "not run" for c in cells) or all(c in ("", "not run") for c in cells):
            rows.append([label, *cells])
    return rows


# ---------------------------------------------------------------------------------------------
# The document
# ---------------------------------------------------------------------------------------------

def render(paths: dict[str, Path], quick: bool = False) -> str:
    runs: dict[str, dict[str, Any] | None] = {}
    why: dict[str, str] = {}
    for name in NAMES:
        runs[name], why[name] = read(paths[name])
    commands = QUICK_COMMANDS if quick else COMMANDS
    make = "make bench-quick" if quick else "make bench"
    out = [f"<!-- Generated by `{make}` (bench/results.py) from the benchmarks' JSON: "
           "do not edit by hand. -->",
           "", "# Benchmark results" + (" (quick mode: smoke checks, not figures)" if quick else ""), "",
           f"_Generated by `{make}` (`bench/results.py`) from "
           + ", ".join(f"`{shown(paths[n])}`" for n in NAMES)
           + f" on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; do not edit by hand: run `{make}` again._",
           "", "Methods and the discussion of the figures: [README.md](README.md).", ""]

    goals = Goals()
    for name, fill in (("http", http_goals), ("photos", photo_goals), ("reports", report_goals)):
        try:
            fill(goals, runs[name])
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            goals.add(f"goals of `{SCRIPTS[name]}`", DASH,
                      f"unreadable JSON ({type(error).__name__}: {error})")
    out += ["## Goals (issue 6)", "", *goals.lines(), ""]

    out += ["## Machine and versions", ""]
    rows = machine_rows(runs)
    if rows:
        out += table(["run", "date", "CPU", "cores", "memory", "kernel", "load before", "load after"], rows,
                     "lllrrlll")
        out += ["", "Load average: 1, 5 and 15 minutes, at the start and the end of each run.", ""]
    else:
        out += ["No benchmark has run: not run.", ""]
    out += table(["component", "`bench/http_load.py`", "`bench/photos.py`", "`bench/reports.py`"],
                 version_rows(runs), "llll")
    out.append("")

    for name, title, section in (
            ("http", "HTTP at clinic scale (issue 6, points 2 and 3)", http_section),
            ("photos", "Photos: processing and upload (issue 6, point 5)", photos_section),
            ("reports", "Reports: the 12-week progress report (issue 6, point 5)", reports_section)):
        out += [f"## {title}", ""]
        data = runs[name]
        if data is None:
            out += [f"{why[name]}: `{commands[name]}`", ""]
            continue
        try:
            out += section(data, commands[name])
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            out += [f"`{shown(paths[name])}` could not be read in full ({type(error).__name__}: {error}): "
                    f"run `{commands[name]}` again.", ""]
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="read the *-quick.json files and write bench/results/RESULTS-quick.md")
    parser.add_argument("--dir", type=Path, default=RESULTS_DIR, help="where the JSON files are")
    for name in NAMES:
        parser.add_argument(f"--{name}", type=Path, help=f"the JSON of {SCRIPTS[name]} (overrides --dir)")
    parser.add_argument("--output", type=Path, help="the markdown to write (bench/RESULTS.md; "
                        "bench/results/RESULTS-quick.md with --quick)")
    args = parser.parse_args(argv)
    suffix = "-quick" if args.quick else ""
    paths = {name: getattr(args, name) or args.dir / f"{name}{suffix}.json" for name in NAMES}
    output = args.output or (QUICK_OUTPUT if args.quick else OUTPUT)
    if args.quick and output.resolve() == OUTPUT.resolve():
        parser.error("quick figures never replace bench/RESULTS.md: choose another --output")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(paths, quick=args.quick))
    print(f"Written to {shown(output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
