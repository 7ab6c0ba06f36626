// Her reminder times and the wall clock of her zone: Today's "not logged yet" card reads them, the
// Reminders screen sets them. Times are "HH:MM" in the patient's zone, as the server keeps them.
import { NetworkError, get } from "./api.js";
import { lang } from "./i18n.js";
import * as outbox from "./outbox.js";

export const DEFAULT_TIME = "20:00"; // the course's evening application, when she chose no time
export const MAX_TIMES = 4;

function locale() {
  return lang() === "es" ? "es-ES" : "en-GB";
}

// The course's reminder settings ({enabled, times, timezone}); offline, the ones this phone saw
// last for the course; null when it never saw any.
export async function loadReminders(courseId) {
  try {
    const settings = await get(`/api/v1/courses/${courseId}/reminders/`);
    await remember(courseId, settings);
    return settings;
  } catch (error) {
    if (!(error instanceof NetworkError)) throw error;
    const cached = await outbox.recall("reminders");
    return cached && cached.course === courseId ? cached : null;
  }
}

export function remember(courseId, settings) {
  return outbox.remember("reminders", { ...settings, course: courseId });
}

// When Today starts saying the day is not logged: her first reminder time, or 20:00 when she has
// none turned on.
export function firstTime(settings) {
  const times = settings && settings.enabled ? [...settings.times].sort() : [];
  return times[0] || DEFAULT_TIME;
}

// "HH:MM" now in a zone (24 h); the device's clock for a zone this browser does not know.
export function wallClock(timeZone, date = new Date()) {
  try {
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
      timeZone, hourCycle: "h23", hour: "2-digit", minute: "2-digit",
    }).formatToParts(date).map((part) => [part.type, part.value]));
    return `${parts.hour.padStart(2, "0")}:${parts.minute}`;
  } catch {
    return `${String(date.getHours()).padStart(2, "0")}:${String(date.getMinutes()).padStart(2, "0")}`;
  }
}

// "Mountain Time (Denver)": the zone as people say it, and its city, in the reader's language.
export function zoneName(timeZone) {
  const city = (timeZone || "").split("/").pop().replace(/_/g, " ");
  try {
    const named = new Intl.DateTimeFormat(locale(), { timeZone, timeZoneName: "longGeneric" })
      .formatToParts(new Date()).find((part) => part.type === "timeZoneName");
    return named && named.value !== city ? `${named.value} (${city})` : city;
  } catch {
    return city || timeZone;
  }
}

// "08:00 and 20:00", "08:00 y 20:00".
export function listTimes(times) {
  const sorted = [...times].sort();
  try {
    return new Intl.ListFormat(locale(), { style: "long", type: "conjunction" }).format(sorted);
  } catch {
    return sorted.join(", ");
  }
}
