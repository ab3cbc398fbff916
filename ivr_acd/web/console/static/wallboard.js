// The supervisors' wallboard: queues, live calls (listen / whisper / barge), the line, the
// agents, calls per hour today and the agents' KPIs. Live from /api/v1/stream.
// Every word a person reads comes from the "wallboard" catalog (t, tn); data (numbers, names,
// extensions, queue names) is wrapped translate="no" and formatted for the page's locale (fmt).
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

const SPY_MODES = ["listen", "whisper", "barge"];
const board = { queues: [], waiting: new Map(), agents: new Map(), calls: [] };
let me = null;
let spy = null; // the supervision session this console started: {spy_id, call_id, mode, ...}

// ---- the stream -------------------------------------------------------------------------

function onEvent(event) {
  switch (event.type) {
    case "hello":
      if (!event.viewer.wallboard) location.assign("/console/agent");
      break;
    case "snapshot":
      board.queues = event.queues || [];
      board.waiting = new Map((event.waiting || []).map((call) => [call.call, call]));
      board.agents = new Map((event.agents || []).map((agent) => [agent.extension, agent]));
      board.calls = event.calls || [];
      if (spy && !board.calls.some((call) => call.linkedid === spy.call_id)) spy = null;
      renderAll();
      break;
    case "agent": {
      const known = board.agents.get(event.agent.extension) || {};
      board.agents.set(event.agent.extension, {
        ...known,
        ...event.agent,
        name: event.agent.name || known.name,
      });
      for (const call of board.calls) {
        if (call.agent === event.agent.extension) call.agent_state = event.agent.state;
      }
      renderAgents();
      renderCalls();
      break;
    }
    case "queue":
      if (event.call) board.waiting.set(event.call.call, event.call);
      else board.waiting.delete(event.call_id);
      renderWaiting();
      renderQueues();
      break;
    case "offer": {
      const call = board.waiting.get(event.call);
      if (call) call.ringing = event.agent;
      renderWaiting();
      break;
    }
    default:
      break;
  }
}

function renderAll() {
  renderQueues();
  renderCalls();
  renderWaiting();
  renderAgents();
}

// ---- queues -----------------------------------------------------------------------------

function queueNames() {
  const names = new Set(board.queues.map((queue) => queue.queue));
  for (const call of board.waiting.values()) names.add(call.queue);
  return [...names].sort();
}

function renderQueues() {
  const byName = new Map(board.queues.map((queue) => [queue.queue, queue]));
  const tiles = queueNames().map((name) => {
    const figures = byName.get(name) || { queue: name, agents: {} };
    const line = [...board.waiting.values()].filter((call) => call.queue === name);
    const oldest = line.length ? Math.min(...line.map((call) => call.enqueued_at)) : null;
    const agents = Object.entries(figures.agents || {}).map(([state, count]) =>
      el("span", { class: `chip state-${state}` }, chipText(state, count)),
    );
    return el(
      "article",
      { class: `tile${line.length ? " busy" : ""}`, dataset: { queue: name } },
      el("h3", {}, label("queue", name)),
      el(
        "div",
        { class: "big" },
        el("span", { class: "value", translate: "no", dataset: { field: "waiting" } }, line.length),
        " ",
        el("span", { class: "label" }, t("wallboard.queues.waiting")),
      ),
      el(
        "div",
        { class: "line" },
        el("span", {}, t("wallboard.queues.longest")),
        oldest ? ticking(oldest, { class: "strong" }) : el("span", { class: "strong", translate: "no" }, duration(0)),
        line.some((call) => call.vip) ? vipBadge() : null,
      ),
      el(
        "dl",
        { class: "figures" },
        el("dt", {}, t("wallboard.queues.service_level")),
        el("dd", { translate: "no" }, percent(figures.service_level)),
        el("dt", { title: t("wallboard.queues.asa_title") }, t("wallboard.queues.asa")),
        el("dd", { translate: "no" }, figures.asa_seconds == null ? "–" : fmt.duration(figures.asa_seconds)),
        el("dt", {}, t("wallboard.queues.abandon_rate")),
        el("dd", { translate: "no" }, percent(figures.abandon_rate)),
        el("dt", {}, t("wallboard.queues.offered_answered")),
        el("dd", { translate: "no" }, `${fmt.number(figures.offered ?? 0)} / ${fmt.number(figures.answered ?? 0)}`),
      ),
      el(
        "div",
        { class: "chips" },
        agents.length ? agents : el("span", { class: "muted" }, t("wallboard.queues.no_agents")),
      ),
    );
  });
  const target = document.getElementById("queues");
  clear(target, tiles.length ? tiles : el("p", { class: "muted" }, t("wallboard.queues.none")));
}

// "3 ready" on a queue's tile: one message per agent state; a state the catalog does not know
// is shown as it came.
function chipText(state, count) {
  const key = `wallboard.queues.chip.${state}`;
  return has(key) ? t(key, { count: fmt.number(count) }) : data(`${fmt.number(count)} ${state}`);
}

function vipBadge() {
  return el("span", { class: "badge vip" }, t("wallboard.badge.vip"));
}

// ---- live calls and supervision -----------------------------------------------------------

function spyButtons(call) {
  const mine = spy && spy.call_id === call.linkedid;
  const buttons = SPY_MODES.map((mode) =>
    el(
      "button",
      {
        type: "button",
        class: `spy-${mode}${mine && spy.mode === mode ? " active" : ""}`,
        dataset: { mode },
        disabled: !call.agent || (mine && spy.mode === mode),
        title: call.agent
          ? t("wallboard.spy.title", { mode: t(`wallboard.spy.${mode}`) })
          : t("wallboard.spy.no_agent"),
        onclick: () => (mine ? switchMode(mode) : startSpy(call.linkedid, mode)),
      },
      t(`wallboard.spy.${mode}`),
    ),
  );
  if (mine) {
    buttons.push(
      el(
        "button",
        { type: "button", class: "spy-stop danger", title: t("wallboard.spy.stop_title"), onclick: stopSpy },
        t("wallboard.spy.stop"),
      ),
    );
  }
  return el("div", { class: "actions" }, buttons);
}

function renderCalls() {
  const rows = board.calls.map((call) =>
    el(
      "tr",
      { dataset: { call: call.linkedid }, class: spy?.call_id === call.linkedid ? "spied" : "" },
      el(
        "td",
        { translate: "no" },
        el("strong", {}, call.caller_number),
        el("div", { class: "muted small" }, call.did),
      ),
      el(
        "td",
        {},
        call.agent
          ? data(`${call.agent} ${call.agent_name || ""}`.trim())
          : el("span", { class: "muted" }, t("wallboard.calls.in_ivr")),
        call.agent_state ? el("div", {}, stateBadge(call.agent_state)) : null,
      ),
      el("td", {}, ticking(call.started)),
      el("td", {}, spyButtons(call)),
    ),
  );
  clear(document.querySelector("#calls tbody"), rows.length ? rows : emptyRow(4, t("wallboard.calls.none")));
  document.getElementById("calls-count").textContent = board.calls.length ? fmt.number(board.calls.length) : "";
  renderSpy();
}

function renderSpy() {
  const line = document.getElementById("spy");
  if (!spy) {
    line.hidden = true;
    return;
  }
  const call = board.calls.find((c) => c.linkedid === spy.call_id);
  const who = call ? `${call.caller_number} ↔ ${call.agent}` : spy.call_id;
  line.textContent = spy.supervisor
    ? t(`wallboard.spy.line.${spy.mode}`, { call: who, phone: spy.supervisor })
    : t(`wallboard.spy.line_no_phone.${spy.mode}`, { call: who });
  line.hidden = false;
}

async function startSpy(callId, mode) {
  try {
    if (spy) await stopSpy();
    spy = await api("POST", `/calls/${encodeURIComponent(callId)}/spy`, { mode });
    flash("", "info");
  } catch (exc) {
    flash(t("wallboard.spy.refused", { mode: t(`wallboard.spy.${mode}`), error: errorText(exc) }));
  }
  renderCalls();
}

async function switchMode(mode) {
  try {
    const changed = await api("POST", `/spy/${encodeURIComponent(spy.spy_id)}/mode`, { mode });
    spy = { ...spy, ...(changed || {}), mode };
  } catch (exc) {
    flash(t("wallboard.spy.switch_failed", { mode: t(`wallboard.spy.${mode}`), error: errorText(exc) }));
  }
  renderCalls();
}

async function stopSpy() {
  const ending = spy;
  spy = null;
  try {
    await api("DELETE", `/spy/${encodeURIComponent(ending.spy_id)}`);
  } catch (exc) {
    if (exc.status !== 404) flash(t("wallboard.spy.stop_failed", { error: errorText(exc) }));
  }
  renderCalls();
}

// ---- the line and the agents --------------------------------------------------------------

function renderWaiting() {
  const calls = [...board.waiting.values()].sort((a, b) => a.enqueued_at - b.enqueued_at);
  const rows = calls.map((call) =>
    el(
      "tr",
      { dataset: { call: call.call }, class: call.vip ? "vip-row" : "" },
      el(
        "td",
        {},
        el("strong", { translate: "no" }, call.caller),
        call.vip ? vipBadge() : null,
        call.name ? el("div", { class: "muted small", translate: "no" }, call.name) : null,
      ),
      el(
        "td",
        {},
        label("queue", call.queue),
        call.language ? el("div", { class: "muted small" }, label("wallboard.language", call.language)) : null,
      ),
      el("td", {}, ticking(call.enqueued_at)),
      el(
        "td",
        {},
        call.ringing
          ? el("span", { class: "badge state-reserved" }, t("wallboard.waiting.ringing", { agent: call.ringing }))
          : null,
        call.callback ? el("span", { class: "badge" }, t("wallboard.waiting.callback")) : null,
      ),
    ),
  );
  clear(document.querySelector("#waiting tbody"), rows.length ? rows : emptyRow(4, t("wallboard.waiting.none")));
  document.getElementById("waiting-count").textContent = calls.length ? fmt.number(calls.length) : "";
}

function renderAgents() {
  const agents = [...board.agents.values()].sort((a, b) => a.extension.localeCompare(b.extension));
  const rows = agents.map((agent) =>
    el(
      "tr",
      { dataset: { agent: agent.extension }, class: agent.state === "logged-out" ? "dim" : "" },
      el(
        "td",
        {},
        el("strong", { translate: "no" }, agent.extension),
        " ",
        data(agent.name || ""),
        // a team is named after the queue it serves
        agent.team ? el("div", { class: "muted small" }, label("queue", agent.team)) : null,
      ),
      el("td", {}, stateBadge(agent.state, agent.reason)),
      el("td", {}, agent.state === "logged-out" ? "" : ticking(agent.since)),
      el("td", { translate: "no" }, agent.caller || (agent.call ? callerOf(agent.call) : "")),
    ),
  );
  clear(document.querySelector("#agents tbody"), rows.length ? rows : emptyRow(4, t("wallboard.agents.none")));
  const online = agents.filter((agent) => agent.state !== "logged-out").length;
  document.getElementById("agents-count").textContent = t("wallboard.agents.signed_in", {
    online: fmt.number(online),
    total: fmt.number(agents.length),
  });
}

function callerOf(callId) {
  const live = board.calls.find((call) => call.linkedid === callId);
  return live ? live.caller_number : "";
}

function emptyRow(span, text) {
  return el("tr", { class: "empty" }, el("td", { colspan: span }, text));
}

// ---- calls per hour (SVG) -------------------------------------------------------------------

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

function niceMax(value) {
  const steps = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000];
  for (const step of steps) if (value <= step * 4) return step * 4;
  return Math.ceil(value / 1000) * 1000;
}

export function drawHourly(figures, target, currentHour) {
  const width = 520;
  const height = 190;
  const pad = { left: 30, right: 6, top: 10, bottom: 22 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const top = niceMax(Math.max(1, ...figures.hours.map((h) => h.inbound + h.outbound)));
  const y = (count) => pad.top + plotH - (count / top) * plotH;
  const slot = plotW / 24;
  const chart = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": t("wallboard.hourly.label"),
    class: "hourly",
  });
  for (const mark of [0, top / 2, top]) {
    chart.append(
      svg("line", { x1: pad.left, x2: width - pad.right, y1: y(mark), y2: y(mark), class: "gridline" }),
      svg(
        "text",
        { x: pad.left - 4, y: y(mark) + 3, class: "axis", "text-anchor": "end", translate: "no" },
        fmt.number(mark),
      ),
    );
  }
  for (const hour of figures.hours) {
    const x = pad.left + hour.hour * slot + 1.5;
    const w = slot - 3;
    const parts = [
      ["abandoned", hour.abandoned],
      ["inbound", Math.max(0, hour.inbound - hour.abandoned)],
      ["outbound", hour.outbound],
    ];
    let base = 0;
    const group = svg("g", { class: hour.hour === currentHour ? "bar now" : "bar" });
    group.append(
      svg(
        "title",
        {},
        t("wallboard.hourly.bar", {
          hour: String(hour.hour).padStart(2, "0"),
          inbound: fmt.number(hour.inbound),
          abandoned: fmt.number(hour.abandoned),
          outbound: fmt.number(hour.outbound),
        }),
      ),
    );
    for (const [kind, count] of parts) {
      if (!count) continue;
      group.append(svg("rect", { x, width: w, y: y(base + count), height: y(base) - y(base + count), class: kind }));
      base += count;
    }
    if (hour.hour === currentHour) {
      group.append(svg("rect", { x: x - 1, width: w + 2, y: pad.top, height: plotH, class: "now-frame" }));
    }
    chart.append(group);
    if (hour.hour % 3 === 0) {
      const tick = t("wallboard.hourly.hour", { hour: String(hour.hour).padStart(2, "0") });
      chart.append(svg("text", { x: x + w / 2, y: height - 6, class: "axis", "text-anchor": "middle" }, tick));
    }
  }
  clear(target, chart);
}

async function loadHourly() {
  const target = document.getElementById("hourly");
  try {
    const hourly = await api("GET", "/calls/hourly"); // today in the contact centre's zone
    drawHourly(hourly, target, hourly.now_hour);
    document.getElementById("hourly-total").textContent = tn("wallboard.hourly.total", hourly.total, {
      zone: hourly.time_zone,
    });
  } catch (exc) {
    clear(target, el("p", { class: "muted" }, t("wallboard.unavailable", { error: errorText(exc) })));
  }
}

// ---- KPIs ---------------------------------------------------------------------------------

async function loadKpis() {
  const input = document.getElementById("kpi-day");
  const path = input.value ? `/kpis/agents?day=${encodeURIComponent(input.value)}` : "/kpis/agents";
  const body = document.querySelector("#kpis tbody");
  try {
    const report = await api("GET", path); // without a day: today in the contact centre's zone
    if (!input.value) input.value = report.day;
    const csv = document.getElementById("kpi-csv");
    // the server writes the CSV's header row in the page's language
    const lang = encodeURIComponent(document.documentElement.lang);
    csv.href = `/api/v1/kpis/agents?day=${encodeURIComponent(report.day)}&format=csv&lang=${lang}`;
    csv.setAttribute("download", `agent-kpis-${report.day}.csv`);
    const rows = report.agents.map((row) =>
      el(
        "tr",
        { dataset: { agent: row.extension } },
        el("td", { translate: "no" }, el("strong", {}, row.extension), " ", row.name),
        el("td", { translate: "no" }, fmt.number(row.calls_handled)),
        el("td", { translate: "no" }, fmt.number(row.outbound_calls)),
        el("td", { translate: "no" }, fmt.duration(row.talk_seconds)),
        el("td", { translate: "no" }, fmt.duration(row.online_seconds)),
        el("td", { translate: "no" }, fmt.duration(row.wrapup_seconds)),
        el("td", { translate: "no" }, fmt.number(row.missed_offers)),
        el("td", { translate: "no" }, percent(row.complaint_rate)),
      ),
    );
    clear(body, rows.length ? rows : emptyRow(8, t("wallboard.kpis.none")));
  } catch (exc) {
    clear(body, emptyRow(8, t("wallboard.unavailable", { error: errorText(exc) })));
  }
}

// ---- start ------------------------------------------------------------------------------

async function start() {
  me = await whoAmI();
  if (me.role === "agent") {
    location.assign("/console/agent");
    return;
  }
  header(me);
  document.getElementById("kpi-day").addEventListener("change", loadKpis);
  openStream("", onEvent, streamStatus);
  setInterval(tickClocks, 1000);
  loadHourly();
  loadKpis();
  setInterval(loadHourly, 60000);
  setInterval(loadKpis, 60000);
}

start().catch((exc) => flash(t("wallboard.start_failed", { error: errorText(exc) })));
window.ivracd = { board, serverNow };
