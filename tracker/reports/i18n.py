"""The report's words in English and Spanish (the patient's language)."""

from __future__ import annotations

import datetime as dt

_MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "es": ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"],
}

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Treatment progress report",
        "patient": "Patient",
        "age": "Age",
        "years": "years",
        "regimen": "Regimen",
        "once_daily": "once daily",
        "times_daily": "{n} times daily",
        "period": "Period",
        "generated": "Generated {when} for {whom}",
        "care_team": "the care team",
        "adherence": "Adherence",
        "adherence_line": "{percent} of expected applications ({applied} of {expected})",
        "longest_gap": "Longest gap",
        "streak": "Current streak",
        "days": "days",
        "weekdays": "MTWTFSS",
        "applied": "Applied",
        "skipped": "Skipped",
        "nothing": "Nothing logged",
        "not_expected": "Not expected",
        "pending": "Today, not logged yet",
        "skip_reasons": "Skipped, and why",
        "no_reason": "no reason given",
        "pending_note": "Today ({day}) is not counted until it is logged.",
        "symptoms": "Symptoms",
        "pain": "Pain",
        "itch": "Itch",
        "red_flags": "Warning signs in the period",
        "no_red_flags": "No warning signs reported.",
        "fever": "fever",
        "pus": "pus",
        "spreading_redness": "spreading redness",
        "wound": "The wound",
        "first_last": "First and last photo of the period",
        "timeline": "Photo timeline",
        "area_chart": "L \u00d7 W (cm²)",
        "push_chart": "PUSH score (0-17)",
        "area_change": "L \u00d7 W change: {change}, from {first} cm² on {first_date} to {last} cm² "
                       "on {last_date}",
        "measurements": "Measurements",
        "push_note": "PUSH Tool 3.0 is validated for pressure, venous and diabetic ulcers, not "
                     "for calcinosis cutis. An L \u00d7 W between two of its categories is scored "
                     "in the higher one.",
        "length_width": "L \u00d7 W (cm)",
        "exudate": "Exudate",
        "tissue": "Tissue",
        "push": "PUSH (L \u00d7 W + exudate + tissue)",
        "exudate_none": "none", "exudate_light": "light", "exudate_moderate": "moderate",
        "exudate_heavy": "heavy",
        "tissue_closed": "closed", "tissue_epithelial": "epithelial",
        "tissue_granulation": "granulation", "tissue_slough": "slough",
        "tissue_necrotic": "necrotic",
        "no_data": "No data in this period.",
        "debridements": "Debridements",
        "date": "Date",
        "method": "Method",
        "nodules": "Nodules removed",
        "specimen": "Specimen sent",
        "yes": "yes",
        "no": "no",
        "comments": "Nurses' review comments",
        "alerts": "Alerts of the period",
        "open": "open",
        "severity_low": "low", "severity_medium": "medium", "severity_high": "high",
        "acknowledged": "acknowledged",
        "page": "Page {n}",
        "not_applicable": "n/a",
        "baseline": "Baseline",
        "index_procedure": "Index procedure",
        "no_index_procedure": "No excisional debridement recorded.",
        "procedure_line": "{method} debridement on {date}{before}: {nodules} nodules removed, "
                          "specimen {specimen}.",
        "before_course": " (before the course, which started on {start})",
        "specimen_sent": "sent", "specimen_not_sent": "not sent",
        "notes": "Notes",
        "first_measurement": "First measurement",
        "measurement_line": "{date}: {length} \u00d7 {width} cm, L \u00d7 W {area} cm², PUSH {push} "
                            "= {lw} + {exudate} + {tissue}",
        "diagnosis": "Diagnosis",
        "radiation": "Radiation history",
        "checkpoint_alert": "Week {week} checkpoint ({checkpoint}): L \u00d7 W changed by {change}, "
                            "from {first} cm² on {first_date} to {last} cm² on {last_date} (the "
                            "measurement nearest the checkpoint, within {window} days), less than "
                            "this checkpoint's {threshold} % reduction. {evidence} Review the plan "
                            "with the patient; this is not a reason to stop treatment on its own.",
        "checkpoint_evidence": "In venous leg ulcers the percentage change in area over the first "
                               "4 weeks predicted healing by week 24 (Kantor & Margolis 2000), and "
                               "a reduction of at least 40 % by week 3 predicted most outcomes at "
                               "week 12 (Phillips 2000); in diabetic foot ulcers a reduction of "
                               "about 53 % at week 4 (Sheehan 2003) and of 50 % at week 4 (Coerper "
                               "2009) predicted healing. {relation}, and none is validated for "
                               "calcinosis cutis.",
        "checkpoint_is_source": "This checkpoint ({threshold} % at week {week}) is {source}'s "
                                "figure",
        "checkpoint_configured": "This checkpoint ({threshold} % at week {week}) is configured: "
                                 "it is none of these figures as published",
    },
    "es": {
        "title": "Informe de evolución del tratamiento",
        "patient": "Paciente",
        "age": "Edad",
        "years": "años",
        "regimen": "Pauta",
        "once_daily": "una vez al día",
        "times_daily": "{n} veces al día",
        "period": "Periodo",
        "generated": "Generado el {when} para {whom}",
        "care_team": "el equipo de atención",
        "adherence": "Adherencia",
        "adherence_line": "{percent} de las aplicaciones previstas ({applied} de {expected})",
        "longest_gap": "Interrupción más larga",
        "streak": "Racha actual",
        "days": "días",
        "weekdays": "LMXJVSD",
        "applied": "Aplicado",
        "skipped": "Omitido",
        "nothing": "Sin registro",
        "not_expected": "No previsto",
        "pending": "Hoy, aún sin registrar",
        "skip_reasons": "Omitidas, y por qué",
        "no_reason": "sin motivo indicado",
        "pending_note": "Hoy ({day}) no se cuenta hasta que se registre.",
        "symptoms": "Síntomas",
        "pain": "Dolor",
        "itch": "Picor",
        "red_flags": "Signos de alarma del periodo",
        "no_red_flags": "No se comunicaron signos de alarma.",
        "fever": "fiebre",
        "pus": "pus",
        "spreading_redness": "enrojecimiento que se extiende",
        "wound": "La herida",
        "first_last": "Primera y última foto del periodo",
        "timeline": "Fotos a lo largo del tiempo",
        "area_chart": "L \u00d7 A (cm²)",
        "push_chart": "Puntuación PUSH (0-17)",
        "area_change": "Cambio de L \u00d7 A: {change}, de {first} cm² el {first_date} a {last} cm² "
                       "el {last_date}",
        "measurements": "Mediciones",
        "push_note": "PUSH Tool 3.0 está validada en úlceras por presión, venosas y diabéticas, "
                     "no en la calcinosis cutánea. Un L \u00d7 A entre dos de sus categorías "
                     "puntúa en la más alta.",
        "length_width": "L \u00d7 A (cm)",
        "exudate": "Exudado",
        "tissue": "Tejido",
        "push": "PUSH (L \u00d7 A + exudado + tejido)",
        "exudate_none": "ninguno", "exudate_light": "escaso", "exudate_moderate": "moderado",
        "exudate_heavy": "abundante",
        "tissue_closed": "cerrada", "tissue_epithelial": "epitelial",
        "tissue_granulation": "granulación", "tissue_slough": "esfacelo",
        "tissue_necrotic": "necrótico",
        "no_data": "Sin datos en este periodo.",
        "debridements": "Desbridamientos",
        "date": "Fecha",
        "method": "Método",
        "nodules": "Nódulos extraídos",
        "specimen": "Muestra enviada",
        "yes": "sí",
        "no": "no",
        "comments": "Comentarios de enfermería",
        "alerts": "Alertas del periodo",
        "open": "abierta",
        "severity_low": "baja", "severity_medium": "media", "severity_high": "alta",
        "acknowledged": "revisada",
        "page": "Página {n}",
        "not_applicable": "n/d",
        "baseline": "Situación inicial",
        "index_procedure": "Procedimiento índice",
        "no_index_procedure": "No consta ningún desbridamiento escisional.",
        "procedure_line": "Desbridamiento {method} el {date}{before}: {nodules} nódulos "
                          "extraídos, muestra {specimen}.",
        "before_course": " (antes del tratamiento, que empezó el {start})",
        "specimen_sent": "enviada", "specimen_not_sent": "no enviada",
        "notes": "Notas",
        "first_measurement": "Primera medición",
        "measurement_line": "{date}: {length} \u00d7 {width} cm, L \u00d7 A {area} cm², PUSH {push} "
                            "= {lw} + {exudate} + {tissue}",
        "diagnosis": "Diagnóstico",
        "radiation": "Radioterapia previa",
        "checkpoint_alert": "Control de la semana {week} ({checkpoint}): L \u00d7 A cambió un {change}, "
                            "de {first} cm² el {first_date} a {last} cm² el {last_date} (la "
                            "medición más cercana al control, dentro de {window} días), menos que "
                            "la reducción del {threshold} % de este control. {evidence} Revise el "
                            "plan con la paciente; por sí solo no es motivo para suspender el "
                            "tratamiento.",
        "checkpoint_evidence": "En úlceras venosas de pierna, el cambio porcentual del área en las "
                               "primeras 4 semanas predijo la cicatrización a la semana 24 (Kantor "
                               "y Margolis 2000), y una reducción de al menos el 40 % a la semana "
                               "3 predijo la mayoría de los resultados a la semana 12 (Phillips "
                               "2000); en úlceras de pie diabético, una reducción de alrededor del "
                               "53 % a la semana 4 (Sheehan 2003) y del 50 % a la semana 4 "
                               "(Coerper 2009) predijo la cicatrización. {relation}, y ninguna "
                               "está validada en la calcinosis cutánea.",
        "checkpoint_is_source": "Este control ({threshold} % a la semana {week}) es la cifra de "
                                "{source}",
        "checkpoint_configured": "Este control ({threshold} % a la semana {week}) está "
                                 "configurado: no es ninguna de estas cifras tal como se "
                                 "publicaron",
    },
}


METHODS = {
    "en": {"excisional": "Excisional", "sharp": "Sharp", "mechanical": "Mechanical",
           "enzymatic": "Enzymatic", "autolytic": "Autolytic"},
    "es": {"excisional": "Escisional", "sharp": "Cortante", "mechanical": "Mecánico",
           "enzymatic": "Enzimático", "autolytic": "Autolítico"},
}


def date(day: dt.date, language: str) -> str:
    return f"{day.day} {_MONTHS[language][day.month - 1]} {day.year}"


def short_date(day: dt.date, language: str) -> str:
    return f"{day.day} {_MONTHS[language][day.month - 1]}"


def number(value: float | int | None, language: str, *, digits: int = 1, suffix: str = "") -> str:
    if value is None:
        return TEXT[language]["not_applicable"]
    text = f"{value:.{digits}f}" if isinstance(value, float) else str(value)
    if language == "es":
        text = text.replace(".", ",")
    return text + suffix
