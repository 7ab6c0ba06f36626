// Nurses' and physicians' screens: patients, one patient's course, the review queue, alerts.
import { get, patch, post, uuid } from "./api.js";
import { formatDate, t } from "./i18n.js";
import { EXUDATE, TISSUE, area, pushScore } from "./push.js";
import { banner, errorMessage, field, h, isoWithOffset, localDateTimeValue, newView, todayIn } from "./ui.js";

function loading(show, title) {
  show(h("h1", {}, title), h("p", { class: "loading" }, t("loading")));
}

function percent(value) {
  return value === null || value === undefined ? "–" : `${value} %`;
}

export async function patients(state) {
  const mount = newView();
  loading(mount, t("patients"));
  try {
    const list = await get("/api/v1/patients/overview/?page_size=200");
    const rows = list.results.map((p) => h("tr", {},
      h("td", {}, h("a", { href: `#/patient/${p.id}` }, p.display_name)),
      h("td", {}, percent(p.adherence_7d_percent), h("span", { class: "hint" }, ` (${p.applied_7d}/${p.expected_7d})`)),
      h("td", {}, p.open_alerts ? h("span", { class: "badge high" }, String(p.open_alerts)) : "0")));
    mount(h("h1", {}, t("patients")),
      h("table", { id: "patients" }, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("patients")),
        h("th", { scope: "col" }, t("adherence7")), h("th", { scope: "col" }, t("openAlerts")))), h("tbody", {}, rows)));
  } catch (error) {
    banner(errorMessage(error));
  }
  return state;
}

// The course's days are the patient's days: it starts, by default, on her today.
function courseForm(person, onSaved) {
  const inputs = {
    medication: h("input", { name: "medication", value: "Sodium thiosulfate", required: true, maxlength: "120" }),
    concentration_percent: h("input", { name: "concentration_percent", type: "number", min: "0.01", max: "100", step: "0.01", value: "10", required: true }),
    vehicle: h("input", { name: "vehicle", value: "Oil-in-water emulsion", required: true, maxlength: "120" }),
    body_site: h("input", { name: "body_site", required: true, maxlength: "120" }),
    applications_per_day: h("input", { name: "applications_per_day", type: "number", min: "1", max: "6", value: "1", required: true }),
    start_date: h("input", { name: "start_date", type: "date", value: todayIn(person.timezone), required: true }),
    instructions: h("textarea", { name: "instructions", rows: "3", maxlength: "4000" }),
  };
  const form = h("form", { id: "prescribe", onsubmit: async (event) => {
    event.preventDefault();
    try {
      await post("/api/v1/courses/", {
        id: uuid(), patient: person.id, medication: inputs.medication.value,
        concentration_percent: inputs.concentration_percent.value, vehicle: inputs.vehicle.value,
        body_site: inputs.body_site.value, applications_per_day: Number(inputs.applications_per_day.value),
        start_date: inputs.start_date.value, instructions: inputs.instructions.value,
      });
      banner(t("saved"), "info");
      onSaved();
    } catch (error) {
      banner(errorMessage(error));
    }
  } },
  field(t("medication"), inputs.medication), field(t("concentration"), inputs.concentration_percent),
  field(t("vehicle"), inputs.vehicle), field(t("site"), inputs.body_site),
  field(t("perDay"), inputs.applications_per_day), field(t("startDate"), inputs.start_date),
  field(t("instructions"), inputs.instructions), h("button", { type: "submit" }, t("prescribe")));
  return h("section", { class: "card" }, h("h2", {}, t("prescribe")), form);
}

function courseChangeForm(course, onSaved) {
  const status = h("select", { name: "status" }, ...["active", "paused", "completed", "stopped"]
    .map((value) => h("option", { value, selected: value === course.status }, t(value))));
  const end = h("input", { type: "date", name: "end_date", value: course.end_date || "" });
  const instructions = h("textarea", { name: "instructions", rows: "3" });
  instructions.value = course.instructions || "";
  const form = h("form", { id: "course-change", onsubmit: async (event) => {
    event.preventDefault();
    try {
      const changes = { instructions: instructions.value, end_date: end.value || null };
      if (status.value !== course.status) changes.status = status.value;
      await patch(`/api/v1/courses/${course.id}/`, changes);
      banner(t("saved"), "info");
      onSaved();
    } catch (error) {
      banner(errorMessage(error));
    }
  } }, field(t("status"), status), field(t("endDate"), end), field(t("instructions"), instructions),
  h("button", { type: "submit" }, t("save")));
  return form;
}

function debridementForm(course, onSaved) {
  const at = h("input", { type: "datetime-local", name: "performed_at", value: localDateTimeValue(), required: true });
  const method = h("select", { name: "method" }, ...["excisional", "sharp", "mechanical", "enzymatic", "autolytic"]
    .map((value) => h("option", { value }, t(`method_${value}`))));
  const nodules = h("input", { type: "number", name: "nodules_removed", min: "0", max: "200", value: "0" });
  const specimen = h("input", { type: "checkbox", name: "specimen_sent", id: "specimen" });
  const notes = h("textarea", { name: "notes", rows: "2", maxlength: "2000" });
  const form = h("form", { id: "debridement", onsubmit: async (event) => {
    event.preventDefault();
    try {
      await post("/api/v1/debridements/", {
        id: uuid(), course: course.id, performed_at: isoWithOffset(new Date(at.value)), method: method.value,
        nodules_removed: Number(nodules.value), specimen_sent: specimen.checked, notes: notes.value,
      });
      banner(t("saved"), "info");
      onSaved();
    } catch (error) {
      banner(errorMessage(error));
    }
  } }, field(t("performedAt"), at), field(t("method"), method), field(t("nodules"), nodules),
  h("label", { class: "choice", for: "specimen" }, specimen, t("specimen")), field(t("comment"), notes),
  h("button", { type: "submit" }, t("save")));
  return h("section", { class: "card" }, h("h2", {}, t("debridement")), form);
}

async function reportsSection(course) {
  const list = h("ul", { class: "list", id: "reports" });
  async function refresh() {
    const data = await get(`/api/v1/reports/?course=${course.id}&page_size=20`);
    list.replaceChildren(...data.results.map((r) => h("li", {},
      `${formatDate(r.period_start)} – ${formatDate(r.period_end)} `,
      h("span", { class: "badge" }, t(`status${r.status[0].toUpperCase()}${r.status.slice(1)}`)), " ",
      r.pdf_url ? h("a", { href: r.pdf_url, class: "button secondary", target: "_blank", rel: "noopener" }, t("open")) : null)));
    if (data.results.some((r) => r.status === "queued" || r.status === "running")) setTimeout(() => refresh().catch(() => {}), 3000);
  }
  await refresh();
  const request = h("button", { type: "button", id: "request-report", onclick: async () => {
    try {
      await post(`/api/v1/courses/${course.id}/reports/`, { id: uuid() });
      banner(t("reportRequested"), "info");
      await refresh();
    } catch (error) {
      banner(errorMessage(error));
    }
  } }, t("requestReport"));
  return h("section", { class: "card" }, h("h2", {}, t("reports")), request, list);
}

export async function patient(state, id) {
  const mount = newView();
  loading(mount, t("patients"));
  try {
    const [person, courses, alerts] = await Promise.all([
      get(`/api/v1/patients/${id}/`), get(`/api/v1/courses/?patient=${id}`),
      get(`/api/v1/alerts/?patient=${id}&status=open`)]);
    const reload = () => patient(state, id);
    const active = courses.results.find((c) => c.status === "active") || courses.results[0];
    const sections = [h("h1", {}, person.display_name), h("p", { class: "hint" }, `${person.birth_year} · ${person.timezone} · ${person.language}`)];
    sections.push(alertList(alerts.results, reload));
    if (active) {
      const adherence = await get(`/api/v1/courses/${active.id}/adherence/`);
      sections.push(h("section", { class: "card" }, h("h2", {}, t("course")),
        h("p", {}, `${active.medication} ${active.concentration_percent} %, ${active.vehicle}, ${active.body_site} — ${t(active.status)}`),
        h("p", {}, `${percent(adherence.adherence_percent)} (${adherence.applied}/${adherence.expected}) · ${t("streak")}: ${adherence.current_streak_days}`),
        state.me.role === "physician" ? courseChangeForm(active, reload) : null));
      sections.push(debridementForm(active, reload));
      sections.push(await reportsSection(active));
    }
    if (state.me.role === "physician") sections.push(courseForm(person, reload));
    mount(...sections);
  } catch (error) {
    banner(errorMessage(error));
  }
}

// `names` (patient id -> name) on the list of all alerts: each says whose it is and links to her.
function alertList(alerts, onChange, names = null) {
  if (!alerts.length) return h("p", { id: "alerts" }, t("noAlerts"));
  return h("ul", { class: "list", id: "alerts" }, alerts.map((a) => h("li", {},
    names ? [h("a", { href: `#/patient/${a.patient}`, class: "button secondary" }, names.get(a.patient) || t("patients")), " "] : null,
    h("span", { class: `badge ${a.severity}` }, t(`sev_${a.severity}`)), " ", h("strong", {}, formatDate(a.created_at)), " ", a.detail, " ",
    h("button", { type: "button", class: "secondary", onclick: async () => {
      try {
        await post(`/api/v1/alerts/${a.id}/acknowledge/`, {});
        onChange();
      } catch (error) {
        banner(errorMessage(error));
      }
    } }, t("acknowledge")))));
}

export async function alerts(state) {
  const mount = newView();
  loading(mount, t("alerts"));
  try {
    const [list, patients] = await Promise.all([
      get("/api/v1/alerts/?status=open&page_size=100"), get("/api/v1/patients/?page_size=200")]);
    const names = new Map(patients.results.map((p) => [p.id, p.display_name]));
    mount(h("h1", {}, t("alerts")), alertList(list.results, () => alerts(state), names));
  } catch (error) {
    banner(errorMessage(error));
  }
}

export async function queue(state) {
  const mount = newView();
  loading(mount, t("queue"));
  try {
    const waiting = await get("/api/v1/review-queue/?page_size=1");
    if (!waiting.results.length) return mount(h("h1", {}, t("queue")), h("p", { id: "queue-empty" }, t("emptyQueue")));
    const current = waiting.results[0];
    const earlier = await get(`/api/v1/photos/?course=${current.course}&status=ready&ordering=-taken_at&page_size=50`);
    const previous = earlier.results.find((p) => p.id !== current.id && p.taken_at <= current.taken_at);
    const figure = (photo, caption) => h("figure", {}, h("img", { src: photo.image_url, alt: `${caption}, ${formatDate(photo.taken_at)}`, width: String(photo.width || 800), height: String(photo.height || 600) }),
      h("figcaption", {}, `${caption} — ${formatDate(photo.taken_at)}`));
    mount(h("h1", {}, t("queue"), h("span", { class: "hint" }, ` (${waiting.count})`)),
      h("div", { class: "compare" }, figure(current, t("thisPhoto")), previous ? figure(previous, t("previousPhoto")) : h("p", {}, t("noPrevious"))),
      reviewForm(current, () => queue(state)));
  } catch (error) {
    banner(errorMessage(error));
  }
  return state;
}

function reviewForm(photo, onSaved) {
  const length = h("input", { type: "number", name: "length_cm", min: "0", max: "100", step: "0.1", required: true, inputmode: "decimal" });
  const width = h("input", { type: "number", name: "width_cm", min: "0", max: "100", step: "0.1", required: true, inputmode: "decimal" });
  const exudate = h("select", { name: "exudate" }, ...Object.keys(EXUDATE).map((value) => h("option", { value }, t(`ex${value[0].toUpperCase()}${value.slice(1)}`))));
  const tissue = h("select", { name: "tissue_type" }, ...Object.keys(TISSUE).map((value) => h("option", { value }, t(`ti${value[0].toUpperCase()}${value.slice(1)}`))));
  const infection = h("input", { type: "checkbox", id: "infection" });
  const flag = h("input", { type: "checkbox", id: "flag" });
  const comment = h("textarea", { name: "comment", rows: "2", maxlength: "4000" });
  const score = h("output", { id: "push-score", class: "push", "aria-live": "polite" }, "–");
  const areaOut = h("output", { id: "area" }, "–");
  const update = () => {
    const l = Number.parseFloat(length.value);
    const w = Number.parseFloat(width.value);
    const value = pushScore(l, w, exudate.value, tissue.value);
    score.textContent = value === null || Number.isNaN(l) || Number.isNaN(w) ? "–" : `${value} / 17`;
    areaOut.textContent = Number.isNaN(l) || Number.isNaN(w) ? "–" : `${area(l, w)} cm²`;
  };
  for (const input of [length, width, exudate, tissue]) input.addEventListener("input", update);
  const form = h("form", { id: "review", onsubmit: async (event) => {
    event.preventDefault();
    try {
      const saved = await post(`/api/v1/photos/${photo.id}/reviews/`, {
        id: uuid(), length_cm: length.value, width_cm: width.value, exudate: exudate.value,
        tissue_type: tissue.value, signs_of_infection: infection.checked, flag_for_physician: flag.checked,
        comment: comment.value,
      });
      banner(`${t("reviewSaved")} ${t("pushScore")}: ${saved.push_score}`, "info");
      onSaved();
    } catch (error) {
      banner(errorMessage(error));
    }
  } },
  h("div", { class: "row" }, field(t("length"), length), field(t("width"), width)),
  field(t("exudate"), exudate), field(t("tissue"), tissue),
  h("label", { class: "choice", for: "infection" }, infection, t("infection")),
  h("label", { class: "choice", for: "flag" }, flag, t("flag")),
  field(t("comment"), comment),
  h("p", {}, `${t("area")}: `, areaOut, " · ", `${t("pushScore")}: `, score),
  h("button", { type: "submit", class: "big" }, t("saveReview")));
  return form;
}
