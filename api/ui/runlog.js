// A run's log, live: its events from the event stream (sse.js), each a line, followed again
// after the last event seen whenever the run is open or processing once more (a retry).

import { runPath } from "./api.js";
import { h } from "./dom.js";
import { ENDED } from "./runparts.js";
import { followEvents } from "./sse.js";

const NEAR_BOTTOM_PX = 40;

/** One event as a line: its time, its type unless a log line, its message. */
function logLine(event) {
  const body = event.body ?? {};
  const level = event.type === "log" ? (body.level ?? "info") : event.type;
  return h(
    "li",
    { class: `log-${level}`, "data-event-id": event.id },
    h("span", { class: "log-time" }, (event.createdAt ?? "").slice(11, 23)),
    " ",
    event.type === "log" ? null : h("span", { class: "log-type" }, `[${event.type}] `),
    body.message ?? JSON.stringify(body),
  );
}

/** `{element, sync(run), stop()}`: `sync` follows the events unless already following, or
 * the run has ended and its events were all read; `onEnd()` after a stream's end,
 * `onError(error)` when the API refuses it. */
export function runLog(runId, { onEnd, onError }) {
  const element = h("ol", { class: "log", role: "log", "aria-label": "Log" });
  let follower = null;
  let readToEnd = false;
  let lastEventId = 0;

  function onEvent(event) {
    lastEventId = Math.max(lastEventId, event.id);
    const atBottom =
      element.scrollHeight - element.scrollTop - element.clientHeight < NEAR_BOTTOM_PX;
    element.append(logLine(event));
    if (atBottom) element.scrollTop = element.scrollHeight;
  }

  function finished(then) {
    return (value) => {
      follower = null;
      readToEnd = true;
      then(value);
    };
  }

  function sync(run) {
    if (follower !== null || (readToEnd && ENDED.has(run.status))) return;
    follower = followEvents(`${runPath(runId)}/events`, {
      after: lastEventId,
      onEvent,
      onEnd: finished(onEnd),
      onError: finished(onError),
    });
  }

  return { element, sync, stop: () => follower?.stop() };
}
