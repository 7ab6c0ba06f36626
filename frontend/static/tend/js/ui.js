// Small DOM helpers: elements are built with textContent, never innerHTML, so nothing a user
// typed can become markup.
import { lang, refusalText, t } from "./i18n.js";

export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") element.className = value;
    else if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else if (value === true) element.setAttribute(key, "");
    else element.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// Each screen draws through its own view: a slow screen the user has already left never draws
// over the one she went to.
let generation = 0;
export function newView() {
  generation += 1;
  const mine = generation;
  return (...children) => {
    if (mine === generation) mount(...children);
  };
}

export function mount(...children) {
  const main = document.getElementById("main");
  main.replaceChildren(...children);
  const heading = main.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: false });
  }
}

let bannerTimer = null;
export function banner(message, kind = "error") {
  const element = document.getElementById("banner");
  clearTimeout(bannerTimer);
  if (!message) {
    element.hidden = true;
    return;
  }
  if (typeof message === "string") element.textContent = message;
  else element.replaceChildren(...[].concat(message));
  element.className = kind === "error" ? "banner" : "banner info";
  element.setAttribute("role", kind === "error" ? "alert" : "status");
  element.hidden = false;
  if (kind !== "error") bannerTimer = setTimeout(() => { element.hidden = true; }, 6000);
}

// What the server refused, one entry per field it named (or one for the request as a whole):
// the reader's words for it when this app has them (i18n.js REFUSALS), and the server's sentence.
// `error` is an ApiError, or what the outbox kept of one ({status, errors, message}).
export function refusals(error) {
  const found = Object.entries((error && error.errors) || {}).map(([name, messages]) => {
    const server = [].concat(messages).filter((text) => typeof text === "string").join(" ");
    return { field: name, server, text: refusalText(error.status, name, server) };
  });
  if (!found.length) {
    const server = (error && error.message) || "";
    found.push({ field: null, server, text: refusalText(error && error.status, null, server) });
  }
  return found;
}

// One refusal as the reader sees it. In English the server's sentence is shown only when the app
// has no words of its own; in Spanish it is kept under "Detalles", marked as English.
export function refusalView(item) {
  const english = lang() === "en";
  const server = item.server ? h("p", { class: "server-words", lang: "en" }, item.server) : null;
  if (english) return [item.text ? h("p", { class: "refusal" }, item.text) : server].filter(Boolean);
  return [h("p", { class: "refusal" }, item.text || t("refusedNoWords")),
    server ? h("details", { class: "server-details" }, h("summary", {}, t("details")), server) : null].filter(Boolean);
}

// A refusal as one line of text (a confirm dialog, a status line): the reader's words, else the
// server's sentence.
export function errorMessage(error) {
  if (error && error.name === "NetworkError") return t("networkError");
  if (error && typeof error.status === "number") {
    return refusals(error).map((item) => item.text || item.server).filter(Boolean).join(" ") || t("somethingWrong");
  }
  return t("somethingWrong");
}

// An error in the banner: "No connection", or what the server refused, said as refusalView says it.
export function showError(error) {
  if (!error || error.name === "NetworkError" || typeof error.status !== "number") {
    return banner(error && error.name === "NetworkError" ? t("networkError") : t("somethingWrong"));
  }
  return banner(refusals(error).flatMap(refusalView));
}

// The number the "call your care team now" card offers when the team cannot be reached: the
// server's setting (TEND_EMERGENCY_NUMBER), written into the page by frontend/views.py.
export function emergencyNumber() {
  return (document.body && document.body.dataset.emergencyNumber || "").trim();
}

export function field(label, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2)}`;
  input.id = id;
  return h("div", { class: "stack" }, h("label", { for: id }, label), hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null, input);
}

export function yesNo(name, legend) {
  return h("fieldset", {},
    h("legend", {}, legend),
    h("label", { class: "choice" }, h("input", { type: "radio", name, value: "no", checked: true }), t("no")),
    h("label", { class: "choice" }, h("input", { type: "radio", name, value: "yes" }), t("yes")));
}

export function localDateTimeValue(date = new Date()) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function isoWithOffset(date = new Date()) {
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}${sign}${pad(offset / 60)}:${pad(offset % 60)}`;
}

// Today's date (YYYY-MM-DD) in an IANA time zone: a patient's days are her own zone's days, not
// the UTC day (toISOString) nor the day of whoever holds the device. A zone this browser does not
// know falls back to the device's day.
export function todayIn(timeZone, date = new Date()) {
  try {
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", {
      timeZone, year: "numeric", month: "2-digit", day: "2-digit",
    }).formatToParts(date).map((part) => [part.type, part.value]));
    return `${parts.year}-${parts.month}-${parts.day}`;
  } catch {
    return localDateTimeValue(date).slice(0, 10);
  }
}
