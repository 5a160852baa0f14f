// Small DOM helpers: elements built from data as text nodes and attributes only (never
// innerHTML; handlers only as functions), and the formats the pages share.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) {
      if (typeof value !== "function") throw new TypeError(`${key} must be a function`);
      element.addEventListener(key.slice(2), value);
    } else {
      element.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

export function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

export function section(title, ...children) {
  const id = `section-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

export function table(label, headings, rows) {
  return h(
    "table",
    { "aria-label": label },
    h("thead", {}, h("tr", {}, headings.map((text) => h("th", { scope: "col" }, text)))),
    h("tbody", {}, rows),
  );
}

export function emptyRow(columns, text) {
  return h("tr", {}, h("td", { colspan: columns, class: "empty" }, text));
}

export function errorLine(error) {
  return `${error.name ?? "Error"}: ${error.message ?? String(error)}`;
}

export function statusBadge(status) {
  return h("span", { class: `status status-${status}`, "data-testid": "status" }, status);
}

/** `2026-11-26 09:45:21Z`, the full time as its tooltip. */
export function time(iso) {
  if (!iso) return h("span", { class: "muted" }, "—");
  const text = iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
  return h("time", { datetime: iso, title: iso }, text);
}

export function seconds(value) {
  if (value === null || value === undefined) return "—";
  if (value < 1) return `${Math.round(value * 1000)} ms`;
  if (value < 120) return `${value.toFixed(1)} s`;
  if (value < 7200) return `${Math.floor(value / 60)} min ${Math.round(value % 60)} s`;
  return `${(value / 3600).toFixed(1)} h`;
}

export function between(startIso, endIso) {
  if (!startIso) return "—";
  const end = endIso ? Date.parse(endIso) : Date.now();
  return seconds((end - Date.parse(startIso)) / 1000);
}

export function percent(rate) {
  return rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)} %`;
}

/**
 * Runs `task` now and again `intervalMs` after each run ends (never two at once), until the
 * returned function is called.
 */
export function every(intervalMs, task) {
  let timer = null;
  let stopped = false;
  const tick = async () => {
    try {
      await task();
    } finally {
      if (!stopped) timer = setTimeout(tick, intervalMs);
    }
  };
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** A `role=alert` line that shows an error, or nothing. */
export function alertLine() {
  const line = h("p", { class: "error", role: "alert" });
  return {
    element: line,
    show(error) {
      line.textContent = error ? errorLine(error) : "";
    },
  };
}
