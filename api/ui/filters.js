// The runs table's filters: a form whose values are kept in the page's URL (so a filtered
// view can be shared), and the `GET /v1/runs` query they stand for.

import { h } from "./dom.js";

export const STATUSES = ["open", "processing", "completed", "failed", "cancelled"];
const SINCE = [
  ["", "Any time"],
  ["1h", "Last hour"],
  ["24h", "Last 24 hours"],
  ["7d", "Last 7 days"],
  ["30d", "Last 30 days"],
];
const SINCE_MS = { h: 3600e3, d: 86400e3 };

/** The ISO time `since` (`1h`, `7d`) before now, or "" (no bound). */
export function createdAfter(since) {
  const match = /^(\d+)([hd])$/.exec(since ?? "");
  if (!match) return "";
  return new Date(Date.now() - Number(match[1]) * SINCE_MS[match[2]]).toISOString();
}

/** The API's query for `filters` (URLSearchParams) and a page's `cursor`. */
export function runsQuery(filters, cursor, limit) {
  return {
    status: filters.getAll("status"),
    actionId: filters.get("actionId"),
    owner: filters.get("owner"),
    templateRef: filters.get("templateRef"),
    createdAfter: createdAfter(filters.get("since")),
    cursor,
    limit,
  };
}

function statusField(filters, onChange) {
  const chosen = new Set(filters.getAll("status"));
  const box = (status) =>
    h("input", {
      type: "checkbox",
      name: "status",
      value: status,
      checked: chosen.has(status),
      onchange: onChange,
    });
  return h(
    "fieldset",
    { class: "statuses" },
    h("legend", {}, "Status"),
    STATUSES.map((status) => h("label", {}, box(status), ` ${status}`)),
  );
}

function field(label, control) {
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control);
}

function textField(label, name, filters, onChange) {
  const value = filters.get(name) ?? "";
  const id = `filter-${name}`;
  const input = h("input", { id, name, type: "search", value, onchange: onChange });
  return field(label, input);
}

function selectField(label, name, options, filters, onChange) {
  const value = filters.get(name) ?? "";
  const option = ([optionValue, text]) =>
    h("option", { value: optionValue, selected: optionValue === value }, text);
  const id = `filter-${name}`;
  const select = h("select", { id, name, onchange: onChange }, options.map(option));
  return field(label, select);
}

/** The form, set to `filters`; `onChange()` on every change (and on Apply). */
export function filterForm(filters, actionIds, onChange) {
  const actions = [["", "Any action"], ...actionIds.map((id) => [id, id])];
  const form = h(
    "form",
    { class: "filters", "aria-label": "Filters" },
    statusField(filters, onChange),
    selectField("Action", "actionId", actions, filters, onChange),
    textField("Owner", "owner", filters, onChange),
    textField("Template", "templateRef", filters, onChange),
    selectField("Since", "since", SINCE, filters, onChange),
    h("button", { type: "submit" }, "Apply"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onChange();
  });
  return form;
}

/** The form's filters: its non-empty values. */
export function filtersOf(form) {
  const filters = new URLSearchParams();
  for (const [name, value] of new FormData(form)) if (value !== "") filters.append(name, value);
  return filters;
}
