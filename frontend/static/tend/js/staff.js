// Nurses' and physicians' screens: patients, one patient's clinical page, the review workstation,
// alerts. A form saved on a screen changes that screen in place: she keeps her place on the page.
import { ApiError, get, patch, post, uuid } from "./api.js";
import { caregiverPanel } from "./caregivers.js";
import { formatDate, lang, t, tIn } from "./i18n.js";
import { loggedBy } from "./patient.js";
import { EXUDATE, TISSUE, area, pushScore } from "./push.js";
import { alertSwitch } from "./staffnotify.js";
import { banner, errorMessage, field, h, isoWithOffset, localDateTimeValue, newView, refusalView, refusals, showError, todayIn } from "./ui.js";

const SVG = "http://www.w3.org/2000/svg";
const SEVERITY_ORDER = { high: 0, medium: 1, low: 2 };
const ALERT_KINDS = ["no_log", "symptom_red_flag", "pain_rise", "review_infection", "review_flagged", "healing_checkpoint",
  "missed_applications"];

function loading(show, title) {
  show(h("h1", {}, title), h("p", { class: "loading" }, t("loading")));
}

function locale() {
  return lang() === "es" ? "es-ES" : "en-GB";
}

function num(value, digits = 2) {
  if (value === null || value === undefined || value === "") return "–";
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(Number(value));
}

function percent(value) {
  return value === null || value === undefined ? "–" : `${num(value, 0)} %`;
}

// What a DOM method may take: append() and replaceChildren() write a null as the text "null".
function present(...children) {
  return children.filter((child) => child !== null && child !== undefined && child !== false);
}

function capital(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

const exudateWord = (value) => t(`ex${capital(value)}`);
const tissueWord = (value) => t(`ti${capital(value)}`);

function languageName(code) {
  try {
    return new Intl.DisplayNames([locale()], { type: "language" }).of(code) || code;
  } catch {
    return code;
  }
}

// YYYY-MM-DD arithmetic on calendar days (no time zone: the dates are already the patient's).
function addDays(date, days) {
  const value = new Date(`${date}T00:00:00Z`);
  value.setUTCDate(value.getUTCDate() + days);
  return value.toISOString().slice(0, 10);
}

function measurement(review) {
  if (!review) return t("notMeasuredYet");
  const size = `${num(review.length_cm, 1)} × ${num(review.width_cm, 1)} cm`;
  return `${size} · ${num(review.area_cm2)} cm² · ${t("pushScore")} ${review.push_score} / 17`;
}

function versionNote(review) {
  return review && review.version > 1 ? t("editedVersion", { n: review.version }) : "";
}

// --- The full-screen photo viewer ------------------------------------------------------------------
// A modal dialog with the full image. Two fingers zoom (pointer events: the frame's touch-action
// leaves pinching to this code, one finger still pans); buttons and Ctrl + wheel zoom with a mouse.
export function openViewer(src, caption) {
  const image = h("img", { src, alt: caption, class: "zoom-image", draggable: "false" });
  const frame = h("div", { class: "zoom-frame", tabindex: "0", role: "group", "aria-label": t("zoomArea") }, image);
  const level = h("output", { class: "zoom-level", "aria-live": "polite" }, "100 %");
  let scale = 1;
  const setScale = (next, focusX = 0.5, focusY = 0.5) => {
    const clamped = Math.min(8, Math.max(1, next));
    const x = (frame.scrollLeft + frame.clientWidth * focusX) / Math.max(image.offsetWidth, 1);
    const y = (frame.scrollTop + frame.clientHeight * focusY) / Math.max(image.offsetHeight, 1);
    scale = clamped;
    image.style.width = `${scale * 100}%`;
    frame.scrollLeft = x * image.offsetWidth - frame.clientWidth * focusX;
    frame.scrollTop = y * image.offsetHeight - frame.clientHeight * focusY;
    level.textContent = `${Math.round(scale * 100)} %`;
    dialog.dataset.scale = String(scale);
  };
  const pointers = new Map();
  let pinch = null;
  const spread = () => {
    const [a, b] = [...pointers.values()];
    return Math.hypot(a.x - b.x, a.y - b.y);
  };
  frame.addEventListener("pointerdown", (event) => {
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (pointers.size === 2) pinch = { distance: spread(), scale };
  });
  frame.addEventListener("pointermove", (event) => {
    if (!pointers.has(event.pointerId)) return;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (pinch && pointers.size === 2 && pinch.distance > 0) setScale(pinch.scale * (spread() / pinch.distance));
  });
  const lift = (event) => {
    pointers.delete(event.pointerId);
    if (pointers.size < 2) pinch = null;
  };
  for (const name of ["pointerup", "pointercancel", "pointerleave"]) frame.addEventListener(name, lift);
  frame.addEventListener("wheel", (event) => {
    if (!event.ctrlKey) return;
    event.preventDefault();
    setScale(scale * (event.deltaY < 0 ? 1.15 : 1 / 1.15));
  }, { passive: false });
  const tool = (label, text, onclick, extra = {}) => h("button", { type: "button", class: "secondary", "aria-label": label, onclick, ...extra }, text);
  const dialog = h("dialog", { class: "viewer", "aria-label": caption },
    h("div", { class: "viewer-bar" },
      h("p", { class: "viewer-caption" }, caption),
      h("div", { class: "viewer-tools" },
        tool(t("zoomOut"), "−", () => setScale(scale / 1.5), { id: "zoom-out" }),
        level,
        tool(t("zoomIn"), "+", () => setScale(scale * 1.5), { id: "zoom-in" }),
        h("button", { type: "button", class: "secondary", id: "zoom-reset", onclick: () => setScale(1) }, t("zoomReset")),
        h("button", { type: "button", id: "viewer-close", onclick: () => dialog.close() }, t("close")))),
    frame);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

function photoButton(photo, caption, { thumbnail = false, lazy = false } = {}) {
  const src = thumbnail ? (photo.thumbnail_url || photo.image_url) : photo.image_url;
  return h("button", { type: "button", class: "photo-open", "aria-label": `${t("fullScreen")}: ${caption}`,
    onclick: () => openViewer(photo.image_url, caption) },
  h("img", { src, alt: "", width: String(photo.width || 800), height: String(photo.height || 600), loading: lazy ? "lazy" : null }),
  h("span", { class: `photo-open-label${thumbnail ? " icon" : ""}`, "aria-hidden": "true" }, thumbnail ? "⤢" : `⤢ ${t("fullScreen")}`));
}

// --- Patients --------------------------------------------------------------------------------------
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
        h("th", { scope: "col" }, t("adherence7")), h("th", { scope: "col" }, t("openAlerts")))), h("tbody", {}, rows)),
      alertSwitch());
  } catch (error) {
    showError(error);
  }
  return state;
}

// --- Alerts: triaged, each with its cause, written in the reader's language ------------------------
export function triage(alerts) {
  return [...alerts].sort((a, b) => (SEVERITY_ORDER[a.severity] ?? 3) - (SEVERITY_ORDER[b.severity] ?? 3)
    || String(b.created_at).localeCompare(String(a.created_at)));
}

function listOf(words) {
  try {
    return new Intl.ListFormat(locale(), { style: "long", type: "conjunction" }).format(words);
  } catch {
    return words.join(", ");
  }
}

// The alert's text from its kind and facts; the server's English `detail` for a kind this app does
// not know (or an alert without facts).
export function alertText(alert) {
  const f = alert.facts || {};
  const date = (value) => (value ? formatDate(value) : "–");
  switch (alert.kind) {
    case "no_log":
      if (f.days === undefined) break;
      return t("alert_no_log", { days: f.days, last: f.last_log ? date(f.last_log) : t("never") });
    case "symptom_red_flag":
      if (!f.date || !Array.isArray(f.signs)) break;
      return t("alert_symptom_red_flag", { date: date(f.date), signs: listOf(f.signs.map((sign) => t(`sign_${sign}`))) });
    case "pain_rise":
      if (!f.date || f.pain === undefined) break;
      // A pain of 8 or more alerts without a rise (and may have no 7 days before it to compare).
      if (f.rose === false || f.mean === null) return t("alert_pain_high", { date: date(f.date), pain: f.pain, high: f.high_score });
      return t("alert_pain_rise", { date: date(f.date), pain: f.pain, rise: num(f.pain - f.mean, 1), mean: num(f.mean, 1) });
    case "review_infection":
    case "review_flagged":
      if (!f.date) break;
      return t(`alert_${alert.kind}`, { date: date(f.date) });
    case "healing_checkpoint":
      if (f.week === undefined) break;
      return t("alert_healing_checkpoint", {
        week: f.week, change: `${f.change_percent > 0 ? "+" : ""}${num(f.change_percent, 0)}`,
        first: num(f.first_area_cm2), last: num(f.last_area_cm2), threshold: num(f.threshold_percent, 0),
        checkpoint: date(f.checkpoint_date), first_date: date(f.first_date), last_date: date(f.last_date),
      });
    case "missed_applications":
      if (f.days === undefined) break;
      return t("alert_missed_applications", {
        days: f.days, first: date(f.first_day), last: date(f.last_day), skipped: f.skipped, nothing: f.nothing_logged,
      });
    default:
      break;
  }
  return alert.detail;
}

function symptomSummary(entry) {
  const answered = (value) => (value === null || value === undefined ? t("notAnswered") : `${value}/10`);
  const parts = [`${t("pain")}: ${answered(entry.pain)}`, `${t("itch")}: ${answered(entry.itch)}`,
    `${t("drainage")}: ${t(`drainage${capital(entry.drainage || "none")}`)}`];
  if (entry.fever) parts.push(t("sign_fever"));
  if (entry.redness_spreading) parts.push(t("sign_spreading_redness"));
  if (entry.notes) parts.push(`“${entry.notes}”`);
  return parts.join(" · ");
}

function alertCause(alert) {
  const parts = [];
  if (alert.source_photo) {
    const image = `/api/v1/photos/${alert.source_photo}/image/`;
    parts.push(h("button", { type: "button", class: "secondary cause-photo", "data-photo": alert.source_photo,
      onclick: () => openViewer(image, `${t("causePhoto")} — ${formatDate(alert.created_at)}`) },
    h("img", { src: `/api/v1/photos/${alert.source_photo}/thumbnail/`, alt: "", width: "64", height: "48" }), t("causePhoto")));
  }
  if (alert.source_type === "symptom" && alert.source_id) {
    const body = h("p", { class: "hint" }, t("loading"));
    const details = h("details", { class: "cause-checkin" }, h("summary", {}, t("causeCheckin")), body);
    details.addEventListener("toggle", async () => {
      if (!details.open || details.dataset.loaded) return;
      try {
        const entry = await get(`/api/v1/symptoms/${alert.source_id}/`);
        details.dataset.loaded = "1";
        body.className = "";
        body.textContent = `${formatDate(entry.recorded_at)}: ${symptomSummary(entry)}`;
      } catch (error) {
        body.textContent = errorMessage(error);
      }
    });
    parts.push(details);
  }
  if (alert.source_comment) {
    parts.push(h("p", { class: "nurse-comment" }, h("strong", {}, `${t("nurseComment")}: `), h("q", {}, alert.source_comment)));
  }
  return parts.length ? h("div", { class: "alert-cause" }, parts) : null;
}

// `names` (patient id -> name) on the list of all alerts: each says whose it is and links to her.
// Acknowledging one takes it off the list where it stands: nothing else on the page moves.
function alertList(alerts, { names = null, onCountChange = null } = {}) {
  const box = h("div", { id: "alerts" });
  const empty = () => box.replaceChildren(h("p", {}, t("noAlerts")));
  if (!alerts.length) {
    empty();
    return box;
  }
  const list = h("ul", { class: "list alert-list" });
  for (const a of triage(alerts)) {
    const note = h("input", { name: "note", maxlength: "1000", autocomplete: "off" });
    const item = h("li", { class: `alert-item sev-${a.severity}`, "data-alert": a.id, "data-severity": a.severity });
    const form = h("form", { class: "ack-form", onsubmit: async (event) => {
      event.preventDefault();
      try {
        await post(`/api/v1/alerts/${a.id}/acknowledge/`, note.value.trim() ? { note: note.value.trim() } : {});
        item.remove();
        banner(t("acknowledged"), "info");
        if (!list.children.length) empty();
        if (onCountChange) onCountChange(list.children.length);
      } catch (error) {
        showError(error);
      }
    } }, field(t("ackNote"), note), h("button", { type: "submit", class: "ack" }, h("span", { "aria-hidden": "true" }, "✓"), t("acknowledge")));
    const kind = ALERT_KINDS.includes(a.kind) ? t(`kind_${a.kind}`) : null;
    item.append(
      h("p", { class: "alert-head" },
        h("span", { class: `badge ${a.severity}` }, t(`sev_${a.severity}`)), " ",
        kind ? h("strong", {}, kind) : null, " ", h("span", { class: "hint" }, formatDate(a.created_at)),
        names ? [" · ", h("a", { href: `#/patient/${a.patient}` }, names.get(a.patient) || t("patients"))] : null),
      h("p", { class: "alert-text" }, alertText(a)),
      ...present(alertCause(a)),
      form);
    list.append(item);
  }
  box.append(list);
  return box;
}

export async function alerts(state) {
  const mount = newView();
  loading(mount, t("alerts"));
  try {
    const [list, people] = await Promise.all([
      get("/api/v1/alerts/?status=open&page_size=200"), get("/api/v1/patients/?page_size=200")]);
    const names = new Map(people.results.map((p) => [p.id, p.display_name]));
    const count = h("span", { class: "hint" }, list.count ? ` (${list.count})` : "");
    mount(h("h1", {}, t("alerts"), count), alertSwitch(),
      alertList(list.results, { names, onCountChange: (n) => { count.textContent = n ? ` (${n})` : ""; } }));
  } catch (error) {
    showError(error);
  }
  return state;
}

// --- The review form: new, or a correction of a saved review ----------------------------------------
function checked(label, input, hint) {
  const wrap = field(label, input, hint);
  const error = h("div", { class: "error field-error", id: `${input.id}-error`, hidden: true });
  wrap.append(error);
  input.fieldError = error;
  input.fieldHint = hint ? `${input.id}-hint` : null;
  if (hint) input.setAttribute("aria-describedby", input.fieldHint);
  return wrap;
}

// `message`: a text, or nodes (a refusal as refusalView draws it).
function setFieldError(input, message) {
  const error = input.fieldError;
  if (!message || (Array.isArray(message) && !message.length)) {
    error.hidden = true;
    error.textContent = "";
    input.removeAttribute("aria-invalid");
    if (input.fieldHint) input.setAttribute("aria-describedby", input.fieldHint);
    else input.removeAttribute("aria-describedby");
    return;
  }
  if (typeof message === "string") error.textContent = message;
  else error.replaceChildren(...message);
  error.hidden = false;
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", [error.id, input.fieldHint].filter(Boolean).join(" "));
}

function choices(name, values, word, current) {
  return h("select", { name, required: true },
    h("option", { value: "", selected: !current }, t("choose")),
    ...values.map((value) => h("option", { value, selected: value === current }, word(value))));
}

// `review`: the saved review this form corrects (PATCH, a new version); else a new one for `photo`.
// `last`: the review before this one (or a function giving it as it is now), against which a big
// change in area asks to be confirmed.
function reviewForm({ photo, review = null, last = null, onSaved, id = "review" }) {
  const lastNow = () => (typeof last === "function" ? last() : last);
  const decimal = (name, value) => h("input", { type: "number", name, min: "0", max: "100", step: "0.1", required: true, inputmode: "decimal", value: value ?? null });
  const length = decimal("length_cm", review && review.length_cm);
  const width = decimal("width_cm", review && review.width_cm);
  const exudate = choices("exudate", Object.keys(EXUDATE), exudateWord, review && review.exudate);
  const tissue = choices("tissue_type", Object.keys(TISSUE), tissueWord, review && review.tissue_type);
  const box = (name, on) => h("input", { type: "checkbox", name, checked: Boolean(on) });
  const infection = box("signs_of_infection", review && review.signs_of_infection);
  const flag = box("flag_for_physician", review && review.flag_for_physician);
  const comment = h("textarea", { name: "comment", rows: "2", maxlength: "4000" });
  comment.value = (review && review.comment) || "";
  const score = h("output", { id: review ? null : "push-score", class: "push", "aria-live": "polite" }, "–");
  const areaOut = h("output", { id: review ? null : "area" }, "–");
  const inputs = { length_cm: length, width_cm: width, exudate, tissue_type: tissue, comment };
  const confirm = h("div", { class: "confirm", role: "alert", hidden: true });
  let confirmed = false;
  const values = () => ({ l: Number.parseFloat(length.value), w: Number.parseFloat(width.value) });
  const update = () => {
    const { l, w } = values();
    const value = pushScore(l, w, exudate.value, tissue.value);
    score.textContent = value === null || Number.isNaN(l) || Number.isNaN(w) ? "–" : `${value} / 17`;
    areaOut.textContent = Number.isNaN(l) || Number.isNaN(w) ? "–" : `${num(area(l, w))} cm²`;
  };
  // The rules tie the measurements together: a change to any of them clears what was said.
  for (const input of [length, width, exudate, tissue]) {
    input.addEventListener("input", () => {
      update();
      for (const other of [length, width, tissue]) setFieldError(other, null);
      setFieldError(exudate, null);
      confirmed = false;
      confirm.hidden = true;
    });
  }
  update();
  // The server refuses what cannot be (400 naming the field); the field says why, in her language
  // when the app knows the rule, else in the server's words.
  const explain = (name, messages, status) => {
    const { l, w } = values();
    if (name === "width_cm" && w === 0 && l > 0) return t("errWidthZero");
    if (name === "length_cm" && l === 0 && w > 0) return t("errLengthZero");
    if (name === "tissue_type" && l === 0 && w === 0 && tissue.value !== "closed") return t("errAreaZero");
    return refusals({ status, errors: { [name]: messages } }).flatMap(refusalView);
  };
  const save = async () => {
    const body = {
      length_cm: length.value, width_cm: width.value, exudate: exudate.value, tissue_type: tissue.value,
      signs_of_infection: infection.checked, flag_for_physician: flag.checked, comment: comment.value,
    };
    if (review) {
      const changes = Object.fromEntries(Object.entries(body).filter(([name, value]) => {
        const before = review[name];
        if (name === "length_cm" || name === "width_cm") return Number(before) !== Number(value);
        return (before ?? "") !== value;
      }));
      if (!Object.keys(changes).length) {
        banner(t("nothingChanged"), "info");
        return;
      }
      return onSaved(await patch(`/api/v1/reviews/${review.id}/`, changes));
    }
    return onSaved(await post(`/api/v1/photos/${photo.id}/reviews/`, { id: uuid(), ...body }));
  };
  const form = h("form", { id, class: "review-form", onsubmit: async (event) => {
    event.preventDefault();
    for (const input of Object.values(inputs)) setFieldError(input, null);
    const { l, w } = values();
    const previous = lastNow();
    const before = previous && Number(previous.area_cm2);
    const now = area(l, w);
    // What the server refuses (a length without a width, an open wound of no area) is refused
    // before any question about the size of the change.
    const refused = (l > 0) !== (w > 0) || (now === 0 && tissue.value !== "closed");
    const jump = !refused && before !== null && before !== undefined && !Number.isNaN(before)
      && (before === 0 ? now > 0 : Math.abs(now - before) / before > 0.5);
    if (jump && !confirmed) {
      const change = before === 0 ? null : Math.round(((now - before) / before) * 100);
      confirm.replaceChildren(
        h("p", {}, h("strong", {}, t("bigChange")), " ",
          change === null ? t("bigChangeFromZero", { now: num(now) })
            : t("bigChangeText", { change: `${change > 0 ? "+" : ""}${change}`, before: num(before), now: num(now), date: formatDate(previous.taken_at || previous.created_at) })),
        h("div", { class: "row" },
          h("button", { type: "button", class: "confirm-save", onclick: () => { confirmed = true; confirm.hidden = true; form.requestSubmit(); } }, t("saveAnyway")),
          h("button", { type: "button", class: "secondary", onclick: () => { confirm.hidden = true; length.focus(); } }, t("checkAgain"))));
      confirm.hidden = false;
      confirm.querySelector("button").focus();
      return;
    }
    try {
      await save();
    } catch (error) {
      confirmed = false;
      if (error instanceof ApiError && error.status === 400 && Object.keys(error.errors).length) {
        let first = null;
        const rest = [];
        for (const [name, messages] of Object.entries(error.errors)) {
          const input = inputs[name];
          if (!input) {
            rest.push(name);
            continue;
          }
          setFieldError(input, explain(name, messages, error.status));
          first = first || input;
        }
        if (first) first.focus();
        if (rest.length) showError({ status: error.status, errors: Object.fromEntries(rest.map((name) => [name, error.errors[name]])) });
        else banner(t("checkFields"));
        return;
      }
      showError(error);
    }
  } },
  h("div", { class: "row measure" }, checked(t("length"), length), checked(t("width"), width)),
  checked(t("exudate"), exudate), checked(t("tissue"), tissue),
  h("label", { class: "choice" }, infection, t("infection")),
  h("label", { class: "choice" }, flag, t("flag")),
  checked(t("comment"), comment),
  h("p", {}, `${t("area")}: `, areaOut, " · ", `${t("pushScore")}: `, score),
  confirm,
  h("button", { type: "submit", class: review ? "" : "big" }, review ? t("saveCorrection") : t("saveReview")));
  return form;
}

// --- The review workstation -------------------------------------------------------------------------
const RETAKE_PRESETS = ["retakeBlurry", "retakeDark", "retakeWhole"];

function retakeForm(photo, patientLanguage, onDone, onCancel) {
  const reason = h("textarea", { name: "reason", rows: "3", required: true, maxlength: "500" });
  const speaks = patientLanguage && patientLanguage !== lang() ? t("retakeHerLanguage", { language: languageName(patientLanguage) }) : "";
  const presets = h("div", { class: "row presets" }, RETAKE_PRESETS.map((key) => h("button", {
    type: "button", class: "secondary", onclick: () => {
      reason.value = tIn(patientLanguage || lang(), key);
      reason.focus();
    } }, t(`${key}Label`))));
  const wrap = field(t("retakeReason"), reason, `${t("retakeHint")}${speaks ? ` ${speaks}` : ""}`);
  reason.setAttribute("aria-describedby", `${reason.id}-hint`);
  return h("form", { class: "retake-form", onsubmit: async (event) => {
    event.preventDefault();
    try {
      const answer = await post(`/api/v1/photos/${photo.id}/retake/`, { reason: reason.value.trim() });
      onDone(answer || photo, reason.value.trim());
    } catch (error) {
      showError(error);
    }
  } }, h("h3", {}, t("askRetake")), presets, wrap,
  h("div", { class: "row" }, h("button", { type: "submit" }, t("sendRetake")),
    h("button", { type: "button", class: "secondary", onclick: onCancel }, t("cancel"))));
}

function compareFigures(photo, previous, person, measured) {
  const when = (p) => formatDate(p.taken_at);
  const current = h("figure", {}, photoButton(photo, `${t("thisPhoto")}, ${person} — ${when(photo)}`),
    h("figcaption", {}, h("strong", {}, t("thisPhoto")), ` — ${when(photo)}`));
  const earlier = previous
    ? h("figure", {}, photoButton(previous, `${t("previousPhoto")}, ${person} — ${when(previous)}`),
      h("figcaption", {}, h("strong", {}, t("previousPhoto")), ` — ${when(previous)}`, h("br"),
        measured))
    : h("p", { class: "no-previous" }, t("noPrevious"));
  return h("div", { class: "compare", role: "group", tabindex: "0", "aria-label": t("compareLabel") }, current, earlier);
}

function queueCard(photo, context, hooks) {
  const person = photo.patient_name || context.names.get(photo.patient) || t("patients");
  const site = photo.body_site || "";
  const { previous } = context.before(photo);
  const last = () => context.before(photo).last; // a review saved on another card counts at once
  const headingId = `q-${photo.id}`;
  const measured = h("span", { class: "measure-was" }, previous ? measurement(previous.latest_review) : "");
  const card = h("article", { class: "card queue-card", "data-photo": photo.id, "aria-labelledby": headingId });
  card.refreshPrevious = () => {
    const now = context.before(photo).previous;
    if (now && previous && now.id === previous.id) measured.textContent = measurement(now.latest_review);
  };
  const body = h("div", { class: "queue-actions" });
  let form = null;
  const openButton = h("button", { type: "button", class: "open-review", "aria-expanded": "false", onclick: () => hooks.open(card) }, t("reviewThis"));
  const retakeButton = h("button", { type: "button", class: "secondary ask-retake", onclick: () => showRetake() }, t("askRetake"));
  const idle = () => body.replaceChildren(h("div", { class: "row" }, openButton, retakeButton));
  card.openReview = () => {
    form = form || reviewForm({ photo, last, onSaved: saved });
    form.id = "review";
    openButton.setAttribute("aria-expanded", "true");
    body.replaceChildren(form, h("div", { class: "row" }, retakeButton));
  };
  card.closeReview = () => {
    if (!form || !form.isConnected) return;
    form.removeAttribute("id");
    openButton.setAttribute("aria-expanded", "false");
    idle();
  };
  const showRetake = () => {
    if (form) form.removeAttribute("id");
    body.replaceChildren(retakeForm(photo, context.languages.get(photo.patient), (answer, reason) => {
      card.classList.add("done");
      body.replaceChildren(h("p", { class: "state ok", role: "status" }, t("retakeSent", { name: person }), " ", h("q", {}, reason)));
      hooks.done(card);
    }, () => (form && card.dataset.open === "1" ? card.openReview() : idle())));
    body.querySelector("textarea").focus();
  };
  const summary = (review) => h("div", { class: "saved-review state ok", role: "status" },
    h("p", {}, h("strong", {}, `${t("reviewSaved")} `), measurement(review), review.version > 1 ? [" · ", h("em", { class: "version" }, versionNote(review))] : null),
    h("button", { type: "button", class: "secondary edit-review", onclick: () => edit(review) }, t("editReview")));
  const edit = (review) => {
    const correction = reviewForm({ photo, review, last, id: `edit-${review.id}`, onSaved: (updated) => {
      context.measured(photo, updated);
      banner(`${t("reviewCorrected")} ${versionNote(updated) || ""}`.trim(), "info");
      body.replaceChildren(summary(updated));
      body.querySelector(".edit-review").focus();
    } });
    body.replaceChildren(h("h3", {}, t("editReview")), correction);
    correction.querySelector("input").focus();
  };
  function saved(review) {
    context.measured(photo, review);
    banner(`${t("reviewSaved")} ${t("pushScore")}: ${review.push_score}`, "info");
    card.classList.add("done");
    body.replaceChildren(summary(review));
    body.querySelector(".edit-review").focus({ preventScroll: true });
    hooks.done(card);
  }
  idle();
  card.append(...present(
    h("h2", { id: headingId }, person, site ? h("span", { class: "site" }, ` — ${site}`) : null),
    h("p", { class: "hint" }, `${t("photoTakenOn")} ${formatDate(photo.taken_at)}`),
    photo.note ? h("p", { class: "patient-note" }, h("strong", {}, `${t("herNote")}: `), h("q", {}, photo.note))
      : h("p", { class: "hint" }, t("noNote")),
    compareFigures(photo, previous, person, measured),
    previous ? h("p", { class: "hint swipe-hint" }, t("swipeHint")) : null,
    body));
  return card;
}

export async function queue(state) {
  const mount = newView();
  loading(mount, t("queue"));
  try {
    const [waiting, people] = await Promise.all([
      get("/api/v1/review-queue/?page_size=50"), get("/api/v1/patients/?page_size=200")]);
    if (!waiting.results.length) return mount(h("h1", {}, t("queue")), h("p", { id: "queue-empty" }, t("emptyQueue")));
    const courses = [...new Set(waiting.results.map((p) => p.course))];
    const earlier = new Map(await Promise.all(courses.map(async (course) => [course,
      (await get(`/api/v1/photos/?course=${course}&status=ready&ordering=-taken_at&page_size=100`)).results])));
    const context = {
      names: new Map(people.results.map((p) => [p.id, p.display_name])),
      languages: new Map(people.results.map((p) => [p.id, p.language])),
      // A review saved here is the previous measurement of the next photo of the same course.
      measured(photo, review) {
        const known = (earlier.get(photo.course) || []).find((p) => p.id === photo.id);
        if (known) known.latest_review = review;
        for (const other of cards) other.refreshPrevious();
      },
      // The photo of the same course just before this one, and the latest review before it.
      before(photo) {
        const taken = Date.parse(photo.taken_at);
        const older = (earlier.get(photo.course) || []).filter((p) => p.id !== photo.id && Date.parse(p.taken_at) < taken);
        const measured = older.find((p) => p.latest_review);
        return { previous: older[0] || null, last: measured ? { ...measured.latest_review, taken_at: measured.taken_at } : null };
      },
    };
    let left = waiting.count;
    const count = h("span", { class: "hint", id: "queue-count" }, ` (${left})`);
    const list = h("div", { class: "queue-list" });
    const cards = [];
    const hooks = {
      open(card) {
        for (const other of cards) if (other !== card) { other.closeReview(); other.dataset.open = ""; }
        card.dataset.open = "1";
        card.openReview();
        const first = card.querySelector("#review input");
        if (first) first.focus();
      },
      done(card) {
        left -= 1;
        count.textContent = ` (${Math.max(left, 0)})`;
        const next = cards.find((other) => !other.classList.contains("done"));
        if (next && !cards.some((other) => other.dataset.open === "1" && !other.classList.contains("done"))) {
          next.dataset.open = "1";
          next.openReview();
        }
        if (!next) list.after(h("p", { id: "queue-empty" }, t("emptyQueue")));
        card.dataset.open = "";
      },
    };
    waiting.results.forEach((photo) => cards.push(queueCard(photo, context, hooks)));
    list.append(...cards);
    cards[0].dataset.open = "1";
    cards[0].openReview();
    mount(h("h1", {}, t("queue"), count), list);
  } catch (error) {
    showError(error);
  }
  return state;
}

// --- One patient's clinical page ---------------------------------------------------------------------
function card(id, title, ...children) {
  return h("section", { class: "card staff-card", id, "aria-labelledby": `${id}-h` }, h("h2", { id: `${id}-h` }, title), ...children);
}

export function adherenceLabel(result) {
  const days = (result.days || []).filter((d) => d.expected > 0);
  if (!days.length) return { level: "none", text: t("adhNone") };
  const full = days.filter((d) => d.applied >= d.expected).length;
  const ratio = full / days.length;
  const level = ratio >= 0.8 ? "good" : ratio >= 0.5 ? "fair" : "poor";
  return { level, text: t("adhLabel", { label: t(`adh_${level}`), n: full, of: days.length }) };
}

// A small line chart: one path per series, a gap where a value is missing (not answered), each
// series with its own marker shape and dash so colour is never the only difference.
function lineChart({ series, max, title }) {
  const all = series.flatMap((s) => s.points.map((p) => Date.parse(p.at)));
  const first = Math.min(...all);
  const last = Math.max(...all);
  const W = 300;
  const H = 110;
  const pad = 6;
  const x = (at) => (last === first ? W / 2 : pad + ((Date.parse(at) - first) / (last - first)) * (W - 2 * pad));
  const y = (value) => H - pad - (value / max) * (H - 2 * pad);
  const svg = document.createElementNS(SVG, "svg");
  const el = (tag, attrs) => {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  };
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("class", "chart-svg");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", title);
  for (const level of [0, max / 2, max]) svg.append(el("line", { x1: 0, x2: W, y1: y(level), y2: y(level), stroke: "#c9d1d9", "stroke-width": "1" }));
  for (const s of series) {
    let d = "";
    let pen = false;
    for (const p of s.points) {
      if (p.value === null || p.value === undefined) {
        pen = false;
        continue;
      }
      d += `${pen ? "L" : "M"}${x(p.at).toFixed(1)} ${y(p.value).toFixed(1)} `;
      pen = true;
    }
    if (d) svg.append(el("path", { d, fill: "none", stroke: s.color, "stroke-width": "2", "stroke-dasharray": s.dash || "" }));
    for (const p of s.points) {
      if (p.value === null || p.value === undefined) continue;
      const cx = x(p.at);
      const cy = y(p.value);
      svg.append(s.marker === "square"
        ? el("rect", { x: cx - 3, y: cy - 3, width: 6, height: 6, fill: s.color })
        : el("circle", { cx, cy, r: 3.2, fill: s.color }));
    }
  }
  const legend = h("ul", { class: "chart-legend" }, series.map((s) => {
    const swatch = h("span", { class: `swatch ${s.marker}${s.dash ? " dashed" : ""}`, "aria-hidden": "true" });
    swatch.style.backgroundColor = s.color;
    return h("li", {}, swatch, s.name);
  }));
  const dates = [...new Set(all)].sort((a, b) => a - b);
  const axis = h("div", { class: "chart-axis", "aria-hidden": "true" },
    h("span", {}, formatDate(new Date(dates[0]))), h("span", {}, formatDate(new Date(dates[dates.length - 1]))));
  return h("figure", { class: "chart" }, svg, axis, legend);
}

function valuesTable(caption, heads, rows) {
  return h("details", { class: "values" }, h("summary", {}, caption),
    h("div", { class: "table-scroll", tabindex: "0", role: "group", "aria-label": caption },
      h("table", {}, h("thead", {}, h("tr", {}, heads.map((head) => h("th", { scope: "col" }, head)))),
        h("tbody", {}, rows.map((row) => h("tr", {}, row.map((cell) => h("td", {}, cell))))))));
}

function trendsSection(symptoms, reviewed) {
  const entries = [...symptoms].filter((s) => !s.entered_in_error).sort((a, b) => a.recorded_at.localeCompare(b.recorded_at));
  const parts = [];
  if (entries.length) {
    const skipped = entries.filter((e) => e.pain === null || e.itch === null).length;
    const painTitle = t("painChartTitle", { n: entries.length, missing: skipped });
    parts.push(h("h3", {}, t("painItch")), h("p", { class: "hint" }, painTitle),
      lineChart({ title: painTitle, max: 10, series: [
        { name: t("pain"), color: "#a4161a", marker: "circle", points: entries.map((e) => ({ at: e.recorded_at, value: e.pain })) },
        { name: t("itch"), color: "#0d5e63", marker: "square", dash: "5 3", points: entries.map((e) => ({ at: e.recorded_at, value: e.itch })) },
      ] }),
      valuesTable(t("showValues"), [t("date"), t("pain"), t("itch"), t("drainage"), t("warning")], entries.slice().reverse().map((e) => [
        formatDate(e.recorded_at), e.pain ?? t("notAnswered"), e.itch ?? t("notAnswered"),
        t(`drainage${capital(e.drainage || "none")}`),
        [e.fever ? t("sign_fever") : null, e.redness_spreading ? t("sign_spreading_redness") : null].filter(Boolean).join(", ") || "–"])));
  } else {
    parts.push(h("p", {}, t("noCheckins")));
  }
  if (reviewed.length === 1) {
    parts.push(h("h3", {}, t("areaTrend")), h("p", {}, `${formatDate(reviewed[0].taken_at)}: ${measurement(reviewed[0].latest_review)}`));
  } else if (reviewed.length > 1) {
    const max = Math.max(1, ...reviewed.map((p) => Number(p.latest_review.area_cm2)));
    const areaTitle = t("areaChartTitle", { first: num(reviewed[0].latest_review.area_cm2), last: num(reviewed[reviewed.length - 1].latest_review.area_cm2) });
    parts.push(h("h3", {}, t("areaTrend")), h("p", { class: "hint" }, areaTitle),
      lineChart({ title: areaTitle, max: Math.ceil(max), series: [
        { name: `${t("area")} (cm²)`, color: "#1d2733", marker: "circle", points: reviewed.map((p) => ({ at: p.taken_at, value: Number(p.latest_review.area_cm2) })) }] }),
      valuesTable(t("showAreaValues"), [t("date"), `${t("area")} (cm²)`, t("pushScore")], reviewed.slice().reverse().map((p) => [
        formatDate(p.taken_at), num(p.latest_review.area_cm2), String(p.latest_review.push_score)])));
  }
  return card("trends", t("trends"), ...parts);
}

function photoTimeline(photos, person) {
  if (!photos.length) return card("photos", t("photoTimeline"), h("p", {}, t("noPhotos")));
  return card("photos", t("photoTimeline"), h("ol", { class: "timeline" }, photos.map((p) => h("li", {},
    photoButton(p, `${person} — ${formatDate(p.taken_at)}`, { thumbnail: true, lazy: true }),
    h("p", { class: "timeline-date" }, formatDate(p.taken_at)),
    h("p", { class: "hint" }, p.latest_review ? `${num(p.latest_review.area_cm2)} cm² · PUSH ${p.latest_review.push_score}` : t("notMeasuredYet"))))));
}

function reviewsSection(reviewed, canEdit) {
  const list = h("ul", { class: "list", id: "reviews" });
  const items = reviewed.slice().reverse();
  const draw = (photo, review, index) => {
    const earlier = items[index + 1];
    const last = earlier ? { ...earlier.latest_review, taken_at: earlier.taken_at } : null;
    const li = h("li", { "data-review": review.id });
    const render = (current) => {
      li.replaceChildren(...present(
        h("p", {}, h("strong", {}, formatDate(photo.taken_at)), " · ", measurement(current),
          current.version > 1 ? [" · ", h("em", { class: "version" }, versionNote(current))] : null),
        h("p", { class: "hint" }, `${t("exudate")}: ${exudateWord(current.exudate)} · ${t("tissue")}: ${tissueWord(current.tissue_type)}`,
          current.signs_of_infection ? ` · ${t("infection")}` : "", current.flag_for_physician ? ` · ${t("flag")}` : ""),
        current.comment ? h("p", {}, h("q", {}, current.comment)) : null,
        canEdit ? h("button", { type: "button", class: "secondary edit-review", onclick: () => {
          const form = reviewForm({ photo, review: current, last, id: `edit-${current.id}`, onSaved: (updated) => {
            photo.latest_review = updated;
            banner(`${t("reviewCorrected")} ${versionNote(updated)}`.trim(), "info");
            render(updated);
            li.querySelector(".edit-review").focus({ preventScroll: true });
          } });
          li.replaceChildren(h("h3", {}, `${t("editReview")} — ${formatDate(photo.taken_at)}`), form,
            h("button", { type: "button", class: "secondary", onclick: () => render(current) }, t("cancel")));
          form.querySelector("input").focus();
        } }, t("editReview")) : null));
    };
    render(review);
    return li;
  };
  items.forEach((photo, index) => list.append(draw(photo, photo.latest_review, index)));
  return card("reviews-card", t("reviews"), items.length ? list : h("p", {}, t("noReviews")));
}

// The latest applications and check-ins, each with who logged it (recorded_by): the patient, her
// caregiver, or someone of the team.
function recordsSection(state, person, applications, symptoms) {
  const when = (at) => {
    const options = { hour: "2-digit", minute: "2-digit", timeZone: person.timezone };
    try {
      return `${formatDate(at)}, ${new Date(at).toLocaleTimeString(locale(), options)}`;
    } catch {
      return `${formatDate(at)}, ${new Date(at).toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" })}`;
    }
  };
  const entries = [
    ...applications.filter((a) => !a.entered_in_error).map((a) => ({ at: a.applied_at, record: a,
      what: a.status === "skipped" ? `${t("daySkipped")}: ${a.skip_reason || t("skipNoReason")}` : t("dayApplied") })),
    ...symptoms.filter((e) => !e.entered_in_error).map((e) => ({ at: e.recorded_at, record: e, what: symptomSummary(e) })),
  ].sort((a, b) => new Date(b.at) - new Date(a.at)).slice(0, 12);
  if (!entries.length) return card("records", t("recentRecords"), h("p", {}, t("noRecords")));
  return card("records", t("recentRecords"), h("ul", { class: "list", id: "record-list" }, entries.map(({ at, record, what }) => h("li", { "data-record": record.id },
    h("strong", {}, when(at)), ` — ${capital(what)}`,
    h("p", { class: "hint recorded-by" }, loggedBy(state.me, record.recorded_by))))));
}

// The people who help her: the same list, invitation and removal as her own screen.
async function caregiversSection(person) {
  const panel = caregiverPanel(person.id, { staff: true, patientName: person.display_name, level: 3 });
  await panel.refresh();
  return card("caregivers-card", t("caregiversTitle"), h("p", { class: "hint" }, t("staffHelpersIntro")), panel.element);
}

function skipsSection(applications) {
  const skipped = applications.filter((a) => a.status === "skipped" && !a.entered_in_error);
  if (!skipped.length) return card("skips", t("skipsTitle"), h("p", {}, t("noSkips")));
  const counts = new Map();
  for (const a of skipped) counts.set(a.skip_reason || t("skipNoReason"), (counts.get(a.skip_reason || t("skipNoReason")) || 0) + 1);
  return card("skips", t("skipsTitle"),
    h("p", {}, [...counts].map(([reason, n]) => `${reason} × ${n}`).join(" · ")),
    h("ul", { class: "list", id: "skip-list" }, skipped.map((a) => h("li", {}, h("strong", {}, formatDate(a.local_date || a.applied_at)), ` — ${a.skip_reason || t("skipNoReason")}`))));
}

function debridementsSection(course, initial) {
  const list = h("ul", { class: "list", id: "debridements" });
  const draw = (items) => list.replaceChildren(...(items.length ? items.map((d) => h("li", {},
    h("strong", {}, formatDate(d.performed_at)), ` — ${t(`method_${d.method}`)} · ${t("nodules")}: ${d.nodules_removed}`,
    d.specimen_sent ? ` · ${t("specimen")}` : "", d.notes ? [" · ", h("q", {}, d.notes)] : null)) : [h("li", {}, t("noDebridements"))]));
  draw(initial);
  const refresh = async () => draw((await get(`/api/v1/debridements/?course=${course.id}&page_size=200`)).results);
  return card("debridement-card", t("debridements"), list,
    h("details", { class: "change", id: "debridement-details" }, h("summary", {}, t("debridement")), debridementForm(course, refresh)));
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
      notes.value = "";
      specimen.checked = false;
      nodules.value = "0";
      await onSaved();
    } catch (error) {
      showError(error);
    }
  } }, field(t("performedAt"), at), field(t("method"), method), field(t("nodules"), nodules),
  h("label", { class: "choice", for: "specimen" }, specimen, t("specimen")), field(t("comment"), notes),
  h("button", { type: "submit" }, t("save")));
  return form;
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
      showError(error);
    }
  } }, t("requestReport"));
  return card("reports-card", t("reports"), request, list);
}

// The clinic's name and phone that her app shows on every screen (a tel: link): set here by her
// nurse or physician. The server checks the phone; its refusal is said beside the field.
function contactCard(person) {
  const now = h("p", { class: "contact-now", id: "contact-now" });
  const drawNow = () => {
    const words = [person.care_team_name, person.care_team_phone].filter(Boolean).join(" · ");
    now.textContent = words || t("contactNone");
  };
  drawNow();
  const name = h("input", { name: "care_team_name", maxlength: "120", autocomplete: "off", value: person.care_team_name || "" });
  const phone = h("input", { name: "care_team_phone", type: "tel", maxlength: "32", autocomplete: "off", value: person.care_team_phone || "" });
  const inputs = { care_team_name: name, care_team_phone: phone };
  const done = h("p", { class: "state ok", id: "contact-saved", role: "status", hidden: true });
  const form = h("form", { id: "contact", onsubmit: async (event) => {
    event.preventDefault();
    done.hidden = true;
    for (const input of Object.values(inputs)) setFieldError(input, null);
    try {
      const updated = await patch(`/api/v1/patients/${person.id}/`, { care_team_name: name.value.trim(), care_team_phone: phone.value.trim() });
      Object.assign(person, updated);
      name.value = person.care_team_name || "";
      phone.value = person.care_team_phone || "";
      drawNow();
      done.textContent = t("contactSaved");
      done.hidden = false;
    } catch (error) {
      const named = error instanceof ApiError ? Object.keys(error.errors).filter((key) => inputs[key]) : [];
      if (!named.length) return showError(error);
      for (const key of named) setFieldError(inputs[key], refusals({ status: error.status, errors: { [key]: error.errors[key] } }).flatMap(refusalView));
      inputs[named[0]].focus();
    }
  } }, checked(t("clinicName"), name), checked(t("clinicPhone"), phone, t("clinicPhoneHint")),
  h("button", { type: "submit", id: "contact-submit" }, t("save")), done);
  return card("contact-card", t("careContact"), now, h("p", { class: "hint" }, t("contactHint")),
    h("details", { class: "change", id: "contact-details" }, h("summary", {}, t("changeContact")), form));
}

function courseWords(course) {
  return `${course.medication} ${num(course.concentration_percent)} %, ${course.vehicle}, ${course.body_site}`;
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
      const updated = await patch(`/api/v1/courses/${course.id}/`, changes);
      Object.assign(course, updated || changes);
      banner(t("saved"), "info");
      await onSaved(course);
    } catch (error) {
      showError(error);
    }
  } }, field(t("status"), status), field(t("endDate"), end), field(t("instructions"), instructions),
  h("button", { type: "submit" }, t("save")));
  return form;
}

// A new course while one is in force: the same form says what becomes of the old one (paused,
// completed or stopped), a required choice with no default. Never replaced silently.
function courseForm(person, inForce, onSaved) {
  const inputs = {
    medication: h("input", { name: "medication", value: "Sodium thiosulfate", required: true, maxlength: "120" }),
    concentration_percent: h("input", { name: "concentration_percent", type: "number", min: "0.01", max: "100", step: "0.01", value: "10", required: true }),
    vehicle: h("input", { name: "vehicle", value: "Oil-in-water emulsion", required: true, maxlength: "120" }),
    body_site: h("input", { name: "body_site", required: true, maxlength: "120" }),
    applications_per_day: h("input", { name: "applications_per_day", type: "number", min: "1", max: "6", value: "1", required: true }),
    start_date: h("input", { name: "start_date", type: "date", value: todayIn(person.timezone), required: true }),
    instructions: h("textarea", { name: "instructions", rows: "3", maxlength: "4000" }),
  };
  const error = h("div", { class: "error", id: "prescribe-error", role: "alert" });
  const previous = inForce ? h("fieldset", { id: "previous-course" },
    h("legend", {}, t("inForceLegend")),
    h("p", { class: "hint", id: "previous-course-hint" }, `${courseWords(inForce)} — ${t(inForce.status)}, ${t("since")} ${formatDate(inForce.start_date)}. ${t("inForceHint")}`),
    ...["paused", "completed", "stopped"].map((value) => h("label", { class: "choice" },
      h("input", { type: "radio", name: "previous_status", value, required: true, "aria-describedby": "previous-course-hint" }), t(`becomes_${value}`)))) : null;
  const form = h("form", { id: "prescribe", onsubmit: async (event) => {
    event.preventDefault();
    error.replaceChildren();
    const body = {
      id: uuid(), patient: person.id, medication: inputs.medication.value,
      concentration_percent: inputs.concentration_percent.value, vehicle: inputs.vehicle.value,
      body_site: inputs.body_site.value, applications_per_day: Number(inputs.applications_per_day.value),
      start_date: inputs.start_date.value, instructions: inputs.instructions.value,
    };
    if (inForce) body.previous_course = { id: inForce.id, status: form.querySelector("input[name=previous_status]:checked").value };
    try {
      const created = await post("/api/v1/courses/", body);
      banner(t("saved"), "info");
      await onSaved(created);
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 409) {
        error.replaceChildren(h("p", {}, t("courseConflict")), ...refusals(failure).flatMap(refusalView));
        error.setAttribute("tabindex", "-1");
        error.focus();
        return;
      }
      showError(failure);
    }
  } },
  previous, field(t("medication"), inputs.medication), field(t("concentration"), inputs.concentration_percent),
  field(t("vehicle"), inputs.vehicle), field(t("site"), inputs.body_site),
  field(t("perDay"), inputs.applications_per_day), field(t("startDate"), inputs.start_date),
  field(t("instructions"), inputs.instructions), error, h("button", { type: "submit", id: "prescribe-submit" }, t("prescribe")));
  return card("prescribe-card", inForce ? t("prescribeAnother") : t("prescribe"), form);
}

// The last 28 whole days of her course (today is not over yet), in her days.
async function adherenceFor(course, person) {
  const end = addDays(todayIn(person.timezone), -1);
  const start = course.start_date > addDays(end, -27) ? course.start_date : addDays(end, -27);
  if (start > end) return { ...(await get(`/api/v1/courses/${course.id}/adherence/`)), days: [], whole: false };
  return { ...(await get(`/api/v1/courses/${course.id}/adherence/?start=${start}&end=${end}`)), whole: true };
}

function courseSummary(course, adherence) {
  const label = adherenceLabel(adherence);
  return present(
    h("p", {}, `${courseWords(course)} — `, h("strong", {}, t(course.status)), `, ${t("since")} ${formatDate(course.start_date)}`),
    h("p", { class: `adherence adh-${label.level}`, id: "adherence-label" }, label.text),
    h("p", { class: "hint" }, adherence.whole ? `${t("adhPeriod", { start: formatDate(adherence.start), end: formatDate(adherence.end) })} ` : "",
      `${t("applications")}: ${adherence.applied}/${adherence.expected} (${percent(adherence.adherence_percent)}) · ${t("streak")}: ${adherence.current_streak_days}`),
    course.instructions ? h("p", {}, h("strong", {}, `${t("instructions")}: `), course.instructions) : null);
}

// Draws the page again where she stands: the section she worked in (`anchor`) stays where it was
// on the screen, and the focus goes back to the control of the same id.
function redrawInPlace(route, children, anchor) {
  if (location.hash !== route) return;
  const before = document.getElementById(anchor);
  const offset = before ? before.getBoundingClientRect().top : null;
  const y = window.scrollY;
  const focused = document.activeElement && document.activeElement.id;
  document.getElementById("main").replaceChildren(...children);
  const after = document.getElementById(anchor);
  if (after && offset !== null) window.scrollTo(0, window.scrollY + after.getBoundingClientRect().top - offset);
  else window.scrollTo(0, y);
  const again = focused && document.getElementById(focused);
  if (again) again.focus({ preventScroll: true });
}

export async function patient(state, id) {
  const route = location.hash;
  const chosen = location.hash.replace(/^#\//, "").split("/")[2] || null;
  const mount = newView();
  loading(mount, t("patients"));
  try {
    const draw = async () => {
      const [person, courses, open] = await Promise.all([
        get(`/api/v1/patients/${id}/`), get(`/api/v1/courses/?patient=${id}&page_size=200`),
        get(`/api/v1/alerts/?patient=${id}&status=open&page_size=200`)]);
      const inForce = courses.results.find((c) => c.status === "active") || courses.results.find((c) => c.status === "paused") || null;
      const shown = courses.results.find((c) => c.id === chosen) || inForce || courses.results[0] || null;
      const physician = state.me.role === "physician";
      const age = person.birth_year ? new Date().getFullYear() - person.birth_year : null;
      const sections = [h("h1", {}, person.display_name),
        h("p", { class: "facts", id: "patient-facts" },
          age !== null ? t("ageYears", { n: age, year: person.birth_year }) : null, " · ",
          `${t("languageIs")}: ${languageName(person.language)}`, " · ", person.timezone),
        contactCard(person),
        card("open-alerts", t("openAlerts"), alertList(open.results)),
        await caregiversSection(person)];
      if (shown) {
        const [adherence, photos, symptoms, debridements, applications] = await Promise.all([
          adherenceFor(shown, person),
          get(`/api/v1/photos/?course=${shown.id}&ordering=taken_at&page_size=200`),
          get(`/api/v1/symptoms/?course=${shown.id}&page_size=200`),
          get(`/api/v1/debridements/?course=${shown.id}&page_size=200`),
          get(`/api/v1/applications/?course=${shown.id}&page_size=200`)]);
        const ready = photos.results.filter((p) => p.status === "ready" && !p.entered_in_error)
          .sort((a, b) => a.taken_at.localeCompare(b.taken_at));
        const reviewed = ready.filter((p) => p.latest_review);
        const summary = h("div", { id: "course-summary" }, courseSummary(shown, adherence));
        const others = courses.results.filter((c) => c.id !== shown.id);
        sections.push(card("course-card", t("course"), summary,
          others.length ? h("p", { class: "hint" }, `${t("otherCourses")}: `, others.flatMap((c, i) => [i ? " · " : "",
            h("a", { href: `#/patient/${id}/${c.id}` }, `${c.body_site} (${t(c.status)}, ${formatDate(c.start_date)})`)])) : null,
          physician ? h("details", { class: "change" }, h("summary", {}, t("changeCourse")),
            courseChangeForm(shown, async () => summary.replaceChildren(...courseSummary(shown, await adherenceFor(shown, person))))) : null));
        sections.push(photoTimeline(ready, person.display_name));
        sections.push(trendsSection(symptoms.results, reviewed));
        sections.push(reviewsSection(reviewed, true));
        sections.push(recordsSection(state, person, applications.results, symptoms.results));
        sections.push(skipsSection(applications.results));
        sections.push(debridementsSection(shown, debridements.results));
        sections.push(await reportsSection(shown));
      } else {
        sections.push(h("p", {}, t("noCourse")));
      }
      if (physician) sections.push(courseForm(person, inForce, async () => redrawInPlace(route, present(...await draw()), "prescribe-card")));
      return sections;
    };
    mount(...present(...await draw()));
  } catch (error) {
    showError(error);
  }
}
