// The agent desktop: the agent's ACD state and actions (log in / out, pause with a reason,
// unpause, end wrap-up), the screen-pop of the call offered to them, the queues, and their own
// calls today. Live from /api/v1/stream. Every word comes from the page's catalog (domain
// `agent`, with `common` and `errors`); every value is data (translate="no") formatted for the
// page's locale in the centre's time zone.
import {
  api,
  clear,
  data,
  duration,
  el,
  errorText,
  flash,
  fmt,
  has,
  header,
  label,
  openStream,
  percent,
  serverNow,
  stateBadge,
  streamStatus,
  t,
  tickClocks,
  ticking,
  tn,
  whoAmI,
} from "/console/static/console.js";

// The state controls: the agent states each is allowed in, and the API action it posts.
const CONTROLS = {
  "acd-login": { action: "login", states: ["logged-out"] },
  "acd-logout": { action: "logout", states: ["ready", "paused", "wrap-up"] },
  pause: { action: "pause", states: ["ready", "paused", "wrap-up", "reserved", "on-call"] },
  unpause: { action: "unpause", states: ["paused"] },
  ready: { action: "ready", states: ["wrap-up"] },
};
// Where the keyboard focus goes when the control it was on is disabled by the state it caused:
// the next thing the agent is likely to do, never a control that undoes it.
const FOCUS_NEXT = ["pause-reason", "unpause", "ready", "acd-login"];
const MONEY_FACTS = new Set(["amount", "premium"]);
const LABELLED_FACTS = { product: "agent.product", language: "agent.language" };

let me = null;
let mine = { state: "logged-out", since: null, reason: "", call: "" };
let pop = null; // the last screen-pop
let queues = [];

// ---- my state -----------------------------------------------------------------------------

function setMine(agent) {
  const before = mine.state;
  mine = { ...mine, ...agent };
  renderMine();
  renderPop();
  // a call just ended (or its wrap-up did): its record is written a moment later
  const left = before !== mine.state && ["on-call", "wrap-up"].includes(before);
  if (left) setTimeout(loadHistory, 2500);
}

function renderMine() {
  const badge = stateBadge(mine.state, mine.reason);
  badge.id = "my-state";
  badge.classList.add("big-badge");
  document.getElementById("my-state").replaceWith(badge);
  const since = document.getElementById("my-state-for");
  const shown = mine.state !== "logged-out" && mine.since;
  clear(since, shown ? [t("agent.state.for"), " ", ticking(mine.since)] : []);
  const focused = document.activeElement;
  for (const [id, control] of Object.entries(CONTROLS)) {
    document.getElementById(id).disabled = !control.states.includes(mine.state);
  }
  document.getElementById("pause-reason").disabled = !CONTROLS.pause.states.includes(mine.state);
  keepFocus(focused);
}

// A keyboard user who just pressed a control that the new state disables stays in the panel.
function keepFocus(focused) {
  const panel = document.querySelector(".state-panel");
  if (!focused || !panel.contains(focused) || !focused.disabled) return;
  const next = FOCUS_NEXT.map((id) => document.getElementById(id)).find((node) => !node.disabled);
  if (next) next.focus();
}

async function act(action, body) {
  try {
    const state = await api("POST", `/agents/${me.extension}/${action}`, body);
    const since = state.seconds_in_state === null ? null : serverNow() - state.seconds_in_state;
    setMine({ ...state, since });
  } catch (exc) {
    flash(t("agent.refused", { action: t(`agent.action.${action}`), reason: errorText(exc) }));
  }
}

// ---- the screen-pop -----------------------------------------------------------------------

function fact(term, value) {
  if (value === undefined || value === null || value === "") return null;
  return [el("dt", {}, term), el("dd", {}, value)];
}

// A fact the IVR learnt: its name from the catalog (or as the flow named it), its value as data
// (money formatted, a product or language named, a closed value such as a category translated).
function ivrFact(key, value) {
  let shown;
  if (MONEY_FACTS.has(key) && !Number.isNaN(Number(value))) shown = data(fmt.money(Number(value)));
  else if (LABELLED_FACTS[key]) shown = label(LABELLED_FACTS[key], value);
  else if (has(`agent.fact-value.${key}.${value}`)) shown = t(`agent.fact-value.${key}.${value}`);
  else shown = data(value);
  return fact(label("agent.fact", key), shown);
}

function popTitle(current) {
  if (!current) return t("agent.pop.last");
  if (mine.state === "reserved") return t("agent.pop.ringing");
  return t(mine.state === "on-call" ? "agent.pop.on-call" : "agent.pop.wrap-up");
}

function policyRow(policy) {
  return el(
    "tr",
    { dataset: { policy: policy.number } },
    el("td", {}, data(policy.number)),
    el("td", {}, label("agent.product", policy.product)),
    el("td", { class: "num" }, data(fmt.money(Number(policy.premium)))),
    el("td", {}, data(fmt.date(policy.due_date))),
    el(
      "td",
      {},
      el(
        "span",
        { class: `badge policy-${policy.status}` },
        label("agent.policy-status", policy.status),
      ),
    ),
  );
}

function policiesPart(customer) {
  if (!customer) return el("p", { class: "muted" }, t("agent.pop.no-customer"));
  const rows = (customer.policies || []).map(policyRow);
  const heads = ["policy", "product", "premium", "due", "status"].map((h) =>
    el("th", { scope: "col", class: h === "premium" ? "num" : null }, t(`agent.pop.${h}`)),
  );
  return [
    el("h3", {}, t("agent.pop.policies")),
    rows.length
      ? el(
          "table",
          { class: "grid compact", id: "pop-policies" },
          el("thead", {}, el("tr", {}, heads)),
          el("tbody", {}, rows),
        )
      : el("p", { class: "muted" }, t("agent.pop.no-policies")),
  ];
}

function callerPart(customer) {
  const name = customer?.name || pop.caller_name;
  return el(
    "div",
    { class: "caller" },
    el("div", { class: "caller-number", id: "pop-caller", translate: "no" }, pop.caller),
    name
      ? el("div", { class: "caller-name", id: "pop-name", translate: "no" }, name)
      : el("div", { class: "caller-name", id: "pop-name" }, t("agent.pop.unknown-caller")),
    pop.vip ? el("span", { class: "badge vip", id: "pop-vip" }, t("common.vip")) : null,
    customer && !customer.vip
      ? el(
          "span",
          { class: `badge tier-${customer.tier}`, id: "pop-tier" },
          label("agent.tier", customer.tier),
        )
      : null,
    customer?.blacklisted
      ? el("span", { class: "badge danger" }, t("agent.pop.blacklisted"))
      : null,
    pop.callback ? el("span", { class: "badge" }, t("agent.pop.callback")) : null,
  );
}

function renderPop() {
  const target = document.getElementById("screen-pop");
  if (!pop) return;
  const current = mine.call === pop.call && ["reserved", "on-call", "wrap-up"].includes(mine.state);
  document.getElementById("pop-title").textContent = popTitle(current);
  const customer = pop.customer;
  const ivr = pop.ivr || {};
  const waited = pop.enqueued_at ? data(fmt.duration(pop.offered_at - pop.enqueued_at)) : "";
  const skills = (ivr.skills || []).map((skill) =>
    el("span", { class: "chip" }, label("agent.skill", skill)),
  );
  target.className = `screen-pop${current ? " live" : ""}${pop.vip ? " vip" : ""}`;
  clear(
    target,
    callerPart(customer),
    el(
      "dl",
      { class: "facts", id: "pop-customer" },
      fact(t("agent.pop.id-number"), customer?.id_number ? data(customer.id_number) : ""),
      fact(
        t("agent.pop.account-manager"),
        customer?.account_manager ? data(customer.account_manager) : "",
      ),
      fact(t("agent.pop.region"), customer?.region ? data(customer.region) : ""),
      fact(t("agent.pop.language"), pop.language ? label("agent.language", pop.language) : ""),
      fact(t("agent.pop.queue"), pop.queue ? label("queue", pop.queue) : ""),
      fact(t("agent.pop.waited"), waited),
    ),
    el("h3", {}, t("agent.pop.ivr")),
    el(
      "dl",
      { class: "facts", id: "pop-ivr" },
      fact(t("agent.pop.intent"), ivr.intent ? label("agent.intent", ivr.intent) : ""),
      fact(t("agent.pop.path"), ivr.path ? data(ivr.path) : ""),
      fact(t("agent.pop.skills"), skills.length ? el("span", { class: "chips" }, skills) : ""),
      Object.entries(ivr.facts || {}).flatMap(([key, value]) => ivrFact(key, value)),
    ),
    policiesPart(customer),
  );
}

// ---- queues and history ---------------------------------------------------------------------

function renderQueues() {
  const rows = queues.map((queue) =>
    el(
      "tr",
      { dataset: { queue: queue.queue } },
      el("td", {}, label("queue", queue.queue)),
      el("td", { class: "num" }, data(fmt.number(queue.waiting))),
      el(
        "td",
        { class: "num" },
        queue.oldest_enqueued_at
          ? ticking(queue.oldest_enqueued_at)
          : data(duration(queue.longest_wait_seconds)),
      ),
      el("td", { class: "num" }, data(percent(queue.service_level))),
    ),
  );
  const empty = el("tr", { class: "empty" }, el("td", { colspan: 4 }, t("agent.queues.empty")));
  clear(document.querySelector("#my-queues tbody"), rows.length ? rows : empty);
}

// Midnight today in the centre's time zone (the page's data-time-zone), as ISO 8601.
function startOfToday() {
  const zone = document.documentElement.dataset.timeZone || undefined;
  const format = new Intl.DateTimeFormat("en-CA", {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    timeZoneName: "longOffset",
  });
  const part = Object.fromEntries(format.formatToParts(new Date()).map((p) => [p.type, p.value]));
  const offset = part.timeZoneName === "GMT" ? "Z" : part.timeZoneName.slice(3);
  return `${part.year}-${part.month}-${part.day}T00:00:00${offset}`;
}

// What became of a call: abandoned in the line, else the CDR's disposition ("NO ANSWER" ->
// "no-answer").
function outcome(call) {
  return call.abandoned ? "abandoned" : call.disposition.toLowerCase().replace(/\s+/g, "-");
}

function historyRow(call) {
  return el(
    "tr",
    { dataset: { call: call.linkedid } },
    el("td", {}, data(fmt.time(call.start_time))),
    el(
      "td",
      {},
      data(call.caller_number),
      call.vip ? el("span", { class: "badge vip" }, t("common.vip")) : null,
    ),
    el("td", {}, call.queue ? label("queue", call.queue) : ""),
    el("td", { class: "num" }, call.wait_seconds === null ? "" : data(duration(call.wait_seconds))),
    el("td", { class: "num" }, data(duration(call.billsec))),
    el("td", { "data-field": "outcome" }, label("agent.outcome", outcome(call))),
    el("td", { class: "muted small", translate: "no" }, call.ivr_path),
  );
}

async function loadHistory() {
  const body = document.querySelector("#history tbody");
  const count = document.getElementById("history-count");
  try {
    const since = encodeURIComponent(startOfToday());
    const answer = await api("GET", `/calls?agent=${me.extension}&since=${since}&limit=50`);
    const rows = answer.calls.map(historyRow);
    clear(count, tn("agent.history.count", rows.length));
    const empty = el("tr", { class: "empty" }, el("td", { colspan: 7 }, t("agent.history.empty")));
    clear(body, rows.length ? rows : empty);
  } catch (exc) {
    clear(count);
    const reason = t("agent.history.unavailable", { reason: errorText(exc) });
    clear(body, el("tr", { class: "empty" }, el("td", { colspan: 7 }, reason)));
  }
}

// ---- the stream ---------------------------------------------------------------------------

function reasonOption(reason) {
  const key = `pause.${reason}`;
  return has(key)
    ? el("option", { value: reason }, t(key))
    : el("option", { value: reason, translate: "no" }, reason);
}

function onEvent(event) {
  switch (event.type) {
    case "hello":
      clear(document.getElementById("pause-reason"), event.pause_reasons.map(reasonOption));
      break;
    case "snapshot": {
      queues = event.queues || [];
      renderQueues();
      const own = (event.agents || []).find((agent) => agent.extension === me.extension);
      if (own) setMine(own);
      break;
    }
    case "agent":
      if (event.agent.extension === me.extension) setMine(event.agent);
      break;
    case "screen-pop":
      pop = event;
      renderPop();
      break;
    default:
      break;
  }
}

async function start() {
  me = await whoAmI();
  header(me);
  if (!me.extension) {
    flash(t("agent.no-extension"));
    return;
  }
  document.getElementById("wallboard-link").hidden = me.role === "agent";
  for (const [id, control] of Object.entries(CONTROLS)) {
    const reason = () => ({ reason: document.getElementById("pause-reason").value });
    const body = () => (id === "pause" ? reason() : undefined);
    document.getElementById(id).addEventListener("click", () => act(control.action, body()));
  }
  renderMine();
  openStream("", onEvent, streamStatus);
  setInterval(tickClocks, 1000);
  loadHistory();
  setInterval(loadHistory, 60000);
}

start().catch((exc) => flash(t("agent.start-failed", { reason: errorText(exc) })));
