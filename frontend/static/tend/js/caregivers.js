// The people who help a patient (her caregivers): invited by name with a one-time code shown once,
// listed with their status, removed after a confirmation. The patient's "People who help me"
// screen and the care team's card on her clinical page draw the same panel, each in its words.
import { get, post, request } from "./api.js";
import { formatDate, t } from "./i18n.js";
import { loadPatient, show, snapshot } from "./patient.js";
import { errorMessage, field, h, newView, refusalView, refusals } from "./ui.js";

const STATUS_CLASS = { invited: "medium", active: "ok", revoked: "" };

function statusLine(caregiver) {
  if (caregiver.status === "active") return t("helperSince", { date: formatDate(caregiver.activated_at || caregiver.created_at) });
  if (caregiver.status === "revoked") return t("helperRemovedOn", { date: formatDate(caregiver.revoked_at || caregiver.created_at) });
  return t("helperInvitedOn", { date: formatDate(caregiver.created_at) });
}

function nameOf(caregiver) {
  return caregiver.relationship ? `${caregiver.display_name} (${caregiver.relationship})` : caregiver.display_name;
}

// "ABCD-EFGH-JKLM", each group kept whole when a narrow screen wraps it.
function codeView(code) {
  const groups = code.split("-");
  return h("p", { class: "activation-code", id: "activation-code" },
    groups.map((group, i) => h("span", {}, i < groups.length - 1 ? `${group}-` : group)));
}

function errorBox(box, error) {
  if (error && typeof error.status === "number") box.replaceChildren(...refusals(error).flatMap(refusalView));
  else box.replaceChildren(h("p", {}, errorMessage(error)));
  box.hidden = false;
  box.focus();
}

// The panel: the list, the invitation form and the code once made. `staff`: the care team's words.
// `level`: the panel's headings, under the page's own.
export function caregiverPanel(patientId, { staff = false, patientName = "", level = 2 } = {}) {
  const heading = `h${level}`;
  const list = h("ul", { class: "list caregivers", id: "caregivers" });
  const said = h("p", { class: "state ok", id: "caregiver-said", role: "status", tabindex: "-1", hidden: true });
  const listError = h("div", { class: "error", id: "caregivers-error", role: "alert", tabindex: "-1", hidden: true });
  const codeBox = h("div", { id: "code-box" });

  async function refresh() {
    const data = await get(`/api/v1/patients/${patientId}/caregivers/?page_size=50`);
    draw(data.results || data);
  }

  function draw(items) {
    if (!items.length) {
      list.replaceChildren(h("li", { id: "no-caregivers" }, t("noHelpers")));
      return;
    }
    list.replaceChildren(...items.map((caregiver) => row(caregiver)));
  }

  function row(caregiver) {
    const li = h("li", { class: "caregiver", "data-caregiver": caregiver.id, "data-status": caregiver.status });
    const remove = caregiver.status === "revoked" ? null : h("button", { type: "button", class: "secondary remove-helper",
      "aria-label": `${t("removeHelper")}: ${caregiver.display_name}`, onclick: () => confirm() }, t("removeHelper"));
    const head = [
      h("p", { class: "caregiver-name" }, h("strong", {}, nameOf(caregiver))),
      h("p", { class: "caregiver-status" }, h("span", { class: `badge ${STATUS_CLASS[caregiver.status] || ""}` }, t(`helper_${caregiver.status}`)),
        " ", statusLine(caregiver)),
    ];
    li.replaceChildren(...head, ...(remove ? [remove] : []));

    // Asked in the page, in words that say what removing does; the list keeps her, as removed.
    function confirm() {
      const text = h("p", { id: `confirm-${caregiver.id}` }, t(staff ? "removeConfirmStaff" : "removeConfirm", { name: caregiver.display_name }));
      const yes = h("button", { type: "button", class: "danger confirm-remove", "aria-describedby": text.id, onclick: async () => {
        yes.disabled = true;
        try {
          await request("DELETE", `/api/v1/caregivers/${caregiver.id}/`);
          await refresh();
          said.textContent = t("helperRemoved", { name: caregiver.display_name });
          said.hidden = false;
          said.focus();
        } catch (error) {
          yes.disabled = false;
          errorBox(listError, error);
        }
      } }, t("removeYes", { name: caregiver.display_name }));
      const no = h("button", { type: "button", class: "secondary", onclick: () => {
        box.remove();
        remove.hidden = false;
        remove.focus();
      } }, t("cancel"));
      const box = h("div", { class: "confirm", id: "remove-confirm" }, text, h("div", { class: "row" }, yes, no));
      remove.hidden = true;
      li.append(box);
      yes.focus();
    }
    return li;
  }

  const nameInput = h("input", { name: "display_name", required: true, maxlength: "120", autocomplete: "off" });
  const relationInput = h("input", { name: "relationship", maxlength: "60", autocomplete: "off" });
  const formError = h("div", { class: "error", id: "invite-error", role: "alert", tabindex: "-1", hidden: true });
  const form = h("form", { id: "invite-form", onsubmit: async (event) => {
    event.preventDefault();
    formError.hidden = true;
    said.hidden = true;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const made = await post(`/api/v1/patients/${patientId}/caregivers/`, {
        display_name: nameInput.value.trim(), relationship: relationInput.value.trim() });
      form.reset();
      showCode(made);
      await refresh();
    } catch (error) {
      errorBox(formError, error);
    } finally {
      button.disabled = false;
    }
  } },
  field(t("helperName"), nameInput),
  field(t(staff ? "helperRelationshipStaff" : "helperRelationship"), relationInput, t("helperRelationshipHint")),
  formError,
  h("button", { type: "submit", id: "invite" }, t("inviteButton")));
  relationInput.setAttribute("aria-describedby", `${relationInput.id}-hint`);

  // The code, large, once: what she does with it, and what the person she invited does.
  function showCode(made) {
    const address = location.origin;
    const card = h("section", { class: "code-card", id: "code-card", tabindex: "-1", "aria-labelledby": "code-title" },
      h(heading, { id: "code-title" }, t("codeTitle", { name: made.display_name })),
      h("p", { class: "hint" }, staff ? t("codeGiveStaff", { name: made.display_name, patient: patientName }) : t("codeGive", { name: made.display_name })),
      codeView(made.activation_code),
      h("ol", { class: "steps", id: "code-steps" }, t("codeSteps", { address }).map((line) => h("li", {}, line))),
      h("p", { class: "code-once", id: "code-once" }, t("codeOnce")),
      h("button", { type: "button", class: "secondary", id: "code-done", onclick: () => {
        codeBox.replaceChildren();
        nameInput.focus();
      } }, t("codeDone")));
    codeBox.replaceChildren(card);
    card.scrollIntoView({ block: "start" });
    card.focus({ preventScroll: true });
  }

  const element = h("div", { class: "caregiver-panel" },
    codeBox,
    h(heading, { id: "helpers-list-title" }, t("helpersList")), said, listError, list,
    h("details", { class: "change", id: "invite-details", open: staff ? null : true },
      h("summary", {}, t("inviteTitle")), form));
  return { element, refresh };
}

// --- The patient's screen ---------------------------------------------------------------------------

export async function helpers(state) {
  const mount = newView();
  state = snapshot(state);
  await loadPatient(state);
  mount(h("h1", {}, t("helpers")), h("p", { class: "loading" }, t("loading")));
  const panel = caregiverPanel(state.me.patient_id);
  let problem = null;
  try {
    await panel.refresh();
  } catch (error) {
    problem = h("div", { class: "state warn", id: "helpers-error", role: "alert" });
    errorBox(problem, error);
  }
  show(state, mount, { title: t("helpers"), course: false, content: [
    h("p", { id: "helpers-intro" }, t("helpersIntro")),
    problem || h("section", { id: "helpers-card", "aria-labelledby": "helpers-list-title" }, panel.element),
  ] });
}
