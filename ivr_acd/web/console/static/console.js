// What every console page shares: the API with the session cookie and the CSRF token, the
// live stream with reconnection, the server's clock, small DOM and formatting helpers.
// Plain ES modules; no build step.

const API = "/api/v1";
const CSRF_KEY = "ivracd.csrf";

export class ApiError extends Error {
  constructor(status, code, reason) {
    super(reason || code);
    this.status = status;
    this.code = code;
  }
}

export function setCsrf(token) {
  if (token) sessionStorage.setItem(CSRF_KEY, token);
  else sessionStorage.removeItem(CSRF_KEY);
}

export function toLogin() {
  const next = location.pathname + location.search;
  location.assign("/console/login?next=" + encodeURIComponent(next));
}

// fetch /api/v1 + path; unsafe methods carry X-CSRF-Token; 401 sends the page to the log-in.
export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRF-Token"] = sessionStorage.getItem(CSRF_KEY) || "";
  const response = await fetch(API + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
    cache: "no-store",
  });
  let data = null;
  if (response.status !== 204) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (response.status === 401 && !path.startsWith("/auth/login")) toLogin();
  if (!response.ok) {
    throw new ApiError(response.status, data?.error || `http-${response.status}`, data?.reason);
  }
  return data;
}

// Who is signed in (and the CSRF token, kept for this tab).
export async function whoAmI() {
  const me = await api("GET", "/auth/me");
  if (me.csrf_token) setCsrf(me.csrf_token);
  return me;
}

export async function logOut() {
  try {
    await api("POST", "/auth/logout");
  } finally {
    setCsrf("");
    location.assign("/console/login");
  }
}

// The server's clock: epoch seconds as the server sees them now.
let offset = 0;
export function syncClock(isoAt) {
  const at = Date.parse(isoAt);
  if (!Number.isNaN(at)) offset = at / 1000 - Date.now() / 1000;
}
export function serverNow() {
  return Date.now() / 1000 + offset;
}

// The live stream: onEvent(event) for each message; onStatus("live" | "reconnecting").
// Reconnects with back-off; a refused upgrade (no session) goes to the log-in page.
export function openStream(query, onEvent, onStatus) {
  let delay = 1000;
  let failures = 0;
  const connect = () => {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}${API}/stream${query || ""}`);
    ws.onopen = () => {
      delay = 1000;
      failures = 0;
      onStatus("live");
    };
    ws.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (event.at) syncClock(event.at);
      onEvent(event);
    };
    ws.onclose = async () => {
      onStatus("reconnecting");
      failures += 1;
      if (failures >= 2) {
        try {
          await whoAmI(); // 401 sends us to the log-in page
        } catch {
          /* the controller may be restarting: try again */
        }
      }
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    };
  };
  connect();
}

// el("td", {class: "x", dataset: {call: id}, onclick: f}, child, "text", ...)
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined));
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "–";
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

export function percent(share) {
  return share === null || share === undefined ? "–" : `${Math.round(share * 100)}%`;
}

// A duration that counts up from an epoch `since`, redrawn by tickClocks() every second.
export function ticking(since, attrs) {
  const node = el("span", { ...(attrs || {}), class: `ticking ${attrs?.class || ""}`.trim() });
  if (since) node.dataset.since = String(since);
  node.textContent = since ? duration(serverNow() - since) : "–";
  return node;
}

export function tickClocks() {
  const now = serverNow();
  for (const node of document.querySelectorAll("[data-since]")) {
    node.textContent = duration(now - Number(node.dataset.since));
  }
}

export function stateBadge(state, reason) {
  const label = reason ? `${state} · ${reason}` : state;
  return el("span", { class: `badge state-${state}` }, label);
}

// The page header: who is signed in, the stream's status, the log-out button.
export function header(me) {
  document.getElementById("who").textContent =
    `${me.name || "API token"}${me.extension ? ` (${me.extension})` : ""} · ${me.role}`;
  document.getElementById("logout").addEventListener("click", logOut);
}

export function streamStatus(status) {
  const node = document.getElementById("stream-status");
  node.textContent = status === "live" ? "live" : "reconnecting…";
  node.className = `pill ${status === "live" ? "ok" : "warn"}`;
}

export function flash(message, kind = "error") {
  const node = document.getElementById("flash");
  node.textContent = message;
  node.className = `flash ${kind}`;
  node.hidden = !message;
  clearTimeout(flash.timer);
  if (message) flash.timer = setTimeout(() => (node.hidden = true), 8000);
}
