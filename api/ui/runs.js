// Runs: `GET /v1/runs` with the filters of filters.js, newest first, refreshed every 2 s for
// live status; pages through `nextCursor`.

import { get } from "./api.js";
import { alertLine, between, emptyRow, every, h, statusBadge, table, time } from "./dom.js";
import { filterForm, filtersOf, runsQuery } from "./filters.js";

const REFRESH_MS = 2000;
const PAGE_SIZE = 50;
const NO_RUNS = "No runs match these filters";
const HEADINGS = ["Run", "Action", "Status", "Attempt", "Owner", "Template", "Created", "Took"];

function runRow(run) {
  const context = run.context ?? {};
  return h(
    "tr",
    { "data-run-id": run.id },
    h("td", {}, h("a", { href: `#/runs/${run.id}`, title: run.id }, run.id.slice(0, 8))),
    h("td", {}, run.actionId),
    h("td", {}, statusBadge(run.status)),
    h("td", {}, `${run.attempt} of ${run.maxAttempts}`),
    h("td", {}, context.owner ?? "—"),
    h("td", {}, context.templateRef ?? "—"),
    h("td", {}, time(run.createdAt)),
    h("td", {}, run.startedAt ? between(run.startedAt, run.finishedAt) : "—"),
  );
}

/** Older and Newer: the cursor of each page seen so far, the last one the page shown. */
function pager(load) {
  const older = h("button", { type: "button", disabled: true }, "Older");
  const newer = h("button", { type: "button", disabled: true }, "Newer");
  const cursors = [null];
  let next = null;
  older.addEventListener("click", () => {
    if (next) cursors.push(next);
    load();
  });
  newer.addEventListener("click", () => {
    if (cursors.length > 1) cursors.pop();
    load();
  });
  return {
    buttons: [newer, older],
    cursor: () => cursors.at(-1),
    first: () => cursors.splice(1),
    answered(nextCursor) {
      next = nextCursor;
      older.disabled = !next;
      newer.disabled = cursors.length < 2;
    },
  };
}

export function mountRuns(container, filters) {
  const alert = alertLine();
  const updated = h("p", { class: "muted", "data-testid": "updated" });
  const runsTable = table("Runs", HEADINGS, []);
  const body = runsTable.tBodies[0];
  const formHolder = h("div");
  const pages = pager(() => load());
  container.append(
    h("h1", {}, "Runs"),
    formHolder,
    alert.element,
    runsTable,
    h("div", { class: "pager" }, pages.buttons, updated),
  );
  let asked = 0; // the latest request: an answer to an older one (other filters) is dropped

  async function load() {
    const request = ++asked;
    try {
      const page = await get("/v1/runs", runsQuery(filters, pages.cursor(), PAGE_SIZE));
      if (request !== asked) return;
      const rows = page.items.map(runRow);
      body.replaceChildren(...(rows.length ? rows : [emptyRow(HEADINGS.length, NO_RUNS)]));
      pages.answered(page.nextCursor);
      updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
      alert.show(null);
    } catch (error) {
      if (request === asked) alert.show(error);
    }
  }

  function onChange() {
    filters = filtersOf(formHolder.querySelector("form"));
    history.replaceState(null, "", `#/runs${filters.size ? `?${filters}` : ""}`);
    pages.first();
    load();
  }

  get("/v1/actions")
    .then((actions) => actions.map((action) => action.id))
    .catch(() => [])
    .then((ids) => formHolder.replaceChildren(filterForm(filters, ids, onChange)));
  return every(REFRESH_MS, load);
}
