// A run's live events: `GET /v1/runs/{id}/events` with `Accept: text/event-stream`, read
// from fetch()'s body stream (EventSource cannot send the Authorization header). A stream
// that drops before the run's terminal event is resumed with `Last-Event-ID`.

import { ApiError, apiUrl, authorization, errorOf } from "./api.js";

const TERMINAL = new Set(["completion", "cancelled"]);
const RECONNECT_MS = 1000;

/** One frame's `id`, `event` and `data` fields (null for a comment-only frame). */
export function parseFrame(text) {
  let id = null;
  let type = "message";
  const data = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "id") id = value;
    else if (field === "event") type = value;
    else if (field === "data") data.push(value);
  }
  if (data.length === 0) return null;
  return { id: id === null ? null : Number(id), type, event: JSON.parse(data.join("\n")) };
}

/** Reads one stream at `path` after `lastId`: `onFrame(frame)` for each event; answers
 * `{ended, events}`: whether it closed on a terminal event, and how many events it read. */
async function readStream(path, lastId, signal, onFrame) {
  const headers = { ...authorization(), Accept: "text/event-stream" };
  if (lastId > 0) headers["Last-Event-ID"] = String(lastId);
  const response = await fetch(apiUrl(path), { headers, cache: "no-store", signal });
  if (!response.ok) throw await errorOf(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let events = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return { ended: false, events };
    buffer += value;
    const frames = buffer.split(/\r\n\r\n|\n\n|\r\r/);
    buffer = frames.pop();
    for (const frame of frames.map(parseFrame).filter((parsed) => parsed !== null)) {
      events += 1;
      onFrame(frame);
      if (TERMINAL.has(frame.type)) {
        await reader.cancel();
        return { ended: true, events };
      }
    }
  }
}

const pause = (ms) => new Promise((done) => setTimeout(done, ms));

/**
 * Follows the events at `path` after `after`: `onEvent(event)` for each, then `onEnd()` once
 * the stream has nothing more to say (it closed on a terminal event, or closed without any
 * event), or `onError(error)` when the API refuses (a 4xx). A stream that drops after some
 * events, a network failure or a 5xx is resumed with `Last-Event-ID` after a pause.
 * Returns `{stop()}`.
 */
export function followEvents(path, { after = 0, onEvent, onEnd, onError }) {
  const controller = new AbortController();
  let lastId = after;
  const onFrame = (frame) => {
    if (frame.id !== null) lastId = frame.id;
    onEvent(frame.event);
  };

  async function run() {
    for (;;) {
      try {
        const { ended, events } = await readStream(path, lastId, controller.signal, onFrame);
        if (ended) return onEnd();
        if (events === 0) {
          await pause(RECONNECT_MS); // nothing more for now: the caller decides to ask again
          return controller.signal.aborted ? undefined : onEnd();
        }
      } catch (error) {
        if (controller.signal.aborted) return undefined;
        if (error instanceof ApiError && error.status < 500) return onError(error);
      }
      await pause(RECONNECT_MS);
      if (controller.signal.aborted) return undefined;
    }
  }

  run();
  return { stop: () => controller.abort() };
}
