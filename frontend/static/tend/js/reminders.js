// The Reminders screen, for the patient and her caregiver: the course's reminder times (her wall
// clock, shown with her zone), whether this phone is reminded, a test message. The notification
// permission is asked only when she taps "Remind me"; an iPhone's Safari is first told to add the
// app to the Home Screen, a browser without Web Push is told what still works.
import { ApiError, request } from "./api.js";
import { t } from "./i18n.js";
import * as notify from "./notify.js";
import { loadPatient, noCourse, show, snapshot, zone } from "./patient.js";
import { DEFAULT_TIME, MAX_TIMES, listTimes, loadReminders, remember, wallClock, zoneName } from "./schedule.js";
import { errorMessage, h, newView } from "./ui.js";

const SPARE = ["08:00", "12:00", "16:00", "22:00"]; // offered for each time she adds

// A notice for a failure: what the server refused (in her words), the network, or what the
// browser said when it would not subscribe (its own words under Details).
function failure(title, error) {
  if (error instanceof ApiError) return { kind: "error", title, refusal: error };
  if (error instanceof notify.SubscribeError) {
    return { kind: "error", title, lines: [t("subscribeFailedText")],
      action: h("details", { class: "server-details", id: "browser-said" }, h("summary", {}, t("details")),
        h("p", { class: "server-words", lang: "en" }, error.message)) };
  }
  return { kind: "error", title, lines: [errorMessage(error)] };
}

function deviceHelp(support, helper) {
  const steps = (keys) => h("ol", { class: "steps" }, keys.map((line) => h("li", {}, line)));
  if (support === "ios-install") {
    return h("section", { class: "card device-help", id: "ios-install", "aria-labelledby": "ios-title" },
      h("h2", { id: "ios-title" }, t("iosTitle")), h("p", {}, t("iosText")), steps(t("iosSteps")));
  }
  if (support === "unsupported") {
    return h("section", { class: "card device-help", id: "no-push", "aria-labelledby": "no-push-title" },
      h("h2", { id: "no-push-title" }, t("unsupportedTitle")), h("p", {}, t("unsupportedText")),
      h("p", {}, helper ? t("bannerStillWorksHelper") : t("bannerStillWorks")));
  }
  if (support === "denied") {
    return h("section", { class: "card device-help", id: "denied", "aria-labelledby": "denied-title" },
      h("h2", { id: "denied-title" }, t("deniedTitle")), steps(t("deniedSteps", { action: t("remindMe") })),
      h("p", { class: "hint" }, t("deniedIphone")), h("p", {}, helper ? t("bannerStillWorksHelper") : t("bannerStillWorks")));
  }
  return null;
}

// `draft`: the times she had typed, kept when what she tapped did not go through.
export async function reminders(state, notice = null, draft = null) {
  const mount = newView();
  state = snapshot(state);
  await loadPatient(state);
  if (!state.course) return noCourse(state, mount, t("reminders"));
  const course = state.course;
  mount(h("h1", {}, t("reminders")), h("p", { class: "loading" }, t("loading")));
  let settings = null;
  let loadError = null;
  try {
    settings = await loadReminders(course.id);
  } catch (error) {
    loadError = error;
  }
  if (!settings) {
    return show(state, mount, { title: t("reminders"), content: [
      h("p", { class: "state warn", id: "reminders-error", role: "alert" }, loadError ? errorMessage(loadError) : t("networkError"))] });
  }
  const support = notify.support();
  const device = await notify.device().catch(() => null);
  const helper = state.me.role === "caregiver";
  const name = (state.patient && state.patient.display_name) || "";
  const timeZone = settings.timezone || zone(state);
  const on = settings.enabled && settings.times.length > 0;
  const again = (next, kept = null) => reminders(state, next, kept);

  // The times, one row each: a time field (her wall clock), and Remove when there are two or more.
  const rows = h("ol", { class: "times", id: "times" });
  const add = h("button", { type: "button", class: "secondary", id: "add-time", onclick: () => {
    const taken = new Set(values());
    addRow(SPARE.find((time) => !taken.has(time)) || "");
    renumber();
    rows.lastElementChild.querySelector("input").focus();
  } }, t("addTime"));
  let made = 0;
  function addRow(value) {
    made += 1;
    const input = h("input", { type: "time", step: "60", required: true, value, id: `time-${made}`, name: "time",
      class: "time-input", "aria-describedby": "zone-line" });
    const label = h("label", { for: input.id, class: "time-label" });
    const remove = h("button", { type: "button", class: "secondary remove-time", onclick: () => {
      li.remove();
      renumber();
      add.focus();
    } }, t("removeTime"));
    const li = h("li", { class: "time-row" }, label, h("div", { class: "time-controls" }, input, remove));
    rows.append(li);
  }
  function renumber() {
    const items = [...rows.children];
    items.forEach((li, i) => {
      const words = t("reminderTimeN", { n: i + 1 });
      li.querySelector("label").textContent = words;
      const remove = li.querySelector(".remove-time");
      remove.setAttribute("aria-label", `${t("removeTime")}: ${words}`);
      remove.hidden = items.length < 2;
    });
    add.hidden = items.length >= MAX_TIMES;
  }
  function values() {
    return [...rows.querySelectorAll("input")].map((input) => input.value);
  }
  for (const value of draft || (settings.times.length ? settings.times : [DEFAULT_TIME])) addRow(value);
  renumber();
  const problem = h("p", { class: "error", id: "times-error", role: "alert" });

  // The times as typed, or null (and why, beside them) when one is empty or given twice.
  function readTimes() {
    const times = values();
    problem.textContent = "";
    if (times.some((time) => !time)) problem.textContent = t("timeEmpty");
    else if (new Set(times).size !== times.length) problem.textContent = t("refusedTimesTwice");
    if (!problem.textContent) return times;
    rows.querySelector("input").focus();
    return null;
  }

  async function put(enabled, times) {
    const saved = await request("PUT", `/api/v1/courses/${course.id}/reminders/`, { json: { enabled, times } });
    await remember(course.id, saved);
    return saved;
  }

  const onText = (saved) => t(helper ? "remindersOnTextHelper" : "remindersOnText", { times: listTimes(saved.times), zone: zoneName(timeZone) });

  // Tapped: the permission (asked now, not before), this phone's subscription, then the times.
  async function remindMe(button) {
    const times = readTimes();
    if (!times) return;
    button.disabled = true;
    let result;
    try {
      result = await notify.enable();
    } catch (error) {
      return again(failure(t("subscribeFailedTitle"), error), times);
    }
    if (result.permission === "denied") return again({ kind: "error", title: t("notAllowedTitle"), lines: [t("deniedNow")] }, times);
    if (result.permission !== "granted") return again({ kind: "offline", title: t("dismissedTitle"), lines: [t("dismissedText")] }, times);
    try {
      const saved = await put(true, times);
      return again({ kind: "ok", title: t("remindersOnTitle"), lines: [onText(saved)] });
    } catch (error) {
      return again(failure(t("notSavedTitle"), error), times);
    }
  }

  async function save(button, enabled, times, done) {
    if (!times) return;
    button.disabled = true;
    try {
      const saved = await put(enabled, times);
      return again(done(saved));
    } catch (error) {
      return again(failure(t("notSavedTitle"), error), times);
    }
  }

  const status = h("div", { class: `state${on ? " ok" : ""}`, id: "reminder-status" },
    h("p", { class: "state-text" }, on ? t("statusOn", { times: listTimes(settings.times) }) : t("statusOff")),
    on && ["default", "granted"].includes(support) ? h("p", { id: "device-status" }, device ? t("statusHere") : t("statusNotHere")) : null);

  const help = deviceHelp(support, helper);
  const canPush = ["default", "granted"].includes(support);
  const actions = [];
  if (canPush && !(on && device)) {
    if (support === "default") actions.push(h("p", { class: "hint", id: "permission-hint" }, t("permissionAsk")));
    actions.push(h("button", { type: "button", class: "big", id: "remind-me", onclick: (event) => remindMe(event.currentTarget) }, t("remindMe")));
  } else {
    // Reminded here already, or this phone cannot be: the times are still hers to save (Today's
    // card reads them, and the phones of the people who help her are reminded).
    actions.push(h("button", { type: "button", class: on && device ? "wide" : "big", id: "save-times",
      onclick: (event) => save(event.currentTarget, true, readTimes(), (saved) => ({
        kind: "ok", title: t("timesSavedTitle"), lines: [t("statusOn", { times: listTimes(saved.times) })] })) }, t("saveTimes")));
  }
  if (on && device) {
    actions.push(h("button", { type: "button", class: "secondary wide", id: "send-test", onclick: async (event) => {
      event.currentTarget.disabled = true;
      try {
        await notify.sendTest();
        again({ kind: "ok", title: t("testSentTitle"), lines: [t("testSentText")] });
      } catch (error) {
        again(failure(t("testFailedTitle"), error));
      }
    } }, t("sendTest")));
  }
  if (on) {
    actions.push(h("button", { type: "button", class: "secondary wide", id: "turn-off",
      onclick: (event) => save(event.currentTarget, false, settings.times, () => ({
        kind: "ok", title: t("remindersOffTitle"), lines: [helper ? t("remindersOffTextHelper", { name }) : t("remindersOffText")] })) },
    t("turnOff")));
  }
  if (on && device) {
    actions.push(h("button", { type: "button", class: "secondary wide", id: "stop-here", onclick: async (event) => {
      event.currentTarget.disabled = true;
      try {
        await notify.disable();
        again({ kind: "ok", title: t("stoppedHereTitle"), lines: [t("stoppedHereText")] });
      } catch (error) {
        again(failure(t("notSavedTitle"), error));
      }
    } }, t("stopHere")));
  }

  show(state, mount, { title: t("reminders"), notice, content: [
    h("p", { id: "reminders-intro" }, helper ? t("remindersIntroHelper", { name }) : t("remindersIntro")),
    status,
    help,
    h("section", { class: "card", id: "reminder-times", "aria-labelledby": "times-title" },
      h("h2", { id: "times-title" }, t("reminderTimes")),
      h("p", { class: "hint", id: "zone-line" }, t(helper ? "zoneLineHelper" : "zoneLine", { zone: zoneName(timeZone), time: wallClock(timeZone), name })),
      rows, add, problem),
    h("div", { class: "stack", id: "reminder-actions" }, actions),
  ] });
}
