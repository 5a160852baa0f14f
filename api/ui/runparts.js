// The run page's parts, each built from the run resource (`GET /v1/runs/{id}`).

import { traceIdOf } from "./api.js";
import { between, h, statusBadge, time } from "./dom.js";

export const ENDED = new Set(["completed", "failed", "cancelled"]);

/** The trace id, linked through the configured template (`{traceId}`), else as text. */
export function traceLink(traceparent, template) {
  const traceId = traceIdOf(traceparent);
  if (traceId === null) return h("span", { class: "muted" }, "—");
  if (template) {
    const href = template.replaceAll("{traceId}", traceId);
    if (/^https?:\/\//i.test(href)) {
      return h("a", { href, target: "_blank", rel: "noopener noreferrer" }, traceId);
    }
  }
  return h("code", {}, traceId);
}

function entry(term, ...value) {
  return [h("dt", {}, term), h("dd", {}, ...value)];
}

export function summary(run, traceUrlTemplate) {
  const context = run.context ?? {};
  return h(
    "dl",
    { class: "summary" },
    entry("Action", run.actionId),
    entry("Status", statusBadge(run.status)),
    entry("Attempt", `${run.attempt} of ${run.maxAttempts}`),
    entry("Queue", run.queue),
    entry("Owner", context.owner ?? "—"),
    entry("Template", context.templateRef ?? "—"),
    entry("Task", context.taskId ? `${context.taskId} / ${context.stepId ?? "—"}` : "—"),
    entry("User", context.userRef ?? "—"),
    entry("Created", time(run.createdAt)),
    entry("Started", time(run.startedAt)),
    entry("Finished", time(run.finishedAt)),
    entry("Took", run.startedAt ? between(run.createdAt, run.finishedAt) : "—"),
    entry("Trace", traceLink(run.traceparent, traceUrlTemplate)),
  );
}

/** An attempt's bar, placed on `scale` (`{start, end}` in ms: the run's time line). */
function attemptBar(attempt, scale) {
  const span = Math.max(1, scale.end - scale.start);
  const from = Date.parse(attempt.startedAt) - scale.start;
  const to = (attempt.finishedAt ? Date.parse(attempt.finishedAt) : scale.end) - scale.start;
  const bar = h("span", { class: `bar status-${attempt.status}` });
  bar.style.marginLeft = `${(100 * from) / span}%`; // CSSOM: allowed by `style-src 'self'`
  bar.style.width = `${Math.max(0.5, (100 * (to - from)) / span)}%`;
  return h("div", { class: "track", "aria-hidden": "true" }, bar);
}

function attemptItem(attempt, scale) {
  const { error } = attempt;
  return h(
    "li",
    {},
    h(
      "div",
      { class: "attempt" },
      h("strong", {}, `Attempt ${attempt.number}`),
      " ",
      statusBadge(attempt.status),
      " on ",
      h("code", {}, attempt.worker ?? "—"),
      " · ",
      time(attempt.startedAt),
      " · ",
      between(attempt.startedAt, attempt.finishedAt),
    ),
    attemptBar(attempt, scale),
    error ? h("p", { class: "error" }, `${error.name}: ${error.message}`) : null,
  );
}

/** Each attempt as a bar on the run's time line (from its creation to its end, or now). */
export function attemptsTimeline(run) {
  const attempts = run.attempts ?? [];
  if (attempts.length === 0) return h("p", { class: "muted" }, "No attempt has started yet.");
  const scale = {
    start: Date.parse(run.createdAt),
    end: run.finishedAt ? Date.parse(run.finishedAt) : Date.now(),
  };
  const items = attempts.map((attempt) => attemptItem(attempt, scale));
  return h("ol", { class: "timeline", "aria-label": "Attempts" }, items);
}

/** The output of a completed run, the error of a failed or cancelled one. */
export function outcome(run) {
  if (run.error) {
    return h(
      "div",
      { class: "run-error", "data-testid": "run-error" },
      h("strong", {}, run.error.name),
      ": ",
      run.error.message,
    );
  }
  if (run.status === "completed") {
    return h("pre", { "data-testid": "run-output" }, JSON.stringify(run.output ?? {}, null, 2));
  }
  const text = ENDED.has(run.status) ? `Ended ${run.status}: no output.` : "Not ended yet.";
  return h("p", { class: "muted" }, text);
}
