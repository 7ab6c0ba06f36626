"""The progress report as a PDF, with ReportLab: native vector charts, and the stored JPEG
thumbnails embedded as they are (never decoded and re-encoded).

The frame (180 x 245 mm) fits inside both A4 and US Letter, so the report prints on either; the
charts are vectors, so it stays sharp when zoomed on a tablet.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

from django.core.files.storage import default_storage
from reportlab import rl_config
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from tracker import clock
from tracker.models import AlertKind
from tracker.reports import i18n
from tracker.reports.data import PhotoPoint, ReportData

rl_config.useA85 = 0  # ASCII85 costs time and bytes for nothing in a binary PDF

FRAME_WIDTH = 180 * mm
FRAME_HEIGHT = 245 * mm
PAPERS = {"a4": A4, "letter": LETTER}

INK = colors.HexColor("#1d2733")
MUTED = colors.HexColor("#52606d")
APPLIED = colors.HexColor("#2e7d32")
SKIPPED = colors.HexColor("#e0a100")
NOTHING = colors.HexColor("#c62828")
NOT_EXPECTED = colors.HexColor("#e4e7eb")
PENDING = colors.white  # today, not logged yet: outlined, neither applied nor missed
PAIN = colors.HexColor("#c62828")
ITCH = colors.HexColor("#1565c0")

_base = getSampleStyleSheet()
STYLES = {
    "title": ParagraphStyle("title", parent=_base["Title"], fontSize=18, leading=22,
                            alignment=0, textColor=INK, spaceAfter=4),
    "h2": ParagraphStyle("h2", parent=_base["Heading2"], fontSize=13, leading=16, textColor=INK,
                         spaceBefore=8, spaceAfter=4),
    "body": ParagraphStyle("body", parent=_base["BodyText"], fontSize=10, leading=13,
                           textColor=INK),
    "small": ParagraphStyle("small", parent=_base["BodyText"], fontSize=8.5, leading=11,
                            textColor=MUTED),
}


def _p(text: str, style: str = "body") -> Paragraph:
    return Paragraph(text, STYLES[style])


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _heatmap(data: ReportData, t: dict[str, str], language: str) -> Drawing:
    """The period as weeks (rows, Monday first) of coloured days, each with a letter too, so the
    map reads without colour."""
    days = data.adherence.days
    first_monday = days[0].date - dt.timedelta(days=days[0].date.weekday())
    weeks = (days[-1].date - first_monday).days // 7 + 1
    cell, gap, label_w = 7 * mm, 1 * mm, 22 * mm
    height = weeks * (cell + gap) + 14 * mm
    drawing = Drawing(FRAME_WIDTH, height)
    for day in days:
        row = (day.date - first_monday).days // 7
        col = day.date.weekday()
        x = label_w + col * (cell + gap)
        y = height - 6 * mm - (row + 1) * (cell + gap)
        if not day.expected:
            fill, letter = NOT_EXPECTED, ""
        elif day.applied >= day.expected:
            fill, letter = APPLIED, t["applied"][0]
        elif day.skipped:
            fill, letter = SKIPPED, t["skipped"][0]
        elif day.pending:
            fill, letter = PENDING, "?"
        else:
            fill, letter = NOTHING, "-"
        drawing.add(Rect(x, y, cell, cell, fillColor=fill,
                         strokeColor=INK if fill is PENDING else None, strokeWidth=0.6))
        if letter:
            drawing.add(String(x + cell / 2, y + 2.2 * mm, letter, fontSize=7, fontName="Helvetica",
                               fillColor=INK if fill is PENDING else colors.white,
                               textAnchor="middle"))
        if col == 0 or day is days[0]:
            drawing.add(String(0, y + 2.2 * mm, i18n.short_date(day.date, language),
                               fontSize=7.5, fillColor=MUTED))
    for col, letter in enumerate(t["weekdays"]):
        drawing.add(String(label_w + col * (cell + gap) + cell / 2, height - 3.5 * mm, letter,
                           fontSize=7, fillColor=MUTED, textAnchor="middle"))
    legend_y = 2 * mm
    x = label_w
    legend = [(APPLIED, "applied"), (SKIPPED, "skipped"), (NOTHING, "nothing"),
              (NOT_EXPECTED, "not_expected")]
    if any(day.pending for day in days):
        legend.append((PENDING, "pending"))
    for fill, key in legend:
        drawing.add(Rect(x, legend_y, 3 * mm, 3 * mm, fillColor=fill,
                         strokeColor=INK if fill is PENDING else None, strokeWidth=0.6))
        drawing.add(String(x + 4 * mm, legend_y + 0.5 * mm, t[key], fontSize=7.5, fillColor=MUTED))
        x += 4 * mm + len(t[key]) * 1.6 * mm + 4 * mm
    return drawing


def _line_chart(series: list[tuple[str, colors.Color, list[tuple[int, float]]]],
                *, width: float, height: float, y_max: float, language: str,
                y_step: float) -> Drawing:
    """A line chart over days (x: date ordinals, labelled as short dates)."""
    drawing = Drawing(width, height)
    plot = LinePlot()
    plot.x, plot.y = 12 * mm, 10 * mm
    plot.width, plot.height = width - 16 * mm, height - 16 * mm
    plot.data = [points for _, _, points in series]
    xs = [x for _, _, points in series for x, _ in points]
    lo, hi = min(xs), max(xs)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = lo, hi
    span = hi - lo
    plot.xValueAxis.valueStep = max(1, round(span / 6))
    plot.xValueAxis.labelTextFormat = (
        lambda ordinal: i18n.short_date(dt.date.fromordinal(int(ordinal)), language))
    plot.xValueAxis.labels.fontSize = 7
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax = 0, y_max
    plot.yValueAxis.valueStep = y_step
    plot.yValueAxis.labels.fontSize = 7
    plot.yValueAxis.gridStrokeColor = NOT_EXPECTED
    plot.yValueAxis.visibleGrid = True
    for index, (_, colour, _) in enumerate(series):
        plot.lines[index].strokeColor = colour
        plot.lines[index].strokeWidth = 1.6
        plot.lines[index].symbol = makeMarker("FilledCircle", size=3, fillColor=colour)
    drawing.add(plot)
    x = 12 * mm
    for name, colour, _ in series:
        drawing.add(Rect(x, height - 4 * mm, 3 * mm, 3 * mm, fillColor=colour, strokeColor=None))
        drawing.add(String(x + 4 * mm, height - 3.5 * mm, name, fontSize=8, fillColor=INK))
        x += 6 * mm + len(name) * 1.8 * mm
    return drawing


def _image_source(name: str) -> Any:
    """The stored JPEG for ReportLab to embed as it is (DCTDecode, never re-encoded).

    A file path when the storage has one: handed a file object, ReportLab decodes every JPEG to
    pixels for a cache key and keeps them until a full garbage collection (+9 MB a report in a
    long-lived worker; measured in bench/reports.py). Object stores have no path: bytes then.
    """
    try:
        return default_storage.path(name)
    except NotImplementedError:
        with default_storage.open(name, "rb") as handle:
            return io.BytesIO(handle.read())


def _thumbnail(point: PhotoPoint, width: float, language: str) -> list[Flowable]:
    image = Image(_image_source(point.thumbnail_name), width=width, height=width * 0.75,
                  kind="proportional")
    return [image, _p(i18n.date(point.date, language), "small")]


def _section_header(data: ReportData, t: dict[str, str], language: str, *,
                    generated_at: dt.datetime, generated_for: str) -> list[Flowable]:
    course, patient = data.course, data.course.patient
    age = data.end.year - patient.birth_year
    frequency = (t["once_daily"] if course.applications_per_day == 1
                 else t["times_daily"].format(n=course.applications_per_day))
    strength = i18n.number(float(course.concentration_percent), language, digits=0, suffix=" %")
    # In the patient's (and so the clinic's) time zone, named, so the moment is unambiguous.
    local = generated_at.astimezone(clock.zone(patient.timezone))
    rows = [
        [t["patient"], f"{_escape(patient.display_name)} · {t['age']} {age} {t['years']}"],
        [t["regimen"], f"{_escape(course.medication)} {strength}, {_escape(course.vehicle)}, "
                       f"{_escape(course.body_site)}, {frequency}"],
        [t["period"], f"{i18n.date(data.start, language)} - {i18n.date(data.end, language)}"],
    ]
    table = Table([[_p(f"<b>{a}</b>"), _p(b)] for a, b in rows],
                  colWidths=[28 * mm, FRAME_WIDTH - 28 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    when = f"{i18n.date(local.date(), language)} {local:%H:%M} ({patient.timezone})"
    return [_p(t["title"], "title"), table,
            _p(t["generated"].format(when=when, whom=_escape(generated_for)), "small")]


def _section_baseline(data: ReportData, t: dict[str, str], language: str) -> list[Flowable]:
    """The index procedure and the first measurement, whatever the period."""
    baseline, rows = data.baseline, []
    if baseline.diagnosis:
        rows.append([t["diagnosis"], _escape(baseline.diagnosis)])
    for line in baseline.radiation_history:
        rows.append([t["radiation"], _escape(line)])
    index = baseline.index_procedure
    if index is None:
        rows.append([t["index_procedure"], t["no_index_procedure"]])
    else:
        start = data.course.start_date
        method = i18n.METHODS[language][index.method]
        text = t["procedure_line"].format(
            method=method if language == "en" else method.lower(),
            date=i18n.date(index.local_date, language),
            before=(t["before_course"].format(start=i18n.date(start, language))
                    if index.local_date < start else ""),
            nodules=index.nodules_removed,
            specimen=t["specimen_sent"] if index.specimen_sent else t["specimen_not_sent"])
        if index.notes.strip():
            text += f" {t['notes']}: {_escape(index.notes.strip())}"
        rows.append([t["index_procedure"], text])
    first = baseline.first_measurement
    if first is not None and first.review is not None and (parts := first.push_parts()):
        review = first.review
        rows.append([t["first_measurement"], t["measurement_line"].format(
            date=i18n.date(first.date, language),
            length=i18n.number(float(review.length_cm), language),
            width=i18n.number(float(review.width_cm), language),
            area=i18n.number(float(review.area_cm2), language, digits=2), push=review.push_score,
            lw=parts["length_width"], exudate=parts["exudate"], tissue=parts["tissue"])])
    table = Table([[_p(f"<b>{a}</b>"), _p(b)] for a, b in rows],
                  colWidths=[38 * mm, FRAME_WIDTH - 38 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    return [KeepTogether([_p(t["baseline"], "h2"), table])]


def _section_adherence(data: ReportData, summary: dict[str, Any], t: dict[str, str],
                       language: str) -> list[Flowable]:
    percent = i18n.number(summary["adherence_percent"], language, suffix=" %")
    flow: list[Flowable] = [_p(t["adherence"], "h2"), _p(t["adherence_line"].format(
        percent=f"<b>{percent}</b>", applied=summary["applications_applied"],
        expected=summary["applications_expected"]))]
    flow.append(_p(f"{t['longest_gap']}: <b>{summary['longest_gap_days']}</b> {t['days']} · "
                   f"{t['streak']}: <b>{summary['current_streak_days']}</b> {t['days']}"))
    for day in data.adherence.days:
        if day.pending:
            flow.append(_p(t["pending_note"].format(day=i18n.date(day.date, language)), "small"))
    if summary["applications_expected"]:
        flow.append(_heatmap(data, t, language))
    # Her reasons are the most actionable lines of a period: every one, under its day.
    skips = [_p(f"<b>{i18n.date(a.local_date, language)}:</b> "
                f"{_escape(a.skip_reason.strip()) or t['no_reason']}", "small")
             for a in data.skips]
    if skips:
        return [KeepTogether(flow), KeepTogether([_p(t["skip_reasons"], "body"), skips[0]]),
                *skips[1:]]
    return [KeepTogether(flow)]


def _section_symptoms(data: ReportData, t: dict[str, str], language: str) -> list[Flowable]:
    flow: list[Flowable] = [_p(t["symptoms"], "h2")]
    if not data.symptoms:
        return [*flow, _p(t["no_data"])]
    # One point a day: the day's last entry, as the patient's own summary of that day.
    by_day: dict[dt.date, Any] = {s.local_date: s for s in data.symptoms}
    # A score she did not answer is no point on the line, never a 0.
    pain = [(day.toordinal(), s.pain) for day, s in sorted(by_day.items()) if s.pain is not None]
    itch = [(day.toordinal(), s.itch) for day, s in sorted(by_day.items()) if s.itch is not None]
    series = [(name, colour, points) for name, colour, points in
              ((t["pain"], PAIN, pain), (t["itch"], ITCH, itch)) if points]
    if series:
        flow.append(_line_chart(series, width=FRAME_WIDTH, height=55 * mm, y_max=10, y_step=2,
                                language=language))
    flow.append(_p(t["red_flags"], "body"))
    if not data.red_flags:
        flow.append(_p(t["no_red_flags"], "small"))
    for entry in data.red_flags:
        signs = [t[sign.value] for sign in entry.warning_signs()]
        flow.append(_p(f"{i18n.date(entry.local_date, language)}: {', '.join(signs)}", "small"))
    return [KeepTogether(flow)]


def _measurement_table(data: ReportData, t: dict[str, str], language: str) -> Table:
    """Each measurement of the period: its date, length and width, L x W, and the three PUSH
    sub-scores beside the total."""
    rows: list[list[str]] = [[t["date"], t["length_width"], t["area_chart"], t["exudate"],
                              t["tissue"], t["push"]]]
    for point in data.measurements:
        review, parts = point.review, point.push_parts()
        if review is None or parts is None:
            continue
        rows.append([
            i18n.date(point.date, language),
            f"{i18n.number(float(review.length_cm), language)} \u00d7 "
            f"{i18n.number(float(review.width_cm), language)}",
            i18n.number(float(review.area_cm2), language, digits=2),
            t["exudate_" + review.exudate], t["tissue_" + review.tissue_type],
            f"{review.push_score} = {parts['length_width']} + {parts['exudate']} + "
            f"{parts['tissue']}",
        ])
    table = Table(rows, colWidths=[28 * mm, 24 * mm, 22 * mm, 24 * mm, 26 * mm, 56 * mm],
                  repeatRows=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"), ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, INK),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f4f6f8")]),
    ]))
    return table


def _section_wound(data: ReportData, summary: dict[str, Any], t: dict[str, str],
                   language: str) -> list[Flowable]:
    flow: list[Flowable] = [_p(t["wound"], "h2")]
    if not data.timeline:
        return [*flow, _p(t["no_data"])]
    first, last = data.timeline[0], data.timeline[-1]
    half = (FRAME_WIDTH - 6 * mm) / 2
    pair = Table([[_thumbnail(first, half, language), _thumbnail(last, half, language)]],
                 colWidths=[half + 3 * mm, half + 3 * mm])
    flow = [KeepTogether([*flow, _p(t["first_last"], "body"), pair])]
    if len(data.timeline) > 2:
        size = (FRAME_WIDTH - 5 * 3 * mm) / 6
        cells = [_thumbnail(point, size, language) for point in data.timeline]
        rows: list[list[Any]] = [cells[i:i + 6] for i in range(0, len(cells), 6)]
        rows[-1] += [""] * (6 - len(rows[-1]))
        flow += [_p(t["timeline"], "body"), Table(rows, colWidths=[size + 3 * mm] * 6)]
    if data.measurements:
        flow.append(KeepTogether([_p(t["measurements"], "body"),
                                  _measurement_table(data, t, language),
                                  _p(t["push_note"], "small")]))
    if summary["area_change_percent"] is not None:
        change = i18n.number(summary["area_change_percent"], language, suffix=" %")
        if summary["area_change_percent"] > 0:
            change = "+" + change
        flow.append(_p(t["area_change"].format(
            change=f"<b>{change}</b>",
            first=i18n.number(summary["area_first_cm2"], language, digits=2),
            first_date=i18n.date(dt.date.fromisoformat(summary["area_first_date"]), language),
            last=i18n.number(summary["area_last_cm2"], language, digits=2),
            last_date=i18n.date(dt.date.fromisoformat(summary["area_last_date"]), language))))
    if data.measurements:
        area = [(p.date.toordinal(), float(p.area_cm2 or 0)) for p in data.measurements]
        push = [(p.date.toordinal(), float(p.push_score or 0)) for p in data.measurements]
        top = max(1.0, max(a for _, a in area) * 1.2)
        charts = Table([[
            _line_chart([(t["area_chart"], ITCH, area)], width=FRAME_WIDTH / 2 - 2 * mm,
                        height=50 * mm, y_max=round(top + 0.5), y_step=max(1, round(top / 5)),
                        language=language),
            _line_chart([(t["push_chart"], PAIN, push)], width=FRAME_WIDTH / 2 - 2 * mm,
                        height=50 * mm, y_max=17, y_step=3, language=language),
        ]], colWidths=[FRAME_WIDTH / 2] * 2)
        flow.append(charts)
    return flow


def _alert_text(alert: Any, t: dict[str, str], language: str) -> str:
    """An alert in the report's language where its facts allow, else its stored (English) text."""
    facts = alert.facts or {}
    if alert.kind == AlertKind.HEALING_CHECKPOINT and "first_date" in facts:
        week, threshold = facts["week"], round(facts["threshold_percent"])
        relation = (t["checkpoint_is_source"] if facts.get("source")
                    else t["checkpoint_configured"]).format(
            threshold=threshold, week=week, source=facts.get("source"))
        change = i18n.number(float(facts["change_percent"]), language, digits=0, suffix=" %")
        return t["checkpoint_alert"].format(
            week=week, checkpoint=i18n.date(dt.date.fromisoformat(facts["checkpoint_date"]),
                                            language),
            change=("+" if facts["change_percent"] > 0 else "") + change,
            first=i18n.number(float(facts["first_area_cm2"]), language, digits=2),
            last=i18n.number(float(facts["last_area_cm2"]), language, digits=2),
            first_date=i18n.date(dt.date.fromisoformat(facts["first_date"]), language),
            last_date=i18n.date(dt.date.fromisoformat(facts["last_date"]), language),
            window=facts["window_days"], threshold=threshold,
            evidence=t["checkpoint_evidence"].format(relation=relation))
    return str(alert.detail)


def _section_clinic(data: ReportData, t: dict[str, str], language: str) -> list[Flowable]:
    flow: list[Flowable] = [_p(t["debridements"], "h2")]
    if data.debridements:
        rows: list[list[Any]] = [[t["date"], t["method"], t["nodules"], t["specimen"]]]
        spans = []
        for d in data.debridements:
            rows.append([i18n.date(d.local_date, language), i18n.METHODS[language][d.method],
                         str(d.nodules_removed), t["yes"] if d.specimen_sent else t["no"]])
            if d.notes.strip():  # the findings, the histology: under its row, all of it
                rows.append([_p(f"{t['notes']}: {_escape(d.notes.strip())}", "small"), "", "", ""])
                spans.append(("SPAN", (0, len(rows) - 1), (-1, len(rows) - 1)))
        table = Table(rows, colWidths=[40 * mm, 50 * mm, 45 * mm, 45 * mm], repeatRows=1)
        table.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"), ("FONTSIZE", (0, 0), (-1, -1), 9),
            ("LINEBELOW", (0, 0), (-1, 0), 0.6, INK), *spans,
        ]))
        flow.append(table)
    else:
        flow.append(_p(t["no_data"]))
    comments = [
        _p(f"<b>{i18n.date(r.photo.local_date, language)}, "
           f"{_escape(r.reviewer.display_name or r.reviewer.username)}:</b> {_escape(r.comment)}")
        for r in data.reviews if r.comment.strip()
    ] or [_p(t["no_data"])]
    flow += [KeepTogether([_p(t["comments"], "h2"), comments[0]]), *comments[1:]]
    alerts = [
        _p(f"<b>{i18n.date(clock.local_date(a.created_at, data.course.patient.timezone), language)}</b> "
           f"[{t['severity_' + a.severity]}, {t['open'] if a.status == 'open' else t['acknowledged']}] "
           f"{_escape(_alert_text(a, t, language))}"
           + (f" <i>{t['acknowledged']}: {_escape(a.acknowledged_note)}</i>"
              if a.acknowledged_note.strip() else ""))
        for a in data.alerts
    ] or [_p(t["no_data"])]
    flow += [KeepTogether([_p(t["alerts"], "h2"), alerts[0]]), *alerts[1:]]
    return flow


def render_pdf(data: ReportData, summary: dict[str, Any], *, language: str, paper: str,
               generated_at: dt.datetime, generated_for: str) -> bytes:
    t = i18n.TEXT[language]
    width, height = PAPERS[paper]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=(width, height), leftMargin=(width - FRAME_WIDTH) / 2,
        rightMargin=(width - FRAME_WIDTH) / 2, topMargin=(height - FRAME_HEIGHT) / 2,
        bottomMargin=(height - FRAME_HEIGHT) / 2, title=t["title"], author="Tend",
        subject=f"{data.start.isoformat()} - {data.end.isoformat()}",
    )
    story: list[Flowable] = [
        *_section_header(data, t, language, generated_at=generated_at, generated_for=generated_for),
        Spacer(1, 2 * mm),
        *_section_baseline(data, t, language),
        *_section_adherence(data, summary, t, language),
        *_section_symptoms(data, t, language),
        *_section_wound(data, summary, t, language),
        *_section_clinic(data, t, language),
    ]

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(MUTED)
        canvas.drawRightString(width - document.rightMargin, document.bottomMargin / 2,
                               t["page"].format(n=document.page))
        canvas.restoreState()

    on_page: Callable[[Any, Any], None] = footer
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return out.getvalue()
