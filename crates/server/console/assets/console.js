// Kabuto console: the small script behind the server-rendered pages. Pages read without it;
// it sends forms to the REST API as JSON (with the session's CSRF token), shows the API's
// errors next to the field they name, and opens dialogs. Nothing here builds HTML from text:
// every value goes through textContent, so hostile names stay text.
"use strict";

const csrfToken = () => {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
};

// A form field's value, typed by its data-type.
function typed(input) {
  const kind = input.dataset.type || "text";
  if (input.type === "checkbox") return input.checked;
  const text = input.value.trim();
  if (text === "") return undefined;
  switch (kind) {
    case "int": return Number.parseInt(text, 10);
    case "float": return Number.parseFloat(text);
    case "list": return text.split(/[\n,]/).map((s) => s.trim()).filter((s) => s !== "");
    default: return input.value;
  }
}

// Fields with data-key, over a base document (so fields the form does not show are kept).
function keyedBody(form, base) {
  const body = base ? JSON.parse(base.value || "{}") : {};
  for (const input of form.querySelectorAll("[data-key]")) {
    const value = typed(input);
    if (value === undefined) delete body[input.dataset.key];
    else body[input.dataset.key] = value;
  }
  return body;
}

// The acknowledge dialog: shared fields, and one issue per checked row (or the dialog's own).
function ackBody(form) {
  const shared = keyedBody(form);
  const comment = shared.comment || "";
  delete shared.comment;
  const picked = [...document.querySelectorAll("input[data-issue]:checked")].map((c) => JSON.parse(c.dataset.issue));
  const own = form.querySelector("input[name=issue]");
  // Opened from a row's own button: that row; from "Acknowledge checked": the checked rows.
  const issues = own && own.value ? [JSON.parse(own.value)] : picked;
  return { comment, issues: issues.map((issue) => Object.assign({}, issue, shared)) };
}

const builders = {
  keyed: (form) => keyedBody(form),
  policy: (form) => keyedBody(form, form.querySelector("textarea[name=base]")),
  json: (form) => JSON.parse(form.querySelector("textarea[name=document]").value),
  ack: ackBody,
  unack: (form) => ({ issues: [JSON.parse(form.querySelector("input[name=issue]").value)] }),
  none: () => undefined,
};

function fill(template, form) {
  return template.replace(/\{(\w+)\}/g, (_, name) => {
    const input = form.querySelector(`[name="${name}"]`);
    return encodeURIComponent(input ? input.value : "");
  });
}

function showError(form, status, body) {
  const box = form.querySelector(".form-error");
  const error = body && body.error ? body.error : { message: `the server answered ${status}` };
  for (const old of form.querySelectorAll("[aria-invalid]")) old.removeAttribute("aria-invalid");
  if (error.field) {
    const root = error.field.split(/[.[]/)[0];
    const input = form.querySelector(`[data-key="${root}"]`) || form.querySelector(`[name="${root}"]`);
    if (input) { input.setAttribute("aria-invalid", "true"); input.focus(); }
  }
  if (box) box.textContent = error.field ? `${error.field}: ${error.message}` : error.message;
}

async function submit(event) {
  const form = event.target;
  event.preventDefault();
  const button = event.submitter || form.querySelector("button[type=submit]");
  const api = (button && button.dataset.api) || form.dataset.api;
  const method = (button && button.dataset.method) || form.dataset.method || "POST";
  const done = (button && button.dataset.done) || form.dataset.done || "reload";
  const box = form.querySelector(".form-error");
  if (box) box.textContent = "";
  let body;
  try {
    body = builders[(button && button.dataset.body) || form.dataset.body || "keyed"](form);
  } catch (e) {
    showError(form, 400, { error: { message: `not valid JSON: ${e.message}` } });
    return;
  }
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
  if (button) button.disabled = true;
  form.setAttribute("aria-busy", "true");
  try {
    const response = await fetch(fill(api, form), {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const answer = text ? JSON.parse(text) : null;
    if (!response.ok) { showError(form, response.status, answer); return; }
    finish(form, done, answer);
  } catch (e) {
    showError(form, 0, { error: { message: `the server could not be reached: ${e.message}` } });
  } finally {
    if (button) button.disabled = false;
    form.removeAttribute("aria-busy");
  }
}

function finish(form, done, answer) {
  if (done === "reload") { window.location.reload(); return; }
  if (done.startsWith("go:")) { window.location.assign(fill(done.slice(3), form)); return; }
  if (done === "next") {
    const next = new URLSearchParams(window.location.search).get("next");
    window.location.assign(next && next.startsWith("/") && !next.startsWith("//") ? next : "/");
    return;
  }
  if (done === "token") {
    const out = document.getElementById("created-token");
    out.hidden = false;
    out.querySelector(".token-once").textContent = answer.token;
    return;
  }
  if (done === "preview") showPreview(answer);
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
}

function showPreview(preview) {
  const out = document.getElementById("preview");
  out.hidden = false;
  out.querySelector(".summary").textContent =
    `${preview.would_fail.length} of ${preview.evaluated} scanned images would fail this policy` +
    (preview.skipped > 0 ? ` (${preview.skipped} more not judged: the preview stops at its limit)` : "");
  const body = out.querySelector("tbody");
  body.replaceChildren();
  for (const image of preview.would_fail) {
    const row = body.insertRow();
    cell(row, `${image.registry}/${image.name}`, "mono");
    cell(row, image.failed_controls.map((c) => c.message || c.control).join("; "));
    cell(row, image.disallowed_now ? "already non-compliant" : "compliant today");
  }
}

function openDialog(button) {
  const dialog = document.getElementById(button.dataset.open);
  if (!dialog) return;
  const issue = dialog.querySelector("input[name=issue]");
  if (issue) issue.value = button.dataset.issue || "";
  const title = dialog.querySelector("[data-title]");
  if (title) title.textContent = button.dataset.label || "";
  dialog.showModal();
}

function importFile(input) {
  const file = input.files && input.files[0];
  if (!file) return;
  file.text().then((text) => {
    document.querySelector("textarea[name=document]").value = text;
  });
}

document.addEventListener("submit", (event) => {
  if (event.target.matches("form[data-api]")) submit(event);
});
document.addEventListener("click", (event) => {
  const target = event.target.closest("[data-open],[data-close],[data-check-all]");
  if (!target) return;
  if (target.dataset.open) openDialog(target);
  else if (target.dataset.close !== undefined) target.closest("dialog").close();
});
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target.matches("[data-check-all]")) {
    for (const box of document.querySelectorAll("input[data-issue]")) box.checked = target.checked;
  }
  if (target.matches("input[type=file][data-import]")) importFile(target);
  if (target.matches("select[data-autosubmit]")) target.form.requestSubmit();
});
