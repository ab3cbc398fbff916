// What every console page shares: the page's language (its message catalog, embedded by the
// server in #catalog, and the browser's Intl for plurals, dates, numbers and money in the
// centre's time zone), the API with the session cookie and the CSRF token, the live stream with
// reconnection, the server's clock, small DOM helpers. Plain ES modules; no build step.

const API = "/api/v1";
const CSRF_KEY = "ivracd.csrf";
const LANG_COOKIE = "ivracd_lang";

// ---- the language -------------------------------------------------------------------------

const CATALOG = JSON.parse(document.getElementById("catalog")?.textContent || "null") || {
  locale: document.documentElement.lang || "zh-CN",
  messages: {},
  plural: {},
};
export const LOCALE = CATALOG.locale;
const TIME_ZONE = document.documentElement.dataset.timeZone || undefined;
const PLURALS = new Intl.PluralRules(LOCALE);

function fill(text, params) {
  return text.replace(/\{(\w+)\}/g, (whole, name) =>
    params && Object.hasOwn(params, name) ? String(params[name]) : whole,
  );
}

function message(key) {
  const found = CATALOG.messages[key];
  if (found === undefined) console.warn(`no message ${key} in the ${LOCALE} catalog`);
  return found === undefined ? key : found;
}

// Does the catalog have this key?
export function has(key) {
  return Object.hasOwn(CATALOG.messages, key);
}

// The message `key` with its {placeholders} filled from `params`.
export function t(key, params) {
  const found = message(key);
  return fill(Array.isArray(found) ? found[0] : found, params);
}

// The plural message `key` for `count` ({count} filled, formatted for the language).
export function tn(key, count, params) {
  const found = message(key);
  const forms = Array.isArray(found) ? found : [found];
  const index = CATALOG.plural[PLURALS.select(count)] ?? forms.length - 1;
  return fill(forms[Math.min(index, forms.length - 1)], { count: fmt.number(count), ...params });
}

// Data, not language (a name, a number, an id, a formatted value): left as it is.
export function data(text) {
  return el("span", { translate: "no" }, text);
}

// The translation of `prefix.value`, or the value itself as data when the catalog cannot know
// it (a pause reason or a skill an install configured).
export function label(prefix, value) {
  const key = `${prefix}.${value}`;
  return has(key) ? document.createTextNode(t(key)) : data(value);
}

// What a person reads for an error: the API's stable code translated, never its English reason.
export function errorText(exc) {
  if (exc instanceof ApiError) {
    return has(`error.${exc.code}`) ? t(`error.${exc.code}`) : t("error.unknown", { code: exc.code });
  }
  return t("error.network");
}

export function confirmText(key, params) {
  return confirm(t(key, params));
}

function toDate(value) {
  if (value === null || value === undefined || value === "") return null;
  const at = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(at.getTime()) ? null : at;
}

const FORMATS = {
  dateTime: new Intl.DateTimeFormat(LOCALE, {
    dateStyle: "medium",
    timeStyle: "short",
    hourCycle: "h23",
    timeZone: TIME_ZONE,
  }),
  date: new Intl.DateTimeFormat(LOCALE, { dateStyle: "medium", timeZone: TIME_ZONE }),
  time: new Intl.DateTimeFormat(LOCALE, {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
    timeZone: TIME_ZONE,
  }),
  number: new Intl.NumberFormat(LOCALE),
  money: new Intl.NumberFormat(LOCALE, {
    style: "currency",
    currency: "CNY",
    currencyDisplay: "narrowSymbol",
  }),
};

// Values formatted for the page's language, dates and times in the centre's time zone.
export const fmt = {
  dateTime: (value) => (toDate(value) ? FORMATS.dateTime.format(toDate(value)) : "–"),
  date: (value) => {
    if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
      return FORMATS.date.format(new Date(`${value}T12:00:00Z`)); // a calendar day, no zone
    }
    return toDate(value) ? FORMATS.date.format(toDate(value)) : "–";
  },
  time: (value) => (toDate(value) ? FORMATS.time.format(toDate(value)) : "–"),
  number: (value) => FORMATS.number.format(value),
  money: (amount) => {
    const value = Number(amount);
    return amount === null || amount === undefined || Number.isNaN(value)
      ? "–"
      : FORMATS.money.format(value);
  },
  percent: (share, digits = 0) =>
    share === null || share === undefined || Number.isNaN(share)
      ? "–"
      : new Intl.NumberFormat(LOCALE, {
          style: "percent",
          minimumFractionDigits: digits,
          maximumFractionDigits: digits,
        }).format(share),
  duration: (seconds) => {
    if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "–";
    const s = Math.max(0, Math.floor(seconds));
    const parts = { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60), s: s % 60 };
    const key = parts.h ? "common.duration.hms" : parts.m ? "common.duration.ms" : "common.duration.s";
    return t(key, parts);
  },
};

// The language switcher (#lang on every page): remembered in a cookie for the log-in page and,
// when signed in, on the account; the page is then served again in the language chosen.
async function switchLanguage(locale) {
  const secure = location.protocol === "https:" ? "; Secure" : "";
  document.cookie = `${LANG_COOKIE}=${locale}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`;
  if (sessionStorage.getItem(CSRF_KEY)) {
    try {
      await api("PUT", "/auth/me/locale", { locale });
    } catch {
      /* signed out meanwhile: the cookie still holds the choice */
    }
  }
  location.reload();
}

document.getElementById("lang")?.addEventListener("change", (event) => {
  switchLanguage(event.target.value);
});

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
  return fmt.duration(seconds);
}

export function percent(share, digits = 0) {
  return fmt.percent(share, digits);
}

// A duration that counts up from an epoch `since`, redrawn by tickClocks() every second.
export function ticking(since, attrs) {
  const node = el("span", {
    ...(attrs || {}),
    class: `ticking ${attrs?.class || ""}`.trim(),
    translate: "no",
  });
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
  const reasonText = reason ? [" · ", label("pause", reason)] : [];
  return el("span", { class: `badge state-${state}`, dataset: { state } }, label("state", state), reasonText);
}

// The page header: who is signed in, the stream's status, the log-out button.
export function header(me) {
  const who = me.name ? data(me.name) : t("common.api-token");
  clear(
    document.getElementById("who"),
    who,
    me.extension ? [" (", data(me.extension), ")"] : null,
    " · ",
    label("common.role", me.role),
  );
  document.getElementById("logout").addEventListener("click", logOut);
}

export function streamStatus(status) {
  const node = document.getElementById("stream-status");
  node.textContent = status === "live" ? t("common.stream.live") : t("common.stream.reconnecting");
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
