// The agent desktop: the agent's ACD state and actions (log in / out, pause with a reason,
// unpause, end wrap-up), the screen-pop of the call offered to them, the queues, and their own
// calls today. Live from /api/v1/stream.
import {
  api,
  clear,
  duration,
  el,
  flash,
  header,
  openStream,
  percent,
  serverNow,
  stateBadge,
  streamStatus,
  tickClocks,
  ticking,
  whoAmI,
} from "/console/static/console.js";

const ALLOWED = {
  "acd-login": ["logged-out"],
  "acd-logout": ["ready", "paused", "wrap-up"],
  pause: ["ready", "paused", "wrap-up", "reserved", "on-call"],
  unpause: ["paused"],
  ready: ["wrap-up"],
};
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
  if (before === "on-call" && mine.state !== "on-call") setTimeout(loadHistory, 2500);
}

function renderMine() {
  const badge = stateBadge(mine.state, mine.reason);
  badge.id = "my-state";
  badge.classList.add("big-badge");
  document.getElementById("my-state").replaceWith(badge);
  const since = document.getElementById("my-state-for");
  clear(since, mine.state === "logged-out" || !mine.since ? "" : ["for ", ticking(mine.since)]);
  for (const [id, states] of Object.entries(ALLOWED)) {
    document.getElementById(id).disabled = !states.includes(mine.state);
  }
  document.getElementById("pause-reason").disabled = !ALLOWED.pause.includes(mine.state);
}

async function act(action, body) {
  try {
    const state = await api("POST", `/agents/${me.extension}/${action}`, body);
    const since = state.seconds_in_state === null ? null : serverNow() - state.seconds_in_state;
    setMine({ ...state, since });
  } catch (exc) {
    flash(`${action} refused: ${exc.message}`);
  }
}

// ---- the screen-pop -----------------------------------------------------------------------

function fact(label, value) {
  if (value === undefined || value === null || value === "") return null;
  return [el("dt", {}, label), el("dd", {}, value)];
}

function renderPop() {
  const target = document.getElementById("screen-pop");
  const title = document.getElementById("pop-title");
  if (!pop) return;
  const current = mine.call === pop.call && ["reserved", "on-call", "wrap-up"].includes(mine.state);
  title.textContent = !current
    ? "Last caller"
    : mine.state === "reserved"
      ? "Incoming call"
      : mine.state === "on-call"
        ? "On the line"
        : "Wrapping up";
  const customer = pop.customer;
  const ivr = pop.ivr || {};
  const facts = Object.entries(ivr.facts || {}).map(([key, value]) => fact(key, value));
  const policies = (customer?.policies || []).map((policy) =>
    el(
      "tr",
      {},
      el("td", {}, policy.number),
      el("td", {}, policy.product),
      el("td", { class: "num" }, policy.premium),
      el("td", {}, policy.due_date),
      el("td", {}, el("span", { class: `badge policy-${policy.status}` }, policy.status)),
    ),
  );
  target.className = `screen-pop${current ? " live" : ""}${pop.vip ? " vip" : ""}`;
  clear(
    target,
    el(
      "div",
      { class: "caller" },
      el("div", { class: "caller-number", id: "pop-caller" }, pop.caller),
      el("div", { class: "caller-name", id: "pop-name" }, customer?.name || pop.caller_name || "Unknown caller"),
      pop.vip ? el("span", { class: "badge vip", id: "pop-vip" }, "VIP") : null,
      customer && !customer.vip ? el("span", { class: `badge tier-${customer.tier}` }, customer.tier) : null,
      customer?.blacklisted ? el("span", { class: "badge danger" }, "blacklisted") : null,
      pop.callback ? el("span", { class: "badge" }, "callback") : null,
    ),
    el(
      "dl",
      { class: "facts" },
      fact("identity no.", customer?.id_number),
      fact("account manager", customer?.account_manager),
      fact("region", customer?.region),
      fact("language", pop.language),
      fact("queue", pop.queue),
      fact("waited", pop.enqueued_at ? duration(pop.offered_at - pop.enqueued_at) : ""),
    ),
    el("h3", {}, "In the IVR"),
    el(
      "dl",
      { class: "facts", id: "pop-ivr" },
      fact("wanted", ivr.intent),
      fact("path", ivr.path),
      fact("skills", (ivr.skills || []).join(", ")),
      facts,
    ),
    customer
      ? [
          el("h3", {}, "Policies"),
          policies.length
            ? el(
                "table",
                { class: "grid compact" },
                el("thead", {}, el("tr", {}, ["Policy", "Product", "Premium", "Due", "Status"].map((h) => el("th", {}, h)))),
                el("tbody", {}, policies),
              )
            : el("p", { class: "muted" }, "No policies."),
        ]
      : el("p", { class: "muted" }, "No customer record for this number."),
  );
}

// ---- queues and history ---------------------------------------------------------------------

function renderQueues() {
  const rows = queues.map((queue) =>
    el(
      "tr",
      {},
      el("td", {}, queue.queue),
      el("td", {}, queue.waiting),
      el("td", {}, queue.oldest_enqueued_at ? ticking(queue.oldest_enqueued_at) : duration(queue.longest_wait_seconds)),
      el("td", {}, percent(queue.service_level)),
    ),
  );
  clear(document.querySelector("#my-queues tbody"), rows.length ? rows : el("tr", {}, el("td", { colspan: 4, class: "muted" }, "No calls today yet.")));
}

function startOfToday() {
  const day = new Date();
  day.setHours(0, 0, 0, 0);
  return day.toISOString();
}

async function loadHistory() {
  const body = document.querySelector("#history tbody");
  try {
    const since = encodeURIComponent(startOfToday());
    const answer = await api("GET", `/calls?agent=${me.extension}&since=${since}&limit=50`);
    const rows = answer.calls.map((call) =>
      el(
        "tr",
        {},
        el("td", {}, new Date(call.start_time).toLocaleTimeString()),
        el("td", {}, call.caller_number, call.vip ? el("span", { class: "badge vip" }, "VIP") : null),
        el("td", {}, call.queue || ""),
        el("td", {}, call.wait_seconds === null ? "" : duration(call.wait_seconds)),
        el("td", {}, duration(call.billsec)),
        el("td", {}, call.disposition.toLowerCase()),
        el("td", { class: "muted small" }, call.ivr_path),
      ),
    );
    clear(body, rows.length ? rows : el("tr", { class: "empty" }, el("td", { colspan: 7 }, "No calls yet today.")));
  } catch (exc) {
    clear(body, el("tr", {}, el("td", { colspan: 7, class: "muted" }, `Not available: ${exc.message}`)));
  }
}

// ---- the stream ---------------------------------------------------------------------------

function onEvent(event) {
  switch (event.type) {
    case "hello": {
      const select = document.getElementById("pause-reason");
      clear(select, event.pause_reasons.map((reason) => el("option", { value: reason }, reason)));
      break;
    }
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
    flash("Sign in with an extension to use the agent desktop.");
    return;
  }
  document.getElementById("wallboard-link").hidden = me.role === "agent";
  document.getElementById("acd-login").addEventListener("click", () => act("login"));
  document.getElementById("acd-logout").addEventListener("click", () => act("logout"));
  document.getElementById("unpause").addEventListener("click", () => act("unpause"));
  document.getElementById("ready").addEventListener("click", () => act("ready"));
  document.getElementById("pause").addEventListener("click", () =>
    act("pause", { reason: document.getElementById("pause-reason").value }),
  );
  renderMine();
  openStream("", onEvent, streamStatus);
  setInterval(tickClocks, 1000);
  loadHistory();
  setInterval(loadHistory, 60000);
}

start().catch((exc) => flash(`The desktop could not start: ${exc.message}`));
