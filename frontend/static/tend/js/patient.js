// The patient's screens: Today, How do you feel, Photo, History (with one photo opened large),
// Reports. Each says which course it shows and how to reach the care team; after each save a card
// at the top of the screen says what happened (and when, in her time), never a banner that hides.
// Her caregiver sees the same screens, each saying whom she helps, and records on her behalf.
import { ApiError, NetworkError, get, upload, uuid } from "./api.js";
import { readCaptureTime } from "./exif.js";
import { formatDate, lang, t } from "./i18n.js";
import * as outbox from "./outbox.js";
import { firstTime, loadReminders, wallClock } from "./schedule.js";
import { banner, emergencyNumber, errorMessage, h, isoWithOffset, newView, refusalView, refusals, todayIn, yesNo } from "./ui.js";

const MAX_SIDE = 2048; // photos are shrunk on the phone: faster to send, still sharp for review
const UNDO_REASON = "Undone by the patient"; // stored for the care team, who read English records
const LATE_HOUR = 21; // "I applied it last night": 21:00 of her yesterday
const FUTURE_SLACK_MS = 5 * 60 * 1000; // a camera clock a little ahead is still "now"

// --- Time, in the patient's own zone ------------------------------------------------------------

export function zone(state) {
  return (state.patient && state.patient.timezone) || Intl.DateTimeFormat().resolvedOptions().timeZone;
}

function locale() {
  return lang() === "es" ? "es-ES" : "en-GB";
}

export function clockTime(state, value = new Date()) {
  const date = value instanceof Date ? value : new Date(value);
  try {
    return date.toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit", timeZone: zone(state) });
  } catch {
    return date.toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" });
  }
}

function dayOf(state, value) {
  return todayIn(zone(state), value instanceof Date ? value : new Date(value));
}

function addDays(day, days) {
  const date = new Date(`${day}T12:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

function longDate(day) {
  return new Date(`${day}T12:00:00`).toLocaleDateString(locale(), { weekday: "long", day: "numeric", month: "long" });
}

// The offset of a zone at an instant, in minutes east of UTC.
function offsetMinutes(timeZone, instant) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
    timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(instant).map((part) => [part.type, part.value]));
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour % 24, parts.minute, parts.second);
  return Math.round((asUtc - instant) / 60000);
}

// An ISO time with offset for a wall-clock time on a day in the patient's zone.
function wallTime(state, day, hour) {
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
  const guess = Date.UTC(...day.split("-").map((part, i) => Number(part) - (i === 1 ? 1 : 0)), hour);
  let offset;
  try {
    offset = offsetMinutes(zone(state), guess);
    offset = offsetMinutes(zone(state), guess - offset * 60000);
  } catch {
    offset = -new Date(guess).getTimezoneOffset();
  }
  return `${day}T${pad(hour)}:00:00${offset >= 0 ? "+" : "-"}${pad(offset / 60)}:${pad(offset % 60)}`;
}

function number(value, digits = 2) {
  return Number(value).toLocaleString(locale(), { maximumFractionDigits: digits });
}

// --- What every screen carries ------------------------------------------------------------------

// What a screen works with, taken when it opens: a sign-out while it still loads (which empties
// the app's state) cannot make it read a course that is no longer there.
export function snapshot(state) {
  const root = state.root || state;
  return { root, me: root.me, course: root.course, patient: root.patient };
}

// Her own patient record: the care team's name and phone, her time zone. Cached for offline use
// (the cache is wiped at sign-out); never another user's record on a shared phone.
export async function loadPatient(state, { fresh = false } = {}) {
  const mine = (record) => record && state.me && record.id === state.me.patient_id;
  if (!state.me) return null;
  if (!fresh && mine(state.patient)) return state.patient;
  try {
    state.patient = await get(`/api/v1/patients/${state.me.patient_id}/`);
    await outbox.remember("patient", state.patient);
  } catch {
    if (!mine(state.patient)) {
      const cached = await outbox.recall("patient");
      state.patient = mine(cached) ? cached : null;
    }
  }
  if (state.root && state.root.me === state.me) state.root.patient = state.patient;
  return state.patient;
}

function phoneHref(phone) {
  const digits = (phone || "").replace(/[^\d+]/g, "");
  return digits.replace(/\D/g, "").length >= 3 ? `tel:${digits}` : null;
}

function callButton(state, { big = false } = {}) {
  const patient = state.patient;
  const href = patient && phoneHref(patient.care_team_phone);
  if (!href) return null;
  const name = patient.care_team_name || t("yourClinic");
  return h("a", { href, class: `button call${big ? " big" : ""}`, id: big ? "call-now" : "call-team" },
    h("span", { class: "call-icon", "aria-hidden": "true" }, "\u260E"),
    h("span", { class: "call-text" }, h("span", {}, `${t("callTeam", { name })}: `),
      h("span", { class: "call-number" }, patient.care_team_phone)));
}

function careTeam(state) {
  const patient = state.patient;
  const name = (patient && patient.care_team_name) || t("yourClinic");
  const button = callButton(state);
  return h("section", { class: "card care", id: "care-team", "aria-labelledby": "care-title" },
    h("h2", { id: "care-title" }, t("yourCareTeam")),
    h("p", { class: "care-name" }, name),
    button || h("p", { id: "no-phone" }, t("noPhone")),
    h("p", { class: "hint" }, emergencyNumber() ? t("emergencyHintNumber", { number: emergencyNumber() }) : t("emergencyHint")));
}

function strength(course) {
  return `${course.medication} ${number(course.concentration_percent)} %`;
}

// Which course this screen shows: never a silent switch from one course to another.
function courseLine(course) {
  const words = [strength(course), course.body_site, `${t("since")} ${formatDate(course.start_date)}`];
  return h("p", { class: "course-line", id: "course-line" },
    h("span", { class: "visually-hidden" }, `${t("yourTreatment")}: `), words.join(" · "),
    course.status === "paused" ? h("strong", {}, ` · ${t("paused")}`) : null);
}

function perDay(n) {
  if (n === 1) return t("oncePerDay");
  if (n === 2) return t("twicePerDay");
  return t("timesPerDay", { n });
}

// A card at the top of the screen: what was just saved, when (her time), or why it was not.
// It stays until she leaves the screen; screen readers are moved to it.
function noticeCard(notice) {
  if (!notice) return null;
  const error = notice.kind === "error";
  return h("div", {
    class: `notice ${notice.kind}`, id: "notice", tabindex: "-1", role: error ? "alert" : "status",
  },
  h("p", { class: "notice-title" }, h("span", { "aria-hidden": "true" }, error ? "! " : notice.kind === "ok" ? "\u2713 " : ""), notice.title),
  ...(notice.lines || []).filter(Boolean).map((line) => h("p", {}, line)),
  // What the server refused, in her words; its own English sentence where refusalView keeps it.
  ...(notice.refusal ? refusals(notice.refusal).flatMap(refusalView) : []),
  notice.action || null);
}

// Signed in as her caregiver: whose screens these are, under each heading.
function helpingLine(state) {
  if (!state.me || state.me.role !== "caregiver") return null;
  const name = state.patient && state.patient.display_name;
  return name ? h("p", { class: "helping", id: "helping" }, t("helping", { name })) : null;
}

// Mount a patient screen: [notice], heading, whom she helps (a caregiver), which course, the
// screen's own content, the care team.
export function show(state, mount, { title, notice = null, course = true, content = [] }) {
  mount(...[noticeCard(notice), h("h1", {}, title), helpingLine(state),
    course && state.course ? courseLine(state.course) : null,
    ...content, careTeam(state)].filter(Boolean));
  const card = document.getElementById("notice");
  if (card) {
    card.scrollIntoView({ block: "start" });
    card.focus({ preventScroll: true });
  }
}

function savedNotice(state, result, lines = []) {
  const at = clockTime(state);
  if (result.kind === "error") return { kind: "error", title: t("notSavedTitle"), refusal: result };
  if (result.kind === "offline") return { kind: "offline", title: t("savedOfflineAt", { time: at }), lines: [...lines, t("sendLater")] };
  return { kind: "ok", title: t("savedAtTime", { time: at }), lines };
}

function isKept(error) {
  // Not the server saying no to this record: the network, a server fault, an ended session.
  return !(error instanceof ApiError) || error.status >= 500 || [401, 403, 429].includes(error.status);
}

// Save a record: sent at once when nothing waits before it, else (or when that fails for lack of a
// network) kept on the phone and sent in order. -> {kind: "ok" | "offline" | "error", message}
async function save(kind, body, blob = null) {
  const waiting = (await outbox.all()).filter((item) => !item.error);
  if (!waiting.length) {
    try {
      await outbox.deliver(kind, body, blob);
      return { kind: "ok" };
    } catch (error) {
      if (!isKept(error)) return { kind: "error", status: error.status, errors: error.errors, message: error.message };
    }
  }
  const seq = await outbox.add(kind, body, blob);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    await outbox.flush(); // a second run when a run already going had not seen this one
    const item = (await outbox.all()).find((entry) => entry.seq === seq);
    if (!item) return { kind: "ok" };
    if (item.error) {
      await outbox.discard(seq); // shown to her here, not kept to fail again
      banner(null);
      return { kind: "error", status: item.errorStatus, errors: item.errorFields, message: item.error };
    }
  }
  return { kind: "offline" };
}

export function noCourse(state, mount, title) {
  show(state, mount, { title, course: false, content: [h("p", { class: "state" }, t("noCourse"))] });
}

function offlineNote(savedAt) {
  return h("p", { class: "state warn", id: "offline-note", role: "status" },
    savedAt ? t("showingSaved", { when: `${formatDate(new Date(savedAt))} ${new Date(savedAt).toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" })}` })
      : t("networkError"));
}

// --- Today --------------------------------------------------------------------------------------

// The applications of a day as she sees them: the server's (not voided) and what waits on the
// phone, less what she undid.
function applicationsOf(state, day, server, waiting) {
  const voided = new Set(waiting.filter((item) => item.kind === "void" && !item.error).map((item) => item.body.record));
  const seen = new Set();
  const found = [];
  for (const item of waiting) {
    if (item.kind !== "application" || item.error || item.body.course !== state.course.id) continue;
    if (dayOf(state, item.body.applied_at) !== day || voided.has(item.body.id)) continue;
    seen.add(item.body.id);
    found.push({ ...item.body, pendingSeq: item.seq });
  }
  for (const record of server) {
    if (record.entered_in_error || record.local_date !== day || voided.has(record.id) || seen.has(record.id)) continue;
    found.push(record);
  }
  return found.sort((a, b) => new Date(a.applied_at) - new Date(b.applied_at));
}

async function loadToday(state) {
  const start = addDays(dayOf(state, new Date()), -13);
  const course = state.course.id;
  let adherence = null;
  let applications = null;
  try {
    [adherence, applications] = await Promise.all([
      get(`/api/v1/courses/${course}/adherence/?start=${start}`),
      get(`/api/v1/applications/?course=${course}&page_size=30`),
    ]);
    await outbox.remember("adherence", adherence);
    await outbox.remember("applications", { course, results: applications.results });
    applications = applications.results;
  } catch {
    adherence = await outbox.recall("adherence");
    const cached = await outbox.recall("applications");
    applications = cached && cached.course === course ? cached.results : [];
    if (adherence && adherence.course && adherence.course !== course) adherence = null;
  }
  return { adherence, applications };
}

// The course she saw last: when the care team starts another one, Today says so once.
async function courseChange(state) {
  const seen = await outbox.recall("seenCourse");
  if (!seen) {
    await outbox.remember("seenCourse", state.course.id);
    return null;
  }
  if (seen === state.course.id) return null;
  const ok = h("button", { type: "button", class: "secondary", id: "course-seen", onclick: async () => {
    await outbox.remember("seenCourse", state.course.id);
    card.remove();
  } }, t("courseSeen"));
  const card = h("div", { class: "notice offline", id: "course-changed", role: "status" },
    h("p", { class: "notice-title" }, t("courseChanged")),
    h("p", {}, `${strength(state.course)} · ${state.course.body_site} · ${t("since")} ${formatDate(state.course.start_date)}`),
    h("p", {}, t("readInstructions")), ok);
  return card;
}

export async function today(state, notice = null) {
  const mount = newView();
  state = snapshot(state);
  await loadPatient(state, { fresh: true }); // the care team's phone as it is now
  if (!state.course) return noCourse(state, mount, t("today"));
  const course = state.course;
  const [{ adherence, applications }, waiting, changed, settings] = await Promise.all([
    loadToday(state), outbox.all(), courseChange(state), loadReminders(course.id).catch(() => null)]);
  const day = dayOf(state, new Date());
  const yesterday = addDays(day, -1);
  const mine = applicationsOf(state, day, applications, waiting);
  const applied = mine.filter((a) => a.status === "applied");
  const skipped = mine.filter((a) => a.status === "skipped");
  const expected = course.applications_per_day || 1;
  const remaining = expected - applied.length - skipped.length;
  const paused = course.status === "paused";
  const again = (next) => today(state, next);

  async function log(body, lines) {
    const result = await save("application", { id: uuid(), course: course.id, ...body });
    again(savedNotice(state, result, lines)); // a 409 for the day: "undo that one first" (i18n.js REFUSALS)
  }

  async function undo(record) {
    if (record.pendingSeq) {
      await outbox.discard(record.pendingSeq); // never sent: it goes from the phone
      return again({ kind: "ok", title: t("undoneAt", { time: clockTime(state) }), lines: [t("undoneText")] });
    }
    const result = await save("void", { kind: "application", record: record.id, reason: UNDO_REASON });
    return again(result.kind === "error" ? savedNotice(state, result)
      : { kind: result.kind, title: t("undoneAt", { time: clockTime(state) }), lines: [t("undoneText"), result.kind === "offline" ? t("sendLater") : null] });
  }

  const undoButton = (record) => h("button", { type: "button", class: "secondary undo", "data-record": record.id,
    onclick: (event) => { event.currentTarget.disabled = true; undo(record); } }, t("undoRecord"));

  // What today holds, in words: each application at its time, or the skip with its reason.
  const rows = [
    ...applied.map((a) => h("li", {}, h("span", {}, h("span", { "aria-hidden": "true" }, "\u2713 "),
      t("appliedAt", { time: clockTime(state, a.applied_at) }), a.pendingSeq ? ` (${t("notSentYet")})` : ""), undoButton(a))),
    ...skipped.map((a) => h("li", {}, h("span", {}, t("skippedBecause", { reason: a.skip_reason || t("noReason") }),
      a.pendingSeq ? ` (${t("notSentYet")})` : ""), undoButton(a))),
  ];
  let stateText = t("notYetToday");
  let stateClass = "state warn";
  if (paused) {
    stateText = t("pausedToday");
    stateClass = "state";
  } else if (applied.length >= expected) {
    stateText = expected > 1 ? t("allDoneToday", { n: expected }) : t("doneToday");
    stateClass = "state ok";
  } else if (remaining <= 0 && !applied.length) {
    stateText = t("skippedToday");
    stateClass = "state";
  } else if (mine.length) {
    // Twice a day, one applied: "1 of 2 applied today", and the second is still offered.
    stateText = t("partToday", { done: applied.length, n: expected });
    if (remaining <= 0) stateClass = "state";
  }
  const status = h("div", { class: stateClass, id: "today-state", role: "status" },
    h("p", { class: "state-text" }, stateText), rows.length ? h("ul", { class: "day-records", id: "today-records" }, rows) : null);

  // Each expected application of the day is applied or skipped, once: no offer the server would
  // refuse as a contradiction (once a day, a skip and an application of the same day).
  const canApply = !paused && remaining > 0;
  const canSkip = canApply;
  const applyButton = canApply ? h("button", { class: "big", type: "button", id: "apply", onclick: () => {
    applyButton.disabled = true;
    log({ applied_at: isoWithOffset(), status: "applied" }, [t("appliedTodayLine")]);
  } }, t("appliedIt")) : null;

  const reason = h("select", { id: "skip-reason" }, ...t("skipReasons").map((text) => h("option", { value: text }, text)));
  const skipForm = h("form", { id: "skip-form", hidden: true, onsubmit: (event) => {
    event.preventDefault();
    skipForm.querySelector("button[type=submit]").disabled = true;
    log({ applied_at: isoWithOffset(), status: "skipped", skip_reason: reason.value },
      [t("skippedBecause", { reason: reason.value })]);
  } },
  h("label", { for: "skip-reason" }, t("skipReason")), reason,
  h("div", { class: "row" }, h("button", { type: "submit" }, t("confirmSkip")),
    h("button", { type: "button", class: "secondary", onclick: () => { skipForm.hidden = true; skipButton.hidden = false; skipButton.focus(); } }, t("cancel"))));
  const skipButton = canSkip ? h("button", { type: "button", class: "secondary wide", id: "skip", onclick: () => {
    skipForm.hidden = false;
    skipButton.hidden = true;
    reason.focus();
  } }, t("skipToday")) : null;

  // Yesterday, when nothing was logged for it and it was a day of the course: log it late.
  const adherenceDay = adherence && adherence.days.find((d) => d.date === yesterday);
  const yesterdayExpected = adherenceDay ? adherenceDay.expected > 0 : yesterday >= course.start_date;
  const yesterdayRecords = applicationsOf(state, yesterday, applications, waiting);
  const late = !paused && yesterdayExpected && !yesterdayRecords.length ? h("div", { class: "card", id: "yesterday" },
    h("p", {}, t("nothingYesterday", { day: longDate(yesterday) })),
    h("button", { type: "button", class: "secondary wide", id: "apply-yesterday", onclick: (event) => {
      event.currentTarget.disabled = true;
      log({ applied_at: wallTime(state, yesterday, LATE_HOUR), status: "applied", notes: "" },
        [t("appliedLastNight", { day: formatDate(yesterday), time: clockTime(state, wallTime(state, yesterday, LATE_HOUR)) })]);
    } }, t("appliedLastNightButton"))) : null;

  const details = h("section", { class: "card", id: "course", "aria-labelledby": "course-title" },
    h("h2", { id: "course-title" }, t("yourTreatment")),
    h("dl", { class: "facts" },
      h("dt", {}, t("medication")), h("dd", {}, `${strength(course)}${course.vehicle ? ` (${course.vehicle})` : ""}`),
      h("dt", {}, t("site")), h("dd", {}, course.body_site),
      h("dt", {}, t("howOften")), h("dd", { id: "per-day" }, perDay(expected)),
      h("dt", {}, t("startDate")), h("dd", {}, formatDate(course.start_date))),
    course.instructions ? h("div", {}, h("h3", {}, t("instructions")), h("p", { id: "instructions", class: "instructions" }, course.instructions)) : null);

  // Past her first reminder time (20:00 when she chose none) with the day not logged: said here,
  // whether or not this phone has notifications. Today left open across that time shows it then.
  const todayEntry = adherence && adherence.days.find((d) => d.date === day);
  const expectedToday = todayEntry ? todayEntry.expected > 0
    : day >= course.start_date && (!course.end_date || day <= course.end_date);
  const dueAt = firstTime(settings);
  const overdue = () => !paused && expectedToday && remaining > 0 && wallClock(zone(state)) >= dueAt;
  const due = h("div", { class: "notice offline due", id: "due-banner", role: "status", hidden: !overdue() },
    h("p", { class: "notice-title" }, t("notLoggedYet")),
    h("p", {}, t("notLoggedHint", { time: dueAt })));
  const watch = setInterval(() => {
    if (!document.body.contains(due)) {
      clearInterval(watch);
      return;
    }
    due.hidden = !overdue();
  }, 30000);
  const remindLink = settings && !settings.enabled && !paused
    ? h("a", { href: "#/reminders", class: "button secondary wide", id: "remind-link" }, t("remindLink")) : null;

  show(state, mount, {
    title: t("today"), notice,
    content: [
      changed,
      due,
      h("p", { class: "today-date" }, longDate(day)),
      status,
      applyButton || skipButton ? h("div", { class: "stack" }, applyButton, skipButton, skipButton ? skipForm : null) : null,
      late,
      h("p", {}, `${t("streak")}: `, h("strong", { id: "streak" }, adherence ? String(adherence.current_streak_days) : "–")),
      remindLink,
      details,
    ],
  });
}

// --- How do you feel ----------------------------------------------------------------------------

// 0 to 10 as a row of buttons (wrapping on a narrow phone), "No answer" until she picks one.
function scale(name, label, low, high) {
  let value = null;
  const status = h("p", { class: "scale-value", id: `${name}-value`, "aria-live": "polite" });
  const buttons = [];
  const none = h("button", { type: "button", class: "secondary score-none", id: `${name}-none`,
    onclick: () => set(null) }, t("scoreNoAnswer"));
  function set(next) {
    value = next;
    for (const button of buttons) button.setAttribute("aria-pressed", String(Number(button.value) === value));
    none.setAttribute("aria-pressed", String(value === null));
    status.textContent = value === null ? t("scoreNone") : t("scoreAnswer", { value });
  }
  for (let i = 0; i <= 10; i += 1) {
    buttons.push(h("button", { type: "button", class: "score", id: `${name}-${i}`, value: String(i),
      onclick: () => set(i) }, String(i)));
  }
  set(null);
  const group = h("fieldset", { class: "scale", id: `${name}-scale`, "aria-describedby": `${name}-ends` },
    h("legend", {}, label),
    h("p", { class: "hint", id: `${name}-ends` }, `0 = ${low}. 10 = ${high}.`),
    h("div", { class: "scores" }, buttons),
    h("div", { class: "row" }, none, status));
  return { group, value: () => value };
}

const SIGNS = [["fever", "signFever"], ["pus", "signPus"], ["redness", "signRedness"]];

// The emergency number (the server's setting) as a call button, with the words around it in her
// language; the words alone when the server names no number.
function emergencyCall() {
  const number = emergencyNumber();
  const href = phoneHref(number);
  if (!href) return h("p", { class: "hint" }, t("emergencyHint"));
  return h("div", { class: "emergency", id: "emergency" },
    h("p", { id: "emergency-intro" }, t("emergencyIntro")),
    h("a", { href, class: "button emergency-call", id: "call-emergency", "aria-describedby": "emergency-intro" },
      h("span", { class: "call-icon", "aria-hidden": "true" }, "\u260E"),
      h("span", { class: "call-text" }, h("span", { class: "call-label" }, `${t("callEmergency")} `),
        h("span", { class: "call-number" }, number))));
}

// Fever, pus or spreading redness: not "saved, all fine" but a whole screen that says to call now.
function callNow(state, mount, signs, result) {
  const button = callButton(state, { big: true });
  mount(h("div", { class: "alarm", id: "red-flag", role: "alert" },
    h("h1", {}, t("callNowTitle")),
    // What to do first, then why.
    button || h("p", { class: "call-fallback", id: "no-phone" }, t("callNowNoPhone")),
    emergencyCall(),
    h("p", {}, t("youSaid")),
    h("ul", { id: "red-flag-signs" }, signs.map((key) => h("li", {}, t(key)))),
    h("p", {}, t("callNowText")),
    h("p", { class: "hint", id: "red-flag-saved" }, result.kind === "ok" ? t("savedAtTime", { time: clockTime(state) })
      : result.kind === "offline" ? `${t("savedOfflineAt", { time: clockTime(state) })} ${t("teamNotTold")}` : `${t("notSavedTitle")}: ${result.message}`),
    h("a", { href: "#/today", class: "button secondary", id: "red-flag-done" }, t("backToToday"))));
  const card = document.getElementById("red-flag");
  card.scrollIntoView({ block: "start" });
}

export async function feel(state, notice = null) {
  const mount = newView();
  state = snapshot(state);
  await loadPatient(state);
  if (!state.course) return noCourse(state, mount, t("feel"));
  const pain = scale("pain", t("pain"), t("noPain"), t("worstPain"));
  const itch = scale("itch", t("itch"), t("noItch"), t("worstItch"));
  const form = h("form", { id: "checkin", onsubmit: async (event) => {
    event.preventDefault();
    form.querySelector("button[type=submit]").disabled = true;
    const data = new FormData(form);
    const body = {
      id: uuid(), course: state.course.id, recorded_at: isoWithOffset(),
      pain: pain.value(), itch: itch.value(), drainage: data.get("drainage"),
      fever: data.get("fever") === "yes", redness_spreading: data.get("redness") === "yes",
    };
    const result = await save("symptom", body);
    const signs = SIGNS.filter(([key]) => (key === "fever" && body.fever) || (key === "pus" && body.drainage === "pus")
      || (key === "redness" && body.redness_spreading)).map(([, label]) => label);
    if (signs.length && result.kind !== "error") return callNow(state, newView(), signs, result);
    const said = `${t("pain")}: ${body.pain ?? t("scoreNotAnswered")} · ${t("itch")}: ${body.itch ?? t("scoreNotAnswered")}`;
    return feel(state, result.kind === "error" ? savedNotice(state, result) : savedNotice(state, result, [said]));
  } },
  pain.group,
  itch.group,
  h("fieldset", {}, h("legend", {}, t("drainage")),
    ...[["none", "drainageNone"], ["clear", "drainageClear"], ["cloudy", "drainageCloudy"], ["pus", "drainagePus"]]
      .map(([value, key]) => h("label", { class: "choice" }, h("input", { type: "radio", name: "drainage", value, checked: value === "none" }), t(key)))),
  yesNo("fever", t("fever")),
  yesNo("redness", t("redness")),
  h("button", { type: "submit", class: "big" }, t("saveCheckin")));
  show(state, mount, { title: t("feel"), notice, content: [form] });
}

// --- Photo --------------------------------------------------------------------------------------

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

// When the photo was taken: the camera's EXIF time (with its offset when it has one, else the
// phone's zone), else now. A time ahead of now (a wrong camera clock) is now.
export async function takenAt(file) {
  const found = await readCaptureTime(file);
  if (found) {
    const value = found.offset ? `${found.dateTime}${found.offset}` : isoWithOffset(new Date(found.dateTime));
    const when = new Date(value);
    if (!Number.isNaN(when.getTime()) && when.getTime() <= Date.now() + FUTURE_SLACK_MS) {
      return { value: when.getTime() > Date.now() ? isoWithOffset() : value, fromCamera: true };
    }
  }
  return { value: isoWithOffset(), fromCamera: false };
}

function guidance() {
  return h("section", { class: "card", id: "photo-tips", "aria-labelledby": "tips-title" },
    h("h2", { id: "tips-title" }, t("tipsTitle")),
    h("ul", { class: "tips" }, ["tipLight", "tipFrame", "tipDistance", "tipSame"].map((key) => h("li", {}, t(key)))));
}

function retakeCard(photo) {
  return h("div", { class: "notice offline", id: "retake", role: "status" },
    h("p", { class: "notice-title" }, t("retakeAsked", { date: formatDate(photo.taken_at) })),
    h("p", { class: "retake-reason" }, photo.retake_reason));
}

async function latestRetake(state) {
  try {
    const list = await get(`/api/v1/photos/?course=${state.course.id}&ordering=-taken_at&page_size=5`);
    const newest = list.results.find((p) => !p.entered_in_error);
    return newest && newest.retake_reason ? newest : null;
  } catch {
    return null;
  }
}

export async function photo(state, notice = null) {
  const mount = newView();
  state = snapshot(state);
  await loadPatient(state);
  if (!state.course) return noCourse(state, mount, t("photo"));
  if (notice) {
    // Sent (or kept on the phone): the card, and the way to take another.
    const another = h("button", { type: "button", class: "big", id: "take-another", onclick: () => photo(state) }, t("takeAnother"));
    return show(state, mount, { title: t("photo"), notice: { ...notice, action: another } });
  }
  const retake = await latestRetake(state);
  let blob = null;
  let body = null;
  // A file the phone cannot show (not a picture at all) shows no broken image.
  const preview = h("img", { id: "preview", alt: "", hidden: true, onerror: () => { preview.hidden = true; } });
  const when = h("p", { id: "photo-taken", class: "hint", hidden: true });
  const bar = h("span", {});
  const progress = h("div", { class: "progress", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0", "aria-label": t("uploading"), hidden: true }, bar);
  const status = h("div", { id: "photo-status", role: "status" });
  const note = h("textarea", { id: "photo-note", name: "note", rows: "3", maxlength: "2000" });
  const send = h("button", { type: "button", class: "big", id: "send-photo", disabled: true, onclick: () => sendPhoto() }, t("upload"));
  const takeText = h("span", {}, t("takePhotoButton"));
  const input = h("input", { type: "file", id: "photo-input", accept: "image/*", capture: "environment", onchange: async () => {
    const file = input.files && input.files[0];
    if (!file) return;
    status.textContent = "";
    const taken = await takenAt(file); // from the original bytes, before the re-encoding drops EXIF
    try {
      blob = await shrink(file);
    } catch {
      blob = file; // the server still checks and cleans it
    }
    body = { id: uuid(), course: state.course.id, taken_at: taken.value };
    if (preview.src) URL.revokeObjectURL(preview.src);
    preview.src = URL.createObjectURL(blob);
    preview.alt = t("thisPhoto");
    preview.hidden = false;
    when.textContent = `${t("takenOn")}: ${formatDate(new Date(taken.value))}, ${clockTime(state, taken.value)}`;
    when.hidden = false;
    takeText.textContent = t("takeAgainButton");
    send.disabled = false;
    send.textContent = t("upload");
  } });
  const take = h("label", { class: "button big take", id: "take-photo" }, h("span", { "aria-hidden": "true" }, "\u25C9 "), takeText, input);

  async function sendPhoto() {
    if (!blob) return;
    send.disabled = true;
    progress.hidden = false;
    status.textContent = t("uploading");
    body.note = note.value.trim();
    const form = new FormData();
    for (const [key, value] of Object.entries(body)) form.append(key, value);
    form.append("image", blob, "photo.jpg");
    try {
      if (!navigator.onLine) throw new NetworkError("offline");
      await upload("/api/v1/photos/", form, (fraction) => {
        bar.style.width = `${Math.round(fraction * 100)}%`;
        progress.setAttribute("aria-valuenow", String(Math.round(fraction * 100)));
      });
      photo(state, { kind: "ok", title: t("photoSentAt", { time: clockTime(state) }), lines: [t("nurseWillLook")] });
    } catch (error) {
      if (error instanceof NetworkError || isKept(error)) {
        await outbox.add("photo", body, blob); // kept on the phone, sent when back online
        photo(state, { kind: "offline", title: t("savedOfflineAt", { time: clockTime(state) }), lines: [t("sendLater")] });
      } else {
        status.replaceChildren(h("p", { class: "error" }, t("notSavedTitle")), ...refusals(error).flatMap(refusalView));
        send.disabled = false;
        send.textContent = t("retry");
      }
    } finally {
      progress.hidden = true;
    }
  }

  show(state, mount, { title: t("photo"), content: [
    retake ? retakeCard(retake) : null,
    take,
    guidance(),
    h("div", { class: "stack" }, preview, when,
      h("div", { class: "stack" }, h("label", { for: "photo-note" }, t("photoNote")), note),
      progress, send, status),
  ] });
}

// --- History ------------------------------------------------------------------------------------

let objectUrls = [];

function releaseUrls() {
  for (const url of objectUrls) URL.revokeObjectURL(url);
  objectUrls = [];
}

// A thumbnail from the phone's cache (IndexedDB, wiped at sign-out), fetched once when online.
async function thumbnail(photoRecord, online) {
  const key = `thumb:${photoRecord.id}`;
  let blob = await outbox.recall(key);
  if (!blob && online && photoRecord.thumbnail_url) {
    try {
      const response = await fetch(photoRecord.thumbnail_url, { credentials: "same-origin" });
      if (response.ok) {
        blob = await response.blob();
        await outbox.remember(key, blob);
      }
    } catch {
      blob = null;
    }
  }
  if (!blob) return null;
  const url = URL.createObjectURL(blob);
  objectUrls.push(url);
  return url;
}

const DAY_KINDS = {
  applied: ["\u2713", "dayApplied"],
  partial: ["\u2713", "dayPartial"],
  skipped: ["\u2013", "daySkipped"],
  missed: ["\u00B7", "dayMissed"],
  open: ["\u00B7", "dayOpen"],
  none: ["", "dayNotExpected"],
};

// A course of more than one application a day has days partly done: the legend says so too.
function legend(days) {
  const several = days.some((day) => day.expected > 1);
  const kinds = ["applied", several ? "partial" : null, "skipped", "missed", "none"].filter(Boolean);
  return h("ul", { class: "legend", id: "legend", "aria-label": t("calendarLegend") },
    kinds.map((kind) => h("li", {},
      h("span", { class: `day ${kind}`, "aria-hidden": "true" }, DAY_KINDS[kind][0]),
      kind === "partial" ? t("dayPartialLegend") : t(DAY_KINDS[kind][1]))));
}

function calendar(state, days) {
  const today = dayOf(state, new Date());
  const months = new Map();
  for (const day of days) {
    const key = day.date.slice(0, 7);
    if (!months.has(key)) months.set(key, []);
    months.get(key).push(day);
  }
  const weekdays = [...Array(7)].map((_, i) => new Date(2024, 0, 1 + i).toLocaleDateString(locale(), { weekday: "narrow" }));
  return h("div", { id: "calendar" }, [...months.entries()].map(([key, list]) => {
    const first = new Date(`${list[0].date}T12:00:00`);
    const label = first.toLocaleDateString(locale(), { month: "long", year: "numeric" });
    const cells = weekdays.map((name) => h("div", { class: "day head", "aria-hidden": "true" }, name));
    for (let i = 0; i < (first.getDay() + 6) % 7; i += 1) cells.push(h("div", { class: "day blank", "aria-hidden": "true" }));
    for (const day of list) {
      let kind = "none";
      if (day.expected && day.applied >= day.expected) kind = "applied";
      else if (day.skipped) kind = "skipped";
      else if (day.applied) kind = "partial";
      else if (day.expected) kind = day.date === today ? "open" : "missed";
      const [symbol, word] = DAY_KINDS[kind];
      const text = `${formatDate(day.date)}: ${t(word, { done: day.applied, n: day.expected })}`;
      cells.push(h("div", { class: `day ${kind}${day.date === today ? " today" : ""}`, role: "img", "aria-label": text, title: text, "data-date": day.date },
        h("span", { class: "num" }, String(Number(day.date.slice(8)))), h("span", { class: "sym" }, symbol)));
    }
    return h("section", { class: "month", "aria-labelledby": `month-${key}` },
      h("h3", { id: `month-${key}` }, label[0].toUpperCase() + label.slice(1)), h("div", { class: "calendar" }, cells));
  }));
}

async function loadHistory(state) {
  const course = state.course.id;
  const start = [state.course.start_date, addDays(dayOf(state, new Date()), -34)].sort()[1];
  try {
    const [adherence, photos, applications, symptoms] = await Promise.all([
      get(`/api/v1/courses/${course}/adherence/?start=${start}`),
      get(`/api/v1/photos/?course=${course}&ordering=-taken_at&page_size=60`),
      get(`/api/v1/applications/?course=${course}&page_size=${RECENT}`),
      get(`/api/v1/symptoms/?course=${course}&page_size=${RECENT}`),
    ]);
    const data = {
      course, adherence, photos: photos.results.filter((p) => !p.entered_in_error),
      recent: recentRecords(applications.results, symptoms.results), savedAt: new Date().toISOString(),
    };
    await outbox.remember("history", data);
    return { ...data, online: true };
  } catch (error) {
    const cached = await outbox.recall("history");
    if (cached && cached.course === course) return { ...cached, online: false };
    throw error;
  }
}

const RECENT = 15; // records in History's "who logged what"

// Applications and check-ins, newest first, as History lists them.
function recentRecords(applications, symptoms) {
  return [
    ...applications.filter((a) => !a.entered_in_error).map((a) => ({ kind: "application", at: a.applied_at, record: a })),
    ...symptoms.filter((e) => !e.entered_in_error).map((e) => ({ kind: "symptom", at: e.recorded_at, record: e })),
  ].sort((a, b) => new Date(b.at) - new Date(a.at)).slice(0, RECENT);
}

// Who recorded it (the API's recorded_by): "you", or the name and, but for the patient, the role.
export function loggedBy(me, by) {
  if (!by) return "";
  if (me && by.id === me.id) return t("loggedByYou");
  const role = by.role === "patient" ? "" : ` (${t(`role_${by.role}`)})`;
  return t("loggedBy", { name: `${by.display_name}${role}` });
}

function recentList(state, recent) {
  if (!recent || !recent.length) return h("p", { id: "recent-none" }, t("noRecords"));
  return h("ul", { class: "list recent", id: "recent" }, recent.map(({ kind, at, record }) => {
    const when = `${formatDate(at)}, ${clockTime(state, at)}`;
    let what = t("checkinAt", { when });
    if (kind === "application") {
      what = record.status === "skipped"
        ? t("skippedOn", { when, reason: record.skip_reason || t("noReason") }) : t("appliedOn", { when });
    }
    return h("li", { "data-record": record.id },
      h("span", { class: "recent-what" }, what),
      h("span", { class: "recent-by" }, loggedBy(state.me, record.recorded_by)));
  }));
}

function photoAlt(state, p) {
  return `${t("woundPhoto")}, ${formatDate(p.taken_at)} ${clockTime(state, p.taken_at)}`;
}

export async function history(state) {
  const mount = newView();
  state = snapshot(state);
  await loadPatient(state);
  if (!state.course) return noCourse(state, mount, t("history"));
  const opened = location.hash.replace(/^#\//, "").split("/")[1];
  mount(h("h1", {}, t("history")), h("p", { class: "loading" }, t("loading")));
  let data;
  try {
    data = await loadHistory(state);
  } catch (error) {
    return show(state, mount, { title: t("history"), content: [h("p", { class: "state warn", id: "history-error", role: "alert" }, errorMessage(error))] });
  }
  releaseUrls();
  if (opened) return photoDetail(state, mount, data, opened);
  const items = await Promise.all(data.photos.map(async (p) => {
    const src = await thumbnail(p, data.online);
    return h("li", {}, h("a", { href: `#/history/${p.id}`, class: "photo-link", "data-photo": p.id },
      h("figure", {},
        src ? h("img", { src, alt: photoAlt(state, p), width: "512", height: "384" })
          : h("p", { class: "badge" }, p.status === "ready" ? t("noPreview") : t(`photo_${p.status}`)),
        h("figcaption", {}, formatDate(p.taken_at),
          p.retake_reason ? h("span", { class: "badge medium" }, t("newPhotoAsked")) : null,
          p.latest_review ? h("span", { class: "badge" }, t("measuredBadge")) : null))));
  }));
  show(state, mount, { title: t("history"), content: [
    data.online ? null : offlineNote(data.savedAt),
    h("h2", {}, t("calendar")), legend(data.adherence.days), calendar(state, data.adherence.days),
    h("h2", {}, t("gallery")), items.length ? h("ul", { class: "gallery", id: "gallery" }, items) : h("p", {}, t("noPhotos")),
    data.recent ? h("section", { "aria-labelledby": "recent-title" },
      h("h2", { id: "recent-title" }, t("recentRecords")), recentList(state, data.recent)) : null,
  ] });
}

// One photo, large: when, her note, the nurse's latest measurement, and why a new one was asked.
async function photoDetail(state, mount, data, id) {
  let record = data.photos.find((p) => p.id === id) || null;
  if (data.online) {
    try {
      record = await get(`/api/v1/photos/${id}/`);
    } catch (error) {
      if (!record) return show(state, mount, { title: t("history"), content: [h("p", { class: "state warn", role: "alert" }, errorMessage(error))] });
    }
  }
  const back = h("a", { href: "#/history", class: "button secondary", id: "back-to-history" }, `\u2190 ${t("backToHistory")}`);
  if (!record) return show(state, mount, { title: t("history"), content: [h("p", {}, t("noPhotos")), back] });
  const src = data.online && record.image_url ? record.image_url : await thumbnail(record, data.online);
  const review = record.latest_review;
  const facts = review ? h("dl", { class: "facts", id: "measurement" },
    h("dt", {}, t("measuredOn")), h("dd", {}, formatDate(review.created_at)),
    h("dt", {}, t("woundSize")), h("dd", {}, `${number(review.length_cm, 1)} cm \u00D7 ${number(review.width_cm, 1)} cm`),
    h("dt", {}, t("area")), h("dd", {}, `${number(review.area_cm2)} cm²`),
    h("dt", {}, t("pushScore")), h("dd", {}, `${review.push_score} / 17`)) : null;
  show(state, mount, { title: t("photoOf", { date: formatDate(record.taken_at) }), content: [
    data.online ? null : offlineNote(data.savedAt),
    back,
    src ? h("img", { src, alt: photoAlt(state, record), class: "photo-large", id: "photo-large" }) : h("p", { class: "badge" }, t("noPreview")),
    h("p", {}, `${t("takenOn")}: ${formatDate(record.taken_at)}, ${clockTime(state, record.taken_at)}`),
    record.recorded_by ? h("p", { class: "hint", id: "photo-by" }, loggedBy(state.me, record.recorded_by)) : null,
    record.note ? h("p", { id: "photo-note-text" }, `${t("yourNote")}: ${record.note}`) : null,
    record.retake_reason ? retakeCard(record) : null,
    record.retake_reason ? h("a", { href: "#/photo", class: "button big", id: "retake-now" }, t("takeNewPhoto")) : null,
    h("section", { class: "card", "aria-labelledby": "measure-title" },
      h("h2", { id: "measure-title" }, t("nurseMeasurement")),
      facts || h("p", { id: "not-measured" }, t("notMeasured")),
      review ? h("p", { class: "hint" }, t("pushHint")) : null),
  ] });
}

// --- Reports ------------------------------------------------------------------------------------

export async function reports(state) {
  const mount = newView();
  state = snapshot(state);
  await loadPatient(state);
  mount(h("h1", {}, t("reports")), h("p", { class: "loading" }, t("loading")));
  try {
    const list = await get("/api/v1/reports/?page_size=50");
    const rows = list.results.map((r) => h("li", {},
      h("strong", {}, `${formatDate(r.period_start)} – ${formatDate(r.period_end)}`), " ",
      h("span", { class: "badge" }, t(`status${r.status[0].toUpperCase()}${r.status.slice(1)}`)), " ",
      r.pdf_url ? h("a", { href: r.pdf_url, class: "button secondary", target: "_blank", rel: "noopener" }, t("open")) : null));
    show(state, mount, { title: t("reports"), content: [rows.length ? h("ul", { class: "list" }, rows) : h("p", {}, t("noReports"))] });
  } catch (error) {
    show(state, mount, { title: t("reports"), content: [h("p", { class: "state warn", id: "reports-error", role: "alert" }, errorMessage(error))] });
  }
}
