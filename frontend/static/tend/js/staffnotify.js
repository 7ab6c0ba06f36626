// "Notify me of new alerts on this device": a switch on the nurse's and the physician's screens.
// The permission is asked only when she turns it on; the device is subscribed through the same
// endpoints as a patient's phone, and the server sends it each new alert of her patients, with
// nothing about the patient in it.
import { t } from "./i18n.js";
import * as notify from "./notify.js";
import { errorMessage, h, refusalView, refusals } from "./ui.js";

function words(error) {
  if (error && typeof error.status === "number") return refusals(error).flatMap(refusalView);
  if (error instanceof notify.SubscribeError) return [h("p", {}, t("subscribeFailedTitle")), h("p", { class: "server-words", lang: "en" }, error.message)];
  return [h("p", {}, errorMessage(error))];
}

export function alertSwitch() {
  const input = h("input", { type: "checkbox", role: "switch", id: "alert-switch", "aria-describedby": "alert-switch-said" });
  const label = h("label", { class: "choice switch", for: "alert-switch" }, input, h("span", {}, t("alertSwitch")));
  const said = h("div", { class: "switch-said", id: "alert-switch-said", role: "status" });
  const card = h("div", { class: "card notify-card", id: "notify-card" }, label, said);

  const say = (...nodes) => said.replaceChildren(...nodes);
  const denied = () => say(h("p", { class: "error" }, t("deniedTitle")),
    h("ol", { class: "steps" }, t("deniedSteps", { action: t("alertSwitchShort") }).map((line) => h("li", {}, line))));

  async function start() {
    const support = notify.support();
    if (support === "ios-install") {
      input.disabled = true;
      return say(h("p", {}, t("iosText")), h("ol", { class: "steps" }, t("iosSteps").map((line) => h("li", {}, line))));
    }
    if (support === "unsupported") {
      input.disabled = true;
      return say(h("p", {}, t("unsupportedStaff")));
    }
    if (support === "denied") return denied();
    const device = await notify.device().catch(() => null);
    input.checked = Boolean(device);
    return say(h("p", {}, device ? t("alertSwitchOn") : t("alertSwitchOff")));
  }

  input.addEventListener("change", async () => {
    const wanted = input.checked;
    input.disabled = true;
    try {
      if (wanted) {
        const result = await notify.enable(); // asked now, when she turned it on
        if (result.permission === "denied") {
          input.checked = false;
          denied();
        } else if (result.permission !== "granted") {
          input.checked = false;
          say(h("p", {}, t("dismissedStaff")));
        } else {
          say(h("p", {}, t("alertSwitchOn")));
        }
      } else {
        await notify.disable();
        say(h("p", {}, t("alertSwitchOff")));
      }
    } catch (error) {
      input.checked = !wanted;
      say(...words(error));
    } finally {
      input.disabled = false;
    }
  });
  start();
  return card;
}
