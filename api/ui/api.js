// The API, as the signed-in credential calls it. The page is served at <root>/ui/, so the
// API's root is one level up: relative, so the page also works behind a path prefix.

const TOKEN_KEY = "actionpool.token";

export const apiRoot = new URL("../", document.baseURI);

export class ApiError extends Error {
  constructor(status, name, message) {
    super(message);
    this.status = status;
    this.name = name;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

const unauthorizedListeners = new Set();

/** `listener(error)` runs whenever the API answers 401: the credential is no good. */
export function onUnauthorized(listener) {
  unauthorizedListeners.add(listener);
}

/** An API URL: `path` from the API's root (a run's links start with `/`), `query`'s empty
 * values left out and its arrays repeated. */
export function apiUrl(path, query = {}) {
  const url = new URL(path.replace(/^\//, ""), apiRoot);
  for (const [name, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== null && item !== undefined && item !== "") url.searchParams.append(name, item);
    }
  }
  return url;
}

export function authorization() {
  return { Authorization: `Bearer ${token() ?? ""}` };
}

/** The error of an answer that is not 2xx, from its `{"error": {"name", "message"}}`. */
export async function errorOf(response) {
  let name = `HTTP ${response.status}`;
  let message = response.statusText || "the API refused the request";
  try {
    const body = await response.json();
    if (body && body.error) {
      name = body.error.name ?? name;
      message = body.error.message ?? message;
    }
  } catch {
    // not JSON: keep the status
  }
  const error = new ApiError(response.status, name, message);
  if (response.status === 401) for (const listener of unauthorizedListeners) listener(error);
  return error;
}

/** `method path` with the credential; `body` sent as JSON. Answers the JSON body of a 2xx,
 * else throws its `ApiError`. */
export async function call(method, path, { query, body, headers = {}, signal } = {}) {
  const sent = { ...authorization(), Accept: "application/json", ...headers };
  if (body !== undefined) sent["Content-Type"] = "application/json";
  const response = await fetch(apiUrl(path, query), {
    method,
    headers: sent,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
    signal,
  });
  if (!response.ok) throw await errorOf(response);
  return response.json();
}

export const get = (path, query, options = {}) => call("GET", path, { ...options, query });
export const post = (path, options = {}) => call("POST", path, options);

/** A fresh idempotency key (`ui-` and 32 hex digits): `crypto.getRandomValues`, which also
 * works where `crypto.randomUUID` does not (a page served over plain http but localhost). */
export function freshKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `ui-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

export function runPath(id) {
  return `/v1/runs/${encodeURIComponent(id)}`;
}

/** The trace id of a W3C `traceparent` (`00-<trace id>-<span id>-<flags>`), or null. */
export function traceIdOf(traceparent) {
  const id = (traceparent ?? "").split("-")[1] ?? "";
  return /^[0-9a-f]{32}$/.test(id) ? id : null;
}
