// Dunning campaigns for supervisors: every campaign with its state and progress (attempted,
// reached, promised amount, paid, abandon rate), Start / Pause / Resume / Stop, and for the
// campaign chosen its recent attempts, its recent dial decisions with their reasons and the
// results as CSV. Polls /api/v1/campaigns every few seconds.
import { api, clear, el, flash, header, streamStatus, whoAmI } from "/console/static/console.js";

const POLL_MS = 3000;
const RECENT = 20;
// which actions each state allows (crm_bridge.campaign_repository.TRANSITIONS)
const ACTIONS = [
  ["start", "Start", ["draft"]],
  ["pause", "Pause", ["running"]],
  ["resume", "Resume", ["paused"]],
  ["stop", "Stop", ["draft", "running", "paused"]],
];
const view = { campaigns: [], selected: null, attempts: [], decisions: [] };
let polling = false;
let again = false; // a refresh asked for while one ran: run once more after it

// ---- formatting -----------------------------------------------------------------------------

function rate(share) {
  return share === null || share === undefined ? "–" : `${(share * 100).toFixed(1)}%`;
}

function when(iso) {
  if (!iso) return "–";
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const time = at.toLocaleTimeString([], { hour12: false });
  return at.toDateString() === new Date().toDateString()
    ? time
    : `${at.toLocaleDateString([], { month: "2-digit", day: "2-digit" })} ${time}`;
}

function stateBadge(state) {
  return el("span", { class: `badge campaign-${state}`, dataset: { state } }, state);
}

function emptyRow(span, text) {
  return el("tr", { class: "empty" }, el("td", { colspan: span }, text));
}

const path = (id, rest = "") => `/campaigns/${encodeURIComponent(id)}${rest}`;

// ---- the list -------------------------------------------------------------------------------

function actionButtons(campaign) {
  return el(
    "div",
    { class: "actions" },
    ACTIONS.map(([action, label, from]) =>
      el(
        "button",
        {
          type: "button",
          class: action === "stop" ? "danger" : "",
          dataset: { action },
          disabled: !from.includes(campaign.state),
          onclick: (event) => {
            event.stopPropagation();
            act(campaign, action, label);
          },
        },
        label,
      ),
    ),
  );
}

function campaignRow(campaign) {
  const p = campaign.progress || {};
  const ceiling = campaign.abandon?.ceiling ?? 0.03;
  return el(
    "tr",
    {
      class: `selectable${campaign.id === view.selected ? " selected" : ""}`,
      dataset: { campaign: campaign.id },
      onclick: () => select(campaign.id),
    },
    el(
      "td",
      {},
      el("strong", {}, campaign.name),
      el("div", { class: "muted small" }, `${campaign.id} · ${campaign.mode}`),
    ),
    el("td", {}, stateBadge(campaign.state)),
    el("td", { class: "num", dataset: { field: "attempted" } }, p.attempted ?? 0),
    el("td", { class: "num" }, p.in_progress ?? 0),
    el("td", { class: "num", dataset: { field: "reached" } }, p.reached ?? 0),
    el(
      "td",
      { class: "num", dataset: { field: "promised" } },
      p.promised_amount ?? "0.00",
      el("div", { class: "muted small" }, p.promised === 1 ? "1 promise" : `${p.promised ?? 0} promises`),
    ),
    el("td", { class: "num", dataset: { field: "paid" } }, p.paid ?? 0),
    el(
      "td",
      { class: `num${p.abandon_rate > ceiling ? " over" : ""}`, dataset: { field: "abandon-rate" } },
      rate(p.abandon_rate),
    ),
    el("td", { class: "num" }, p.skipped_decisions ?? 0),
    el("td", {}, actionButtons(campaign)),
  );
}

function renderCampaigns() {
  const rows = view.campaigns.map(campaignRow);
  clear(
    document.querySelector("#campaigns tbody"),
    rows.length ? rows : emptyRow(10, "No campaigns yet (POST /api/v1/campaigns)."),
  );
  const running = view.campaigns.filter((c) => c.state === "running").length;
  document.getElementById("campaigns-count").textContent = view.campaigns.length
    ? `${running} running / ${view.campaigns.length}`
    : "";
}

// ---- the campaign chosen ----------------------------------------------------------------------

function renderDetail() {
  const campaign = view.campaigns.find((c) => c.id === view.selected);
  for (const id of ["detail", "attempts-panel", "decisions-panel"]) {
    document.getElementById(id).hidden = !campaign;
  }
  if (!campaign) return;
  const s = campaign.schedule || {};
  document.getElementById("detail-name").textContent = campaign.name;
  clear(document.getElementById("detail-state"), stateBadge(campaign.state));
  document.getElementById("detail-facts").textContent =
    `${campaign.mode} · ${s.start_date} – ${s.end_date}, ${s.hours?.start}–${s.hours?.end} local` +
    ` · ${campaign.caps?.max_channels} channels, ${campaign.caps?.max_calls_per_second} calls/s`;
  const csv = document.getElementById("results-csv");
  csv.href = `/api/v1${path(campaign.id, "/results.csv")}`;
  csv.setAttribute("download", `${campaign.id}-results.csv`);
  renderAttempts();
  renderDecisions();
}

function dispositionCell(attempt) {
  if (!attempt.disposition) return el("span", { class: "badge disp-open" }, "in progress");
  const badge = el("span", { class: `badge disp-${attempt.disposition}` }, attempt.disposition);
  const promise = attempt.promise_date
    ? el("div", { class: "small" }, `${attempt.promise_amount} by ${attempt.promise_date}`)
    : null;
  const amd = attempt.amd_status ? el("div", { class: "muted small" }, `AMD ${attempt.amd_status}`) : null;
  return [badge, promise, amd];
}

function renderAttempts() {
  const rows = view.attempts.map((attempt) =>
    el(
      "tr",
      { dataset: { attempt: attempt.attempt_id } },
      el("td", {}, when(attempt.started_at)),
      el("td", {}, attempt.policy_id, el("div", { class: "muted small" }, `try ${attempt.seq}`)),
      el("td", {}, attempt.number),
      el("td", {}, dispositionCell(attempt)),
      el("td", {}, attempt.agent || ""),
      el("td", { class: "small" }, attempt.reason || ""),
    ),
  );
  clear(document.querySelector("#attempts tbody"), rows.length ? rows : emptyRow(6, "No attempts yet."));
  const campaign = view.campaigns.find((c) => c.id === view.selected);
  const total = campaign?.progress?.attempted ?? 0;
  document.getElementById("attempts-count").textContent =
    total > rows.length ? `last ${rows.length} of ${total}` : "";
}

function decisionBadge(decision) {
  if (decision.dial) return el("span", { class: "badge decision-dial" }, "dial");
  return el(
    "span",
    { class: `badge decision-skip${decision.final ? " final" : ""}` },
    decision.final ? `skip · ${decision.check} · final` : `skip · ${decision.check}`,
  );
}

function renderDecisions() {
  const rows = view.decisions.map((decision) =>
    el(
      "tr",
      { class: decision.dial ? "" : "dim-text" },
      el("td", {}, when(decision.at)),
      el("td", {}, decision.policy_id),
      el("td", {}, decision.number),
      el("td", {}, decisionBadge(decision)),
      el(
        "td",
        { class: "small reason" },
        decision.reason,
        decision.not_before ? el("div", { class: "muted" }, `not before ${when(decision.not_before)}`) : null,
      ),
    ),
  );
  clear(document.querySelector("#decisions tbody"), rows.length ? rows : emptyRow(5, "No decisions yet."));
}

// ---- polling and actions ----------------------------------------------------------------------

async function loadDetail(campaign) {
  const attempted = campaign.progress?.attempted ?? 0;
  const offset = Math.max(0, attempted - RECENT);
  const [attempts, decisions] = await Promise.all([
    api("GET", path(campaign.id, `/attempts?limit=${RECENT}&offset=${offset}`)),
    api("GET", path(campaign.id, `/decisions?limit=${RECENT}`)),
  ]);
  view.attempts = (attempts.attempts || []).reverse(); // newest first
  view.decisions = decisions.decisions || [];
}

async function refresh() {
  if (polling) {
    again = true;
    return;
  }
  polling = true;
  again = false;
  try {
    const listed = await api("GET", "/campaigns");
    view.campaigns = (listed.campaigns || []).reverse(); // newest first
    if (!view.campaigns.some((c) => c.id === view.selected)) {
      const running = view.campaigns.find((c) => c.state === "running");
      view.selected = (running || view.campaigns[0])?.id ?? null;
    }
    const chosen = view.campaigns.find((c) => c.id === view.selected);
    if (chosen) await loadDetail(chosen);
    renderCampaigns();
    renderDetail();
    streamStatus("live");
  } catch (exc) {
    streamStatus("reconnecting");
    if (exc.status === 403) flash("Campaigns are for supervisors and admins.");
    else if (exc.status !== 401) flash(`Refreshing failed: ${exc.message}`);
  } finally {
    polling = false;
  }
  if (again) await refresh();
}

function select(id) {
  if (view.selected === id) return;
  view.selected = id;
  history.replaceState(null, "", `#${encodeURIComponent(id)}`);
  view.attempts = [];
  view.decisions = [];
  renderCampaigns();
  renderDetail();
  refresh();
}

async function act(campaign, action, label) {
  if (action === "stop" && !confirm(`Stop ${campaign.name} for good?`)) return;
  try {
    await api("POST", path(campaign.id, `/${action}`));
    flash(`${label}: ${campaign.name}`, "info");
  } catch (exc) {
    flash(`${label} refused: ${exc.message}`);
  }
  await refresh();
}

// ---- start ----------------------------------------------------------------------------------

async function start() {
  const me = await whoAmI();
  if (me.role === "agent") {
    location.assign("/console/agent");
    return;
  }
  header(me);
  view.selected = decodeURIComponent(location.hash.slice(1)) || null;
  await refresh();
  setInterval(refresh, POLL_MS);
}

start().catch((exc) => flash(`The campaigns page could not start: ${exc.message}`));
window.ivracd = { view, refresh };
