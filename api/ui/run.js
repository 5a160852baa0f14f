// One run: its summary and attempts (refreshed every 2 s), its live log (runlog.js), its
// output or error, and Cancel and Retry.

import { freshKey, get, post, runPath } from "./api.js";
import { alertLine, every, h, section } from "./dom.js";
import { runLog } from "./runlog.js";
import { ENDED, attemptsTimeline, outcome, summary } from "./runparts.js";

const REFRESH_MS = 2000;
const RETRYABLE = new Set(["failed", "cancelled"]);

function cancelled(run) {
  return run.status === "cancelled"
    ? "Cancelled."
    : "Asked to stop: it ends with its next heartbeat.";
}

/** The parts of the page that show the run, and `render(run)` to fill them. */
function runView(config) {
  const summaryHolder = h("div");
  const timelineHolder = h("div");
  const outcomeHolder = h("div");
  const outcomeSection = section("Outcome", outcomeHolder);
  return {
    sections: [
      section("Summary", summaryHolder),
      section("Attempts", timelineHolder),
      outcomeSection,
    ],
    render(run) {
      summaryHolder.replaceChildren(summary(run, config.traceUrlTemplate));
      timelineHolder.replaceChildren(attemptsTimeline(run));
      outcomeHolder.replaceChildren(outcome(run));
      outcomeSection.querySelector("h2").textContent = run.error ? "Error" : "Output";
    },
  };
}

export function mountRun(container, runId, config) {
  const alert = alertLine();
  const notice = h("p", { class: "notice", role: "status" });
  const cancelButton = h("button", { type: "button", disabled: true }, "Cancel");
  const retryButton = h("button", { type: "button", disabled: true }, "Retry");
  const view = runView(config);
  const log = runLog(runId, { onEnd: () => refresh(), onError: alert.show });
  const [summarySection, attemptsSection, outcomeSection] = view.sections;
  container.append(
    h("p", {}, h("a", { href: "#/runs" }, "← Runs")),
    h("h1", {}, "Run ", h("code", {}, runId)),
    h("div", { class: "buttons" }, cancelButton, retryButton),
    notice,
    alert.element,
    summarySection,
    attemptsSection,
    section("Log", log.element),
    outcomeSection,
  );
  let shown = ""; // the run as last rendered: re-rendered only when it changed
  let noticeStatus = null; // the run's status when the notice was shown
  let stopped = false;

  function show(run) {
    if (stopped) return;
    const text = JSON.stringify(run);
    if (text !== shown) {
      shown = text;
      if (run.status !== noticeStatus) notice.textContent = "";
      view.render(run);
      cancelButton.disabled = ENDED.has(run.status) || Boolean(run.cancelRequestedAt);
      retryButton.disabled = !RETRYABLE.has(run.status);
    }
    log.sync(run);
  }

  async function refresh() {
    try {
      show(await get(runPath(runId)));
    } catch (error) {
      alert.show(error);
    }
  }

  async function act(button, verb, options, done) {
    button.disabled = true;
    try {
      const run = await post(`${runPath(runId)}/${verb}`, options);
      alert.show(null);
      notice.textContent = done(run);
      noticeStatus = run.status;
      show(run);
    } catch (error) {
      alert.show(error);
      shown = ""; // the buttons as the run is now
      await refresh();
    }
  }

  cancelButton.addEventListener("click", () => act(cancelButton, "cancel", {}, cancelled));
  // A fresh key per click: a request resent is one retry, another click another one
  retryButton.addEventListener("click", () => {
    const headers = { "Idempotency-Key": freshKey() };
    act(retryButton, "retry", { headers }, () => "Retrying: a new attempt is on its queue.");
  });

  const stopRefresh = every(REFRESH_MS, refresh);
  return () => {
    stopped = true;
    stopRefresh();
    log.stop();
  };
}
