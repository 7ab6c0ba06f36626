// Tend's PWA: sign-in (and a first sign-in with a code), the role's screens, the outbox, the
// language switch, sign-out.
import { ApiError, NetworkError, ensureCsrf, get, request } from "./api.js";
import { helpers } from "./caregivers.js";
import { hasChosen, lang, setLang, t } from "./i18n.js";
import * as notify from "./notify.js";
import * as outbox from "./outbox.js";
import * as patientScreens from "./patient.js";
import { reminders } from "./reminders.js";
import * as staffScreens from "./staff.js";
import { banner, errorMessage, field, h, mount, newView, refusalView, refusals } from "./ui.js";

const state = { me: null, course: null };

const ROUTES = {
  patient: [
    ["today", "today", patientScreens.today],
    ["feel", "feel", patientScreens.feel],
    ["photo", "photo", patientScreens.photo],
    ["history", "history", patientScreens.history],
    ["reports", "reports", patientScreens.reports],
    ["reminders", "reminders", reminders],
    ["helpers", "helpers", helpers],
  ],
  nurse: [
    ["queue", "queue", staffScreens.queue],
    ["patients", "patients", staffScreens.patients],
    ["alerts", "alerts", staffScreens.alerts],
  ],
  physician: [
    ["patients", "patients", staffScreens.patients],
    ["queue", "queue", staffScreens.queue],
    ["alerts", "alerts", staffScreens.alerts],
  ],
};
// Her caregiver: her screens, but for the list of the people who help her.
ROUTES.caregiver = ROUTES.patient.filter(([name]) => name !== "helpers");

function routes() {
  return (state.me && ROUTES[state.me.role]) || [];
}

function renderChrome() {
  document.querySelector(".skip").textContent = t("skip");
  const langButton = document.getElementById("lang");
  // The button's name is its visible text (WCAG 2.5.3), in the language it switches to.
  langButton.textContent = t("switchTo");
  langButton.setAttribute("lang", lang() === "en" ? "es" : "en");
  langButton.removeAttribute("aria-label");
  const logout = document.getElementById("logout");
  logout.textContent = t("signOut");
  logout.hidden = !state.me;
  const nav = document.getElementById("nav");
  const current = (location.hash.replace(/^#\//, "") || "").split("/")[0];
  nav.replaceChildren(...routes().map(([path, key]) => h("a", {
    href: `#/${path}`, "aria-current": current === path ? "page" : null,
  }, t(key))));
}

async function route() {
  newView();
  renderChrome();
  banner(null);
  const [name, arg] = location.hash.replace(/^#\//, "").split("/");
  if (!state.me) return name === "activate" ? activateScreen() : loginScreen();
  if (name === "patient" && arg && state.me.role !== "patient") return staffScreens.patient(state, arg);
  const found = routes().find(([path]) => path === name) || routes()[0];
  if (!found) {
    return mount(h("h1", {}, "Tend"), h("p", {}, "This account has no screens in the app. Use /admin/."));
  }
  return found[2](state);
}

function loginScreen() {
  const username = h("input", { name: "username", autocomplete: "username", required: true, autocapitalize: "none" });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const error = h("p", { class: "error", id: "login-error", role: "alert" });
  const form = h("form", { id: "login", onsubmit: async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      await ensureCsrf();
      const answer = await request("POST", "/api/v1/auth/session/", { json: { username: username.value, password: password.value } });
      await start(answer.user);
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 401) error.textContent = t("signInFailed");
      else if (failure instanceof ApiError && failure.status === 429) error.textContent = t("tooMany", { s: failure.body.detail?.match(/\d+/)?.[0] || "60" });
      else error.textContent = errorMessage(failure);
    }
  } }, field(t("username"), username), field(t("password"), password), error,
  h("button", { type: "submit", class: "big" }, t("signIn")));
  mount(h("h1", {}, t("signIn")), form,
    h("p", { class: "have-code" }, h("a", { href: "#/activate", class: "button secondary wide", id: "have-code" }, t("haveCode"))));
}

// A first sign-in with the one-time code she was given (a patient from her care team, a caregiver
// from the patient): she chooses her username and password, and is signed in.
function activateScreen() {
  const code = h("input", { name: "activation_code", autocomplete: "one-time-code", required: true,
    autocapitalize: "characters", spellcheck: "false", maxlength: "32" });
  const username = h("input", { name: "username", autocomplete: "username", required: true, autocapitalize: "none", maxlength: "150" });
  const password = h("input", { name: "password", type: "password", autocomplete: "new-password", required: true });
  const error = h("div", { class: "error", id: "activate-error", role: "alert" });
  const form = h("form", { id: "activate", onsubmit: async (event) => {
    event.preventDefault();
    error.replaceChildren();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    const credentials = { username: username.value.trim(), password: password.value };
    try {
      await ensureCsrf();
      await request("POST", "/api/v1/auth/activate/", { json: { activation_code: code.value.trim().toUpperCase(), ...credentials } });
      const answer = await request("POST", "/api/v1/auth/session/", { json: credentials });
      history.replaceState(null, "", location.pathname); // her first screen, not this one
      await start(answer.user);
    } catch (failure) {
      button.disabled = false;
      if (failure instanceof ApiError && failure.status === 429) error.replaceChildren(h("p", {}, t("tooMany", { s: failure.body.detail?.match(/\d+/)?.[0] || "60" })));
      else if (failure instanceof ApiError) error.replaceChildren(...refusals(failure).flatMap(refusalView));
      else error.replaceChildren(h("p", {}, errorMessage(failure)));
    }
  } }, field(t("activationCode"), code), field(t("newUsername"), username), field(t("newPassword"), password), error,
  h("button", { type: "submit", class: "big" }, t("activateButton")));
  mount(h("h1", {}, t("activateTitle")), h("p", {}, t("activateIntro")), form,
    h("p", {}, h("a", { href: "#/", class: "button secondary wide", id: "back-to-sign-in" }, t("backToSignIn"))));
}

async function loadPatientCourse() {
  try {
    // The course in force: the active one, else a paused one (Today says it is paused, never
    // "no course" while the care team has only paused it).
    const base = `/api/v1/courses/?patient=${state.me.patient_id}`;
    const active = await get(`${base}&status=active`);
    state.course = active.results[0] || (await get(`${base}&status=paused`)).results[0] || null;
    await outbox.remember("course", state.course);
  } catch (error) {
    if (!(error instanceof NetworkError)) throw error;
    state.course = await outbox.recall("course"); // offline: the course we knew
  }
}

async function start(user) {
  state.me = user;
  outbox.setOwner(user.id);
  await outbox.remember("me", user);
  const patientSide = user.role === "patient" || user.role === "caregiver";
  if (!hasChosen() && patientSide && user.language) setLang(user.language, { remember: false });
  if (patientSide) await loadPatientCourse();
  if (!location.hash) location.hash = `#/${routes()[0] ? routes()[0][0] : ""}`;
  await route();
  outbox.flush();
}

async function updatePending(items) {
  const waiting = (items || await outbox.all());
  const element = document.getElementById("pending");
  const failed = waiting.filter((item) => item.error);
  element.hidden = waiting.length === 0;
  element.textContent = t("waiting", { n: waiting.length });
  if (failed.length) {
    const item = failed[0];
    const why = refusals({ status: item.errorStatus, errors: item.errorFields, message: item.error });
    banner([h("p", {}, `${t("failedToSend")}:`), ...why.flatMap(refusalView)]);
  }
}

async function signOut() {
  const waiting = await outbox.all({ anyone: true });
  if (waiting.length && !window.confirm(t("confirmLogout", { n: waiting.length }))) return;
  await notify.forget(); // this phone no longer tells anyone's reminders or alerts
  try {
    await request("DELETE", "/api/v1/auth/session/");
  } catch {
    // Offline: the session ends on the server at its own time; the device is cleared now.
  }
  await outbox.wipe();
  if (navigator.serviceWorker && navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage("clear-data");
  state.me = null;
  state.course = null;
  state.patient = null;
  location.hash = "";
  await route();
}

async function boot() {
  document.documentElement.lang = lang();
  document.getElementById("lang").addEventListener("click", () => {
    setLang(lang() === "en" ? "es" : "en");
    route();
  });
  document.getElementById("logout").addEventListener("click", signOut);
  window.addEventListener("hashchange", route);
  outbox.onChange(updatePending);
  // The page itself re-sends what waits: on start, when the network returns, when shown again.
  window.addEventListener("online", () => outbox.flush());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") outbox.flush();
  });
  setInterval(() => { if (navigator.onLine) outbox.flush(); }, 30000);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
    // A notification tapped while the app is open: the worker names the screen to show, here,
    // without reloading the page (and losing what she was typing).
    navigator.serviceWorker.addEventListener("message", (event) => {
      const data = event.data || {};
      if (data.type === "open" && typeof data.hash === "string" && /^#\/[\w/-]*$/.test(data.hash)) location.hash = data.hash;
    });
    navigator.serviceWorker.startMessages();
  }

  // Who is signed in: the session endpoint answers 200 whether or not anyone is (no 401 in the
  // console after a session ended); offline, whoever signed in earlier on this phone.
  try {
    const { user } = await get("/api/v1/auth/session/");
    if (user) {
      await start(user);
    } else {
      // Her session ended (expired, or on the server), or nobody signed in here: the sign-in form.
      await outbox.remember("me", null).catch(() => {});
      state.me = null;
      await route();
    }
  } catch (error) {
    const me = error instanceof NetworkError ? await outbox.recall("me").catch(() => null) : null;
    if (me) return start(me);
    state.me = null;
    await route();
  }
  await updatePending();
}

boot();
