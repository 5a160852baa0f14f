// Flow figures: `GET /v1/stats` per template (or owner, or action) over a window.

import { get } from "./api.js";
import { alertLine, emptyRow, every, h, percent, seconds, table } from "./dom.js";

const REFRESH_MS = 5000;
const GROUPS = [
  ["template", "Template"],
  ["owner", "Owner"],
  ["action", "Action"],
];
const WINDOWS = [
  ["1h", "Last hour"],
  ["24h", "Last 24 hours"],
  ["7d", "Last 7 days"],
  ["30d", "Last 30 days"],
];
const FIGURES = [
  "Runs",
  "Completed",
  "Failed",
  "Cancelled",
  "In flight",
  "Success rate",
  "Duration p50",
  "Duration p95",
  "Retry rate",
  "Time to recovery",
];

function choice(label, name, options, value, onChange) {
  const id = `flow-${name}`;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    h(
      "select",
      { id, name, onchange: onChange },
      options.map(([optionValue, text]) =>
        h("option", { value: optionValue, selected: optionValue === value }, text),
      ),
    ),
  );
}

function successCell(rate) {
  if (rate === null || rate === undefined) return h("td", {}, "—");
  return h(
    "td",
    {},
    h("meter", { min: 0, max: 1, low: 0.8, high: 0.95, optimum: 1, value: rate }),
    " ",
    percent(rate),
  );
}

function groupRow(group) {
  return h(
    "tr",
    {},
    h("th", { scope: "row" }, group.key ?? h("span", { class: "muted" }, "(none)")),
    h("td", {}, group.runs),
    h("td", {}, group.completed),
    h("td", {}, group.failed),
    h("td", {}, group.cancelled),
    h("td", {}, group.inFlight),
    successCell(group.successRate),
    h("td", {}, seconds(group.durationP50S)),
    h("td", {}, seconds(group.durationP95S)),
    h("td", {}, percent(group.retryRate)),
    h("td", {}, seconds(group.meanTimeToRecoveryS)),
  );
}

export function mountFlow(container) {
  let groupBy = "template";
  let since = "7d";
  const alert = alertLine();
  const caption = h("p", { class: "muted" });
  const key = h("th", { scope: "col" }, "Template");
  const figures = table("Flow figures", FIGURES, []);
  const body = figures.tBodies[0];
  figures.tHead.rows[0].prepend(key);

  async function load() {
    try {
      const stats = await get("/v1/stats", { groupBy, since });
      key.textContent = GROUPS.find(([value]) => value === groupBy)[1];
      const rows = stats.groups.map(groupRow);
      const empty = emptyRow(FIGURES.length + 1, "No runs in this window");
      body.replaceChildren(...(rows.length ? rows : [empty]));
      const truncated = stats.truncated ? " (the newest runs only: the window holds more)" : "";
      caption.textContent = `Runs created from ${stats.since} to ${stats.until}${truncated}`;
      alert.show(null);
    } catch (error) {
      alert.show(error);
    }
  }

  const form = h(
    "form",
    { class: "filters", "aria-label": "Flow options" },
    choice("Group by", "groupBy", GROUPS, groupBy, (event) => {
      groupBy = event.target.value;
      load();
    }),
    choice("Window", "since", WINDOWS, since, (event) => {
      since = event.target.value;
      load();
    }),
  );
  form.addEventListener("submit", (event) => event.preventDefault());
  container.append(h("h1", {}, "Flow"), form, alert.element, caption, figures);
  return every(REFRESH_MS, load);
}
