// Workers and queues: `GET /v1/workers` and `GET /v1/queues`, refreshed every 3 s.

import { get } from "./api.js";
import { alertLine, emptyRow, every, h, seconds, section, table, time } from "./dom.js";

const REFRESH_MS = 3000;
const WORKER_HEADINGS = [
  "Name",
  "Status",
  "Host",
  "PID",
  "Runs in hand",
  "Concurrency",
  "Queues",
  "Version",
  "Started",
  "Last heartbeat",
];
const QUEUE_HEADINGS = ["Queue", "Waiting", "Oldest waiting", "In flight"];

function workerRow(worker) {
  return h(
    "tr",
    {},
    h("td", {}, h("code", {}, worker.name)),
    h("td", {}, h("span", { class: `status status-${worker.status}` }, worker.status)),
    h("td", {}, worker.host),
    h("td", {}, worker.pid),
    h("td", {}, worker.runsInHand),
    h("td", {}, worker.concurrency),
    h("td", {}, (worker.queues ?? []).join(", ")),
    h("td", {}, worker.version ?? "—"),
    h("td", {}, time(worker.startedAt)),
    h("td", {}, time(worker.lastHeartbeatAt)),
  );
}

function queueRow(queue) {
  return h(
    "tr",
    {},
    h("td", {}, h("code", {}, queue.name)),
    h("td", {}, queue.depth),
    h("td", {}, queue.depth > 0 ? seconds(queue.oldestWaitingS) : "—"),
    h("td", {}, queue.inFlight),
  );
}

function listing(label, headings, path, row, empty) {
  const alert = alertLine();
  const element = table(label, headings, []);
  const body = element.tBodies[0];
  async function load() {
    try {
      const { items } = await get(path);
      const rows = items.length ? items.map(row) : [emptyRow(headings.length, empty)];
      body.replaceChildren(...rows);
      alert.show(null);
    } catch (error) {
      alert.show(error);
    }
  }
  return { element: h("div", {}, alert.element, element), load };
}

export function mountWorkers(container) {
  const workers = listing("Workers", WORKER_HEADINGS, "/v1/workers", workerRow, "No workers");
  const queues = listing("Queues", QUEUE_HEADINGS, "/v1/queues", queueRow, "No queues");
  container.append(
    h("h1", {}, "Workers & queues"),
    section("Workers", workers.element),
    section("Queues", queues.element),
  );
  return every(REFRESH_MS, () => Promise.all([workers.load(), queues.load()]));
}
