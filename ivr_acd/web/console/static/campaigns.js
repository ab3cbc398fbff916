// Dunning campaigns for supervisors: every campaign with its state and progress (attempted,
// reached, promised amount, paid, abandon rate), Start / Pause / Resume / Stop, and for the
// campaign chosen its recent attempts, its recent dial decisions with their reasons and the
// results as CSV. Polls /api/v1/campaigns every few seconds.
//
// Every word comes from the page's catalog (domain campaigns): states, modes, dispositions and
// AMD results by their codes; a decision's reason from its check code and the facts it names
// (`params`), an attempt's from its `reason_code` and `reason_params`, never from the English
// `reason` the API also keeps for logs. Names, ids, numbers and formatted values are data.
import {
  LOCALE,
  api,
  clear,
  confirmText,
  data,
  el,
  errorText,
  flash,
  fmt,
  has,
  header,
  label,
  streamStatus,
  t,
  tn,
  whoAmI,
} from "/console/static/console.js";

const POLL_MS = 3000;
const RECENT = 20;
// which actions each state allows (crm_bridge.campaign_repository.TRANSITIONS)
const ACTIONS = [
  ["start", ["draft"]],
  ["pause", ["running"]],
  ["resume", ["paused"]],
  ["stop", ["draft", "running", "paused"]],
];
const view = { campaigns: [], selected: null, attempts: [], decisions: [] };
let polling = false;
let again = false; // a refresh asked for while one ran: run once more after it

// ---- formatting -----------------------------------------------------------------------------

// An instant: its time alone today, with its date otherwise (the centre's time zone).
function when(iso) {
  if (!iso) return data("–");
  const today = fmt.date(new Date()) === fmt.date(iso);
  return data(today ? fmt.time(iso) : fmt.dateTime(iso));
}

function stateBadge(state) {
  const attrs = { class: `badge campaign-${state}`, dataset: { state } };
  return el("span", attrs, label("campaigns.state", state));
}

function count(n) {
  return data(fmt.number(n ?? 0));
}

function emptyRow(span, text) {
  return el("tr", { class: "empty" }, el("td", { colspan: span }, text));
}

const path = (id, rest = "") => `/campaigns/${encodeURIComponent(id)}${rest}`;

function actionText(action) {
  return t(`campaigns.action.${action}`);
}

// `prefix.value` translated, else the value itself (a code the catalog does not know).
function word(prefix, value) {
  return has(`${prefix}.${value}`) ? t(`${prefix}.${value}`) : value;
}

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T/;

// A reason's facts as the reader reads them: dates and instants in their format, amounts as
// money, codes (a state, a disposition, a policy status, an intent) in words.
function readable(params, check) {
  const out = {};
  for (const [name, value] of Object.entries(params || {})) {
    if (ISO_DAY.test(value)) out[name] = fmt.date(value);
    else if (ISO_INSTANT.test(value)) out[name] = fmt.dateTime(value);
    else out[name] = value;
  }
  const p = params || {};
  if (p.amount) out.amount = fmt.money(p.amount);
  if (p.kind === "amount") Object.assign(out, { value: fmt.money(p.value), min: fmt.money(p.min) });
  if (p.retry_at) out.at = fmt.dateTime(p.retry_at);
  if (p.state) out.state = word("campaigns.state", p.state);
  if (p.disposition) out.disposition = word("campaigns.disposition", p.disposition);
  if (p.status) out.status = word("campaigns.policy-status", p.status);
  if (p.intent) {
    out.intent = has(`campaigns.intent.${p.intent}`)
      ? t(`campaigns.intent.${p.intent}`)
      : t("campaigns.intent.other", { intent: p.intent });
  }
  if (check === "number-plan" && p.kind) out.kind = word("campaigns.number-kind", p.kind);
  return out;
}

// ---- the list -------------------------------------------------------------------------------

function actionButtons(campaign) {
  return el(
    "div",
    { class: "actions" },
    ACTIONS.map(([action, from]) =>
      el(
        "button",
        {
          type: "button",
          class: action === "stop" ? "danger" : "",
          dataset: { action },
          disabled: !from.includes(campaign.state),
          onclick: (event) => {
            event.stopPropagation();
            act(campaign, action);
          },
        },
        actionText(action),
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
      el("strong", { translate: "no" }, campaign.name),
      el(
        "div",
        { class: "muted small" },
        data(campaign.id),
        " · ",
        label("campaigns.mode", campaign.mode),
      ),
    ),
    el("td", {}, stateBadge(campaign.state)),
    el("td", { class: "num", dataset: { field: "attempted" } }, count(p.attempted)),
    el("td", { class: "num" }, count(p.in_progress)),
    el("td", { class: "num", dataset: { field: "reached" } }, count(p.reached)),
    el(
      "td",
      { class: "num", dataset: { field: "promised" } },
      data(fmt.money(p.promised_amount ?? 0)),
      el("div", { class: "muted small" }, tn("campaigns.promises", p.promised ?? 0)),
    ),
    el("td", { class: "num", dataset: { field: "paid" } }, count(p.paid)),
    el(
      "td",
      {
        class: `num${p.abandon_rate > ceiling ? " over" : ""}`,
        dataset: { field: "abandon-rate" },
      },
      data(fmt.percent(p.abandon_rate, 1)),
    ),
    el("td", { class: "num" }, count(p.skipped_decisions)),
    el("td", {}, actionButtons(campaign)),
  );
}

function renderCampaigns() {
  const rows = view.campaigns.map(campaignRow);
  clear(
    document.querySelector("#campaigns tbody"),
    rows.length ? rows : emptyRow(10, t("campaigns.list.empty")),
  );
  const running = view.campaigns.filter((c) => c.state === "running").length;
  const total = view.campaigns.length;
  document.getElementById("campaigns-count").textContent = total
    ? t("campaigns.list.count", { running: fmt.number(running), total: fmt.number(total) })
    : "";
}

// ---- the campaign chosen ----------------------------------------------------------------------

function detailFacts(campaign) {
  const s = campaign.schedule || {};
  return t("campaigns.detail.facts", {
    mode: word("campaigns.mode", campaign.mode),
    start: fmt.date(s.start_date),
    end: fmt.date(s.end_date),
    from: s.hours?.start ?? "–",
    to: s.hours?.end ?? "–",
    channels: fmt.number(campaign.caps?.max_channels ?? 0),
    rate: fmt.number(campaign.caps?.max_calls_per_second ?? 0),
  });
}

function renderDetail() {
  const campaign = view.campaigns.find((c) => c.id === view.selected);
  for (const id of ["detail", "attempts-panel", "decisions-panel"]) {
    document.getElementById(id).hidden = !campaign;
  }
  if (!campaign) return;
  clear(document.getElementById("detail-name"), data(campaign.name));
  clear(document.getElementById("detail-state"), stateBadge(campaign.state));
  document.getElementById("detail-facts").textContent = detailFacts(campaign);
  const csv = document.getElementById("results-csv");
  // for a person: the column headers in the page's language (the API's `lang`)
  csv.href = `/api/v1${path(campaign.id, "/results.csv")}?lang=${encodeURIComponent(LOCALE)}`;
  csv.setAttribute("download", `${campaign.id}-results.csv`);
  renderAttempts();
  renderDecisions();
}

// Why an attempt ended so, from its reason code (nothing for one in progress or recorded before
// reasons had codes). The agent's own note is data.
function attemptReason(attempt) {
  const code = attempt.reason_code;
  if (!code) return null;
  const p = attempt.reason_params || {};
  if (code === "agent" && p.note) {
    const [before] = t("campaigns.why.agent-note").split("{note}");
    return [before, data(p.note)];
  }
  const key = `campaigns.why.${code}`;
  const text = has(key) ? t(key, readable(p)) : t("campaigns.check.other", { check: code });
  return p.source === "cdr" ? t("campaigns.why.from-cdr", { reason: text }) : text;
}

function dispositionCell(attempt) {
  if (!attempt.disposition) {
    return el("span", { class: "badge disp-open" }, t("campaigns.attempts.in-progress"));
  }
  const badge = el(
    "span",
    { class: `badge disp-${attempt.disposition}`, dataset: { disposition: attempt.disposition } },
    label("campaigns.disposition", attempt.disposition),
  );
  const promise = attempt.promise_date
    ? el(
        "div",
        { class: "small" },
        t("campaigns.attempts.promise", {
          amount: fmt.money(attempt.promise_amount),
          date: fmt.date(attempt.promise_date),
        }),
      )
    : null;
  const amd = attempt.amd_status
    ? el(
        "div",
        { class: "muted small" },
        t("campaigns.attempts.amd", { result: word("campaigns.amd", attempt.amd_status) }),
      )
    : null;
  return [badge, promise, amd];
}

function renderAttempts() {
  const rows = view.attempts.map((attempt) =>
    el(
      "tr",
      { dataset: { attempt: attempt.attempt_id } },
      el("td", {}, when(attempt.started_at)),
      el(
        "td",
        {},
        data(attempt.policy_id),
        el("div", { class: "muted small" }, t("campaigns.attempts.try", { seq: attempt.seq })),
      ),
      el("td", {}, data(attempt.number)),
      el("td", {}, dispositionCell(attempt)),
      el("td", {}, attempt.agent ? data(attempt.agent) : null),
      el(
        "td",
        { class: "small reason", dataset: { reason: attempt.reason_code || "" } },
        attemptReason(attempt),
      ),
    ),
  );
  clear(
    document.querySelector("#attempts tbody"),
    rows.length ? rows : emptyRow(6, t("campaigns.attempts.empty")),
  );
  const campaign = view.campaigns.find((c) => c.id === view.selected);
  const total = campaign?.progress?.attempted ?? 0;
  document.getElementById("attempts-count").textContent =
    total > rows.length
      ? t("campaigns.attempts.count", { shown: fmt.number(rows.length), total: fmt.number(total) })
      : "";
}

function decisionBadges(decision) {
  if (decision.dial) {
    return el("span", { class: "badge decision-dial" }, t("campaigns.decision.dial"));
  }
  const skip = el("span", { class: "badge decision-skip" }, t("campaigns.decision.skip"));
  const final = decision.final
    ? el("span", { class: "badge decision-skip final" }, t("campaigns.decision.final"))
    : null;
  return [skip, final];
}

// The decision's reason from its check code and the facts it names; a check with several
// causes has the cause in params.kind (campaigns.check.<check>.<kind>).
function decisionReason(decision) {
  const p = decision.params || {};
  const base = `campaigns.check.${decision.check}`;
  const key = p.kind && has(`${base}.${p.kind}`) ? `${base}.${p.kind}` : base;
  if (!has(key) || Object.keys(p).length === 0) {
    return t("campaigns.check.other", { check: decision.check });
  }
  return t(key, readable(p, decision.check));
}

function renderDecisions() {
  const rows = view.decisions.map((decision) =>
    el(
      "tr",
      { class: decision.dial ? "" : "dim-text", dataset: { check: decision.check } },
      el("td", {}, when(decision.at)),
      el("td", {}, data(decision.policy_id)),
      el("td", {}, data(decision.number)),
      el("td", {}, decisionBadges(decision)),
      el(
        "td",
        { class: "small reason" },
        decisionReason(decision),
        decision.not_before
          ? el(
              "div",
              { class: "muted" },
              t("campaigns.decision.not-before", { at: fmt.dateTime(decision.not_before) }),
            )
          : null,
      ),
    ),
  );
  clear(
    document.querySelector("#decisions tbody"),
    rows.length ? rows : emptyRow(5, t("campaigns.decisions.empty")),
  );
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
    if (exc.status === 403) flash(t("campaigns.flash.forbidden"));
    else if (exc.status !== 401) {
      flash(t("campaigns.flash.refresh-failed", { error: errorText(exc) }));
    }
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

async function act(campaign, action) {
  if (action === "stop" && !confirmText("campaigns.confirm.stop", { name: campaign.name })) return;
  try {
    await api("POST", path(campaign.id, `/${action}`));
    flash(t("campaigns.action.done", { action: actionText(action), name: campaign.name }), "info");
  } catch (exc) {
    flash(t("campaigns.action.refused", { action: actionText(action), error: errorText(exc) }));
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

start().catch((exc) => flash(t("campaigns.flash.start-failed", { error: errorText(exc) })));
window.ivracd = { view, refresh };
