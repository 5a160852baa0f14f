// The page: sign-in, then hash routes: #/runs, #/runs/<id>, #/workers, #/flow.

import { ApiError, clearToken, get, onUnauthorized, setToken, token } from "./api.js";
import { errorLine } from "./dom.js";
import { mountFlow } from "./flow.js";
import { mountRun } from "./run.js";
import { mountRuns } from "./runs.js";
import { mountWorkers } from "./workers.js";

const page = document.getElementById("page");
const nav = document.getElementById("nav");
const signIn = document.getElementById("sign-in");
const signInForm = document.getElementById("sign-in-form");
const signInError = document.getElementById("sign-in-error");
const signOutButton = document.getElementById("sign-out");

let config = { traceUrlTemplate: "" };
let unmount = () => {};

function route() {
  const [path, query] = (location.hash.replace(/^#/, "") || "/runs").split("?");
  const parts = path.split("/").filter(Boolean);
  if (parts[0] === "runs" && parts[1]) {
    return { name: "runs", mount: (el) => mountRun(el, decodeURIComponent(parts[1]), config) };
  }
  if (parts[0] === "workers") return { name: "workers", mount: mountWorkers };
  if (parts[0] === "flow") return { name: "flow", mount: mountFlow };
  return { name: "runs", mount: (el) => mountRuns(el, new URLSearchParams(query ?? "")) };
}

function show() {
  unmount();
  page.replaceChildren();
  if (!token()) return showSignIn("");
  signIn.hidden = true;
  nav.hidden = false;
  signOutButton.hidden = false;
  const { name, mount } = route();
  for (const link of nav.querySelectorAll("a")) {
    if (link.dataset.page === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  unmount = mount(page) ?? (() => {});
}

function showSignIn(message) {
  unmount();
  unmount = () => {};
  page.replaceChildren();
  nav.hidden = true;
  signOutButton.hidden = true;
  signIn.hidden = false;
  signInError.textContent = message;
  signInForm.elements.token.focus();
}

signInForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const value = signInForm.elements.token.value.trim();
  setToken(value);
  try {
    await get("/v1/actions"); // any valid credential may list the actions
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) {
      clearToken();
      signInError.textContent = errorLine(error);
    }
    return; // a 401 is shown by onUnauthorized
  }
  signInForm.reset();
  show();
});

signOutButton.addEventListener("click", () => {
  clearToken();
  showSignIn("Signed out.");
});

onUnauthorized((error) => {
  clearToken();
  showSignIn(errorLine(error));
});

window.addEventListener("hashchange", () => {
  if (token()) show();
});

async function start() {
  try {
    const response = await fetch("config.json", { cache: "no-store" });
    if (response.ok) config = await response.json();
  } catch {
    // no config: trace ids show as text
  }
  show();
}

start();
