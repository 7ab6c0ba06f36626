// The patient's screens: Today, How do you feel, Photo, History, Reports.
import { NetworkError, get, upload, uuid } from "./api.js";
import { formatDate, t } from "./i18n.js";
import * as outbox from "./outbox.js";
import { banner, errorMessage, h, isoWithOffset, newView, yesNo } from "./ui.js";

const MAX_SIDE = 2048; // photos are shrunk on the phone: faster to send, still sharp for review

function localDay(date = new Date()) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

async function record(kind, body, blob = null) {
  await outbox.add(kind, body, blob);
  const sent = await outbox.flush();
  const left = (await outbox.all()).filter((item) => !item.error).length;
  banner(left && !sent ? t("savedOffline") : t("sent"), "info");
}

function noCourse(show) {
  show(h("h1", {}, t("today")), h("p", {}, t("noCourse")));
}

export async function today(state) {
  const mount = newView();
  if (!state.course) return noCourse(mount);
  const pendingToday = (await outbox.all()).filter((item) => item.kind === "application"
    && item.body.course === state.course.id && item.body.applied_at.slice(0, 10) === localDay());
  let adherence = null;
  try {
    const start = localDay(new Date(Date.now() - 13 * 86400000));
    adherence = await get(`/api/v1/courses/${state.course.id}/adherence/?start=${start}`);
    await outbox.remember("adherence", adherence);
  } catch (error) {
    adherence = await outbox.recall("adherence");
  }
  const last = adherence && adherence.days.length ? adherence.days[adherence.days.length - 1] : null;
  const appliedPending = pendingToday.some((item) => item.body.status === "applied");
  const skippedPending = pendingToday.some((item) => item.body.status === "skipped");
  let stateText = t("notYetToday");
  let stateClass = "state warn";
  if ((last && last.expected && last.applied >= last.expected) || appliedPending) {
    stateText = t("appliedToday");
    stateClass = "state ok";
  } else if ((last && last.skipped) || skippedPending) {
    stateText = t("skippedToday");
    stateClass = "state";
  }
  const applyButton = h("button", { class: "big", type: "button", id: "apply", onclick: async () => {
    applyButton.disabled = true;
    await record("application", { id: uuid(), course: state.course.id, applied_at: isoWithOffset(), status: "applied" });
    today(state);
  } }, t("appliedIt"));

  const reason = h("select", { id: "skip-reason" }, ...t("skipReasons").map((text) => h("option", { value: text }, text)));
  const skipForm = h("form", { id: "skip-form", hidden: true, onsubmit: async (event) => {
    event.preventDefault();
    await record("application", { id: uuid(), course: state.course.id, applied_at: isoWithOffset(), status: "skipped", skip_reason: reason.value });
    today(state);
  } },
  h("label", { for: "skip-reason" }, t("skipReason")), reason,
  h("div", { class: "row" }, h("button", { type: "submit" }, t("confirmSkip")),
    h("button", { type: "button", class: "secondary", onclick: () => { skipForm.hidden = true; skipButton.hidden = false; } }, t("cancel"))));
  const skipButton = h("button", { type: "button", class: "secondary", id: "skip", onclick: () => {
    skipForm.hidden = false;
    skipButton.hidden = true;
    reason.focus();
  } }, t("skipToday"));

  mount(
    h("h1", {}, t("today")),
    h("p", { class: stateClass, id: "today-state", role: "status" }, stateText),
    h("div", { class: "stack" }, applyButton, skipButton, skipForm),
    h("p", {}, `${t("streak")}: `, h("strong", { id: "streak" }, adherence ? String(adherence.current_streak_days) : "–")),
    h("p", { class: "hint" }, `${state.course.medication} ${state.course.concentration_percent} % · ${state.course.body_site}`),
  );
}

function scale(name, label, low, high) {
  const value = h("output", { class: "scale-value", for: name, id: `${name}-value` }, "0");
  const input = h("input", { type: "range", id: name, name, min: "0", max: "10", step: "1", value: "0",
    "aria-describedby": `${name}-ends`, oninput: () => { value.textContent = input.value; input.setAttribute("aria-valuetext", `${input.value} / 10`); } });
  return h("div", { class: "stack" },
    h("label", { for: name }, label, " ", value),
    input,
    h("div", { class: "scale-ends", id: `${name}-ends` }, h("span", {}, `0 ${low}`), h("span", {}, `10 ${high}`)));
}

export function feel(state) {
  const mount = newView();
  if (!state.course) return noCourse(mount);
  const form = h("form", { id: "checkin", onsubmit: async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = {
      id: uuid(), course: state.course.id, recorded_at: isoWithOffset(),
      pain: Number(data.get("pain")), itch: Number(data.get("itch")), drainage: data.get("drainage"),
      fever: data.get("fever") === "yes", redness_spreading: data.get("redness") === "yes",
    };
    await record("symptom", body);
    if (body.fever || body.redness_spreading || body.drainage === "pus") banner(t("warnSigns"));
    form.reset();
    for (const output of form.querySelectorAll("output")) output.textContent = "0";
  } },
  scale("pain", t("pain"), t("noPain"), t("worstPain")),
  scale("itch", t("itch"), t("noItch"), t("worstItch")),
  h("fieldset", {}, h("legend", {}, t("drainage")),
    ...[["none", "drainageNone"], ["clear", "drainageClear"], ["cloudy", "drainageCloudy"], ["pus", "drainagePus"]]
      .map(([value, key]) => h("label", { class: "choice" }, h("input", { type: "radio", name: "drainage", value, checked: value === "none" }), t(key)))),
  yesNo("fever", t("fever")),
  yesNo("redness", t("redness")),
  h("button", { type: "submit", class: "big" }, t("saveCheckin")));
  mount(h("h1", {}, t("feel")), form);
}

async function shrink(file) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const ratio = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * ratio);
  canvas.height = Math.round(bitmap.height * ratio);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  // A fresh JPEG from the pixels: the phone's EXIF (and its GPS position) never leaves the phone.
  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("encode"))), "image/jpeg", 0.88));
}

export function photo(state) {
  const mount = newView();
  if (!state.course) return noCourse(mount);
  let blob = null;
  let body = null;
  const preview = h("img", { id: "preview", alt: "", hidden: true });
  const bar = h("span", {});
  const progress = h("div", { class: "progress", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0", "aria-label": t("uploading"), hidden: true }, bar);
  const status = h("p", { id: "photo-status", role: "status" });
  const send = h("button", { type: "button", class: "big", id: "send-photo", disabled: true, onclick: () => sendPhoto() }, t("upload"));
  const input = h("input", { type: "file", id: "photo-input", accept: "image/*", capture: "environment", onchange: async () => {
    const file = input.files && input.files[0];
    if (!file) return;
    status.textContent = "";
    try {
      blob = await shrink(file);
    } catch {
      blob = file; // the server still checks and cleans it
    }
    body = { id: uuid(), course: state.course.id, taken_at: isoWithOffset(new Date(file.lastModified || Date.now())) };
    if (new Date(body.taken_at) > new Date()) body.taken_at = isoWithOffset();
    preview.src = URL.createObjectURL(blob);
    preview.alt = t("thisPhoto");
    preview.hidden = false;
    send.disabled = false;
    send.textContent = t("upload");
  } });

  async function sendPhoto() {
    if (!blob) return;
    send.disabled = true;
    progress.hidden = false;
    status.textContent = t("uploading");
    const form = new FormData();
    for (const [key, value] of Object.entries(body)) form.append(key, value);
    form.append("image", blob, "photo.jpg");
    try {
      if (!navigator.onLine) throw new NetworkError("offline");
      await upload("/api/v1/photos/", form, (fraction) => {
        bar.style.width = `${Math.round(fraction * 100)}%`;
        progress.setAttribute("aria-valuenow", String(Math.round(fraction * 100)));
      });
      status.textContent = t("photoSent");
      blob = null;
    } catch (error) {
      if (error instanceof NetworkError) {
        await outbox.add("photo", body, blob); // kept on the phone, sent when back online
        status.textContent = t("savedOffline");
        blob = null;
      } else {
        status.textContent = errorMessage(error);
        send.disabled = false;
        send.textContent = t("retry");
      }
    } finally {
      progress.hidden = true;
    }
  }

  mount(h("h1", {}, t("photo")),
    h("div", { class: "stack" }, h("label", { for: "photo-input" }, t("takePhoto")), input, preview, progress, send, status));
}

function calendar(days) {
  const cells = [];
  const first = days.length ? new Date(`${days[0].date}T12:00:00`) : new Date();
  const weekdays = [...Array(7)].map((_, i) => new Date(2024, 0, 1 + i).toLocaleDateString(document.documentElement.lang, { weekday: "narrow" }));
  cells.push(...weekdays.map((name) => h("div", { class: "day head", "aria-hidden": "true" }, name)));
  for (let i = 0; i < (first.getDay() + 6) % 7; i += 1) cells.push(h("div", { class: "day", "aria-hidden": "true" }));
  for (const day of days) {
    let kind = "";
    let word = "";
    if (day.expected && day.applied >= day.expected) { kind = "applied"; word = t("appliedIt"); }
    else if (day.skipped) { kind = "skipped"; word = t("skipToday"); }
    else if (day.expected) { kind = "missed"; word = "—"; }
    const label = `${formatDate(day.date)}${word ? `: ${word}` : ""}`;
    cells.push(h("div", { class: `day ${kind}`, role: "img", "aria-label": label, title: label }, String(Number(day.date.slice(8)))));
  }
  return h("div", { class: "calendar", id: "calendar" }, cells);
}

export async function history(state) {
  const mount = newView();
  if (!state.course) return noCourse(mount);
  mount(h("h1", {}, t("history")), h("p", { class: "loading" }, t("loading")));
  try {
    const start = localDay(new Date(Date.now() - 34 * 86400000));
    const [adherence, photos] = await Promise.all([
      get(`/api/v1/courses/${state.course.id}/adherence/?start=${start}`),
      get(`/api/v1/photos/?course=${state.course.id}&ordering=-taken_at&page_size=60`),
    ]);
    const items = photos.results.map((p) => h("li", {}, h("figure", {},
      p.thumbnail_url ? h("img", { src: p.thumbnail_url, alt: `${t("photo")} ${formatDate(p.taken_at)}`, loading: "lazy", width: "512", height: "384" })
        : h("p", { class: "badge" }, p.status),
      h("figcaption", {}, formatDate(p.taken_at)))));
    mount(h("h1", {}, t("history")),
      h("h2", {}, t("calendar")), calendar(adherence.days),
      h("h2", {}, t("gallery")), items.length ? h("ul", { class: "gallery", id: "gallery" }, items) : h("p", {}, t("noPhotos")));
  } catch (error) {
    banner(errorMessage(error));
  }
}

export async function reports(state) {
  const mount = newView();
  mount(h("h1", {}, t("reports")), h("p", { class: "loading" }, t("loading")));
  try {
    const list = await get("/api/v1/reports/?page_size=50");
    const rows = list.results.map((r) => h("li", {},
      h("strong", {}, `${formatDate(r.period_start)} – ${formatDate(r.period_end)}`), " ",
      h("span", { class: "badge" }, t(`status${r.status[0].toUpperCase()}${r.status.slice(1)}`)), " ",
      r.pdf_url ? h("a", { href: r.pdf_url, class: "button secondary", target: "_blank", rel: "noopener" }, t("open")) : null));
    mount(h("h1", {}, t("reports")), rows.length ? h("ul", { class: "list" }, rows) : h("p", {}, t("noReports")));
  } catch (error) {
    banner(errorMessage(error));
  }
  return state;
}
