"""Our ACD side by side with Asterisk's app_queue on the same sandbox (instance `bench-acd`, its
own ports, app_queue loaded only there): the same six agents (8001-8006, pjsua2 softphones, all
given skill "service" in Mandarin and the same wrap-up for our ACD; static members of a
`leastrecent` queue with ringinuse=no for app_queue) and the same seeded call trace (Poisson
arrivals; per call the caller's patience, the agent's ring delay and the handle time; see
bench/call_trace.py), placed by pjsua2 callers through the `bench` endpoint to `acd-<number>`
(the controller's acd-enqueue AGI, then acd-deliver's Dial) or `appqueue-<number>` (Queue()).
Our system runs first, with the controller up and the agents logged in through the REST API;
then the agents are logged out, the controller stops, and app_queue takes the same trace.

Measured from Asterisk's AMI event timestamps (bench/acd_metrics.py): ASA, service level
(answered within 20 s / offered), abandon rate, fairness of the agents' idle time, and the time
from enqueue to the agent's INVITE (DialBegin) for calls that found an agent free. Targets
(issue): ASA and service level equal or better than app_queue's; INVITE no later than
app_queue's + 20 ms (medians). Figures are printed, never asserted.

Wrap-up is 0 s in both by default (app_queue's wrapuptime counts whole seconds, ours ends on the
ACD's tick, so a non-zero wrap-up is not the same in both); ACD_PEER_WRAPUP=2 sets another.
ACD_PEER_SEEDS=a,b,c runs one trace per seed and also reports them pooled (one trace of ~95
calls moves its ASA by a tenth of a second with a handful of callers). ACD_PEER_PROFILE=1 also
prints where our time from enqueue to INVITE goes (every dialplan step and AGI command; more AMI
load, so slower figures); ACD_PEER_DUMP=/path/prefix writes each run's raw timeline as JSON."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import redis.asyncio as aioredis

from bench.acd_floor import Floor, Outcome
from bench.acd_metrics import (
    SERVICE_LEVEL_SECONDS,
    Figures,
    both_answered,
    figures,
    free_on_arrival,
    percentile,
    timelines,
)
from bench.acd_profile import breakdown
from bench.ami_timeline import AmiTimeline, Stamp
from bench.call_trace import TraceCall, TraceShape, generate, offered_load
from bench.rest import api
from ivr_acd.secrets import with_secrets
from ivr_acd.settings import Settings, load_settings
from ivr_acd_dev.sandbox import ProvisionedPhone, Sandbox
from ivr_acd_dev.stack import BackgroundController, ensure_redis, prepare_crm, settings_env
from wire import redis_keys

AGENTS = ("8001", "8002", "8003", "8004", "8005", "8006")
SEED = 20240917
# The same wrap-up in both: 0 s by default, because app_queue's wrapuptime counts whole seconds
# (a 2 s wrap-up lasts 1-2 s there) while ours ends on the ACD's tick (2 s and up to one tick).
WRAPUP_SECONDS = int(os.environ.get("ACD_PEER_WRAPUP", "0"))
RING_SECONDS = 15  # ring-no-answer, both systems (never reached: the agents pick up sooner)
INVITE_MARGIN_MS = 20.0
SHAPE = TraceShape(
    calls=96,
    rate=0.38,
    patience_mean=30.0,
    patience_min=5.0,
    handle_median=12.0,
    handle_sigma=0.5,
    handle_min=4.0,
    handle_max=40.0,
    ring_min=0.5,
    ring_max=1.5,
)
QUICK_CALLS = 30
BENCH_AGENT = {"skills": {"service": 3}, "languages": ["zh"], "wrapup_seconds": WRAPUP_SECONDS}
CONTROLLER_START_S = 240.0  # the controller renders every menu prompt (TTS) before it listens


def _settings(state: Path) -> Settings:
    return with_secrets(
        load_settings(
            state_dir=state,
            sandbox={"instance": "bench-acd"},
            asterisk={
                "sip_port": 27060,
                "ami_port": 27038,
                "rtp_start": 33000,
                "rtp_end": 33999,
                "bench_endpoint": True,
                "agent_ring_seconds": RING_SECONDS,
            },
            agi={"port": 27573},
            web={"port": 27080},
            controller={"grace_period": 5.0},
            acd={"wrapup_seconds": {"default": WRAPUP_SECONDS}},
        )
    )


@dataclass
class Bench:
    settings: Settings
    sandbox: Sandbox
    phones: list[ProvisionedPhone]
    floor: Floor

    @property
    def agent_phones(self) -> list[ProvisionedPhone]:
        return [p for p in self.phones if p.extension in AGENTS]


# ---- the sandbox -----------------------------------------------------------------------------
async def _cli(sandbox: Sandbox, command: str) -> str:
    conf = f"{sandbox.paths.etc}/asterisk.conf"
    probe = await asyncio.create_subprocess_exec(
        *("chroot", str(sandbox.root), "asterisk", "-C", conf, "-rx", command),
        stdout=subprocess.PIPE,
    )
    out, _ = await probe.communicate()
    return out.decode(errors="replace")


async def _quiet(sandbox: Sandbox, timeout: float = 90.0) -> None:
    """Wait until every call of the run has ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "0 active channels" in await _cli(sandbox, "core show channels count"):
            return
        await asyncio.sleep(0.5)
    raise RuntimeError("calls of the run are still up in the sandbox")


async def _check_queue(sandbox: Sandbox) -> None:
    """app_queue is loaded and its queue has the six agents, registered and free."""
    shown = await _cli(sandbox, "queue show benchq")
    free = sum(1 for ext in AGENTS if f"PJSIP/{ext}" in shown)
    if "leastrecent" not in shown or free != len(AGENTS) or shown.count("(Not in use)") < free:
        raise RuntimeError(f"app_queue's bench queue is not ready:\n{shown}")


async def _clear_redis(settings: Settings) -> None:
    """The instance's live ACD state from an earlier run (agents left logged in...)."""
    client = aioredis.from_url(settings.redis.url)
    try:
        prefix = redis_keys.prefix_for(settings.sandbox.instance)
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=500)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


# ---- the REST API ----------------------------------------------------------------------------
async def _agents_ready(settings: Settings) -> None:
    """Log the agents in one after the other (8001 has been idle longest)."""
    for extension in AGENTS:
        await api(settings, "POST", f"/agents/{extension}/login")
        await asyncio.sleep(0.2)
    states = [await api(settings, "GET", f"/agents/{ext}/state") for ext in AGENTS]
    if any(state["state"] != "ready" for state in states):
        raise RuntimeError(f"agents not ready: {states}")


# ---- the two runs ----------------------------------------------------------------------------
async def _measure(bench: Bench, system: str, prefix: str, profile: bool = False) -> Figures:
    await _quiet(bench.sandbox)
    async with AmiTimeline(bench.settings, profile=profile).recording() as timeline:
        outcome = await bench.floor.play(prefix)
        await _quiet(bench.sandbox)
        await asyncio.sleep(0.5)  # the last hang-up events
    if dump := os.environ.get("ACD_PEER_DUMP"):  # the raw timeline, to look into a run
        _dump(Path(f"{dump}.{prefix}.json"), timeline.stamps, outcome)
    for failure in outcome.failures[:5]:
        print(f"    {system}: phone trouble: {failure}")
    lag = max(outcome.late_starts, default=0.0)
    print(
        f"    {system}: {len(outcome.late_starts)} calls placed (latest {lag * 1000:.0f} ms "
        f"behind the trace), {len(outcome.gave_up)} callers gave up, "
        f"{len(outcome.failures)} phone failures",
        flush=True,
    )
    if profile:
        _profile(timeline, len(outcome.late_starts))
    return figures(system, timeline.stamps, AGENTS, WRAPUP_SECONDS, outcome.seen_by_agent)


def _profile(timeline: AmiTimeline, placed: int) -> None:
    calls = sorted(timelines(timeline.stamps).values(), key=lambda c: c.enqueued)
    free = free_on_arrival(calls, AGENTS, WRAPUP_SECONDS)
    print(f"    ivr-acd, enqueue -> INVITE, median ms over {len(free)} calls (ACD_PEER_PROFILE):")
    for phase, ms in breakdown(free, timeline.stamps):
        print(f"      {phase:<44}{ms:7.2f}")
    per_call = max(placed, 1)
    top = ", ".join(f"{name} {n / per_call:.0f}" for name, n in timeline.counts.most_common(8))
    print(
        f"    AMI events per call, as the controller's connection gets them too: "
        f"{timeline.counts.total() / per_call:.0f} ({top})"
    )


def _dump(path: Path, stamps: list[Stamp], outcome: Outcome) -> None:
    raw = {"stamps": [vars(s) for s in stamps], "outcome": vars(outcome)}
    path.write_text(json.dumps(raw, default=sorted))


async def _run_ours(bench: Bench) -> Figures:
    settings = bench.settings
    controller = BackgroundController(settings)
    controller.start(settings_env(settings), detach=False)
    try:
        await controller.wait_healthy(CONTROLLER_START_S)
        for extension in AGENTS:  # every agent takes every bench call, like app_queue's members
            await api(settings, "PATCH", f"/agents/{extension}", BENCH_AGENT)
        await bench.floor.register_agents(bench.agent_phones)  # after the PJSIP reloads
        await _agents_ready(settings)
        profile = bool(os.environ.get("ACD_PEER_PROFILE"))
        result = await _measure(bench, "ivr-acd", "acd", profile)
        await asyncio.sleep(WRAPUP_SECONDS + 1.5)
        for extension in AGENTS:
            await api(settings, "POST", f"/agents/{extension}/logout")
    finally:
        await controller.stop()
    return result


async def _run_app_queue(bench: Bench) -> Figures:
    await _check_queue(bench.sandbox)
    return await _measure(bench, "app_queue", "appqueue")


# ---- report ----------------------------------------------------------------------------------
def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def _ms(values: Sequence[float]) -> str:
    if not values:
        return "n/a"
    return f"{_median(values):6.1f} / {percentile(values, 0.9):6.1f} ms (n={len(values)})"


def _rows(ours: Figures, peer: Figures) -> list[tuple[str, str, str, str]]:
    def count(f: Figures) -> str:
        return f"{f.abandoned} ({f.abandon_rate:.1%})"

    mine, theirs, common = both_answered(ours, peer)

    return [
        ("offered / answered", f"{ours.offered} / {ours.answered}", f"{peer.offered} / "
         f"{peer.answered}", ""),
        ("ASA (mean wait, answered)", f"{ours.asa:.2f} s", f"{peer.asa:.2f} s",
         f"{ours.asa - peer.asa:+.2f} s ({ours.asa / max(peer.asa, 1e-9):.2f} x)"),
        (f"service level (<= {SERVICE_LEVEL_SECONDS:.0f} s)", f"{ours.service_level:.1%}",
         f"{peer.service_level:.1%}",
         f"{(ours.service_level - peer.service_level) * 100:+.1f} pt"),
        ("abandoned (rate)", count(ours), count(peer),
         f"{(ours.abandon_rate - peer.abandon_rate) * 100:+.1f} pt"),
        ("agent idle time: CV", f"{ours.idle_cv:.3f}", f"{peer.idle_cv:.3f}", ""),
        ("agent idle time: max / min", f"{ours.idle_max_min:.2f}", f"{peer.idle_max_min:.2f}", ""),
        ("calls handled: Jain's index", f"{ours.jain_handled:.3f}", f"{peer.jain_handled:.3f}", ""),
        ("enqueue -> INVITE, median / p90", _ms(ours.invite_ms), _ms(peer.invite_ms),
         f"{_median(ours.invite_ms) - _median(peer.invite_ms):+.1f} ms"),
        ("enqueue -> agent phone rings", _ms(ours.seen_ms), _ms(peer.seen_ms),
         f"{_median(ours.seen_ms) - _median(peer.seen_ms):+.1f} ms"),
        ("agent free -> INVITE, waiting call", _ms(ours.refill_ms), _ms(peer.refill_ms),
         f"{_median(ours.refill_ms) - _median(peer.refill_ms):+.1f} ms"),
        (f"mean wait, the {common} calls both answered", f"{mine:.2f} s", f"{theirs:.2f} s",
         f"{mine - theirs:+.2f} s"),
    ]  # fmt: skip


def _report(ours: Figures, peer: Figures) -> None:
    print(f"    {'':34}{'ivr-acd':>26}{'app_queue':>26}   difference")
    for label, mine, theirs, diff in _rows(ours, peer):
        print(f"    {label:<34}{mine:>26}{theirs:>26}   {diff}")
    for f in (ours, peer):
        handled = " ".join(f"{a}:{n}" for a, n in sorted(f.handled.items()))
        idle = " ".join(f"{a}:{s:.0f}s" for a, s in sorted(f.idle.items()))
        print(f"    {f.system:<10} handled {handled}; idle {idle} of {f.span:.0f} s")
    verdicts = (
        ("ASA <= app_queue's", ours.asa <= peer.asa),
        ("service level >= app_queue's", ours.service_level >= peer.service_level),
        (
            f"INVITE median <= app_queue's + {INVITE_MARGIN_MS:.0f} ms",
            bool(ours.invite_ms)
            and _median(ours.invite_ms) <= _median(peer.invite_ms) + INVITE_MARGIN_MS,
        ),
    )
    for what, ok in verdicts:
        print(f"  target {what}: {'PASS' if ok else 'FAIL'}")


def _describe(shape: TraceShape, trace: list[TraceCall], seed: int) -> None:
    span = trace[-1].at if trace else 0.0
    load = offered_load(trace, len(AGENTS), WRAPUP_SECONDS)
    print(
        f"  {len(trace)} calls over {span:.0f} s (Poisson {shape.rate}/s, seed {seed}); patience "
        f"mean {shape.patience_mean:.0f} s (>= {shape.patience_min:.0f} s), handle median "
        f"{shape.handle_median:.0f} s, agents pick up after {shape.ring_min}-{shape.ring_max} s, "
        f"wrap-up {WRAPUP_SECONDS} s; {len(AGENTS)} agents, offered load {load:.2f} per agent",
        flush=True,
    )


def _preflight() -> None:
    if os.geteuid() != 0:
        raise RuntimeError("bench.acd_peer needs root (the Asterisk sandbox runs in a chroot)")


async def _compare(settings: Settings, trace: list[TraceCall]) -> tuple[Figures, Figures]:
    phones = await prepare_crm(settings)
    sandbox = Sandbox(settings)
    await asyncio.to_thread(sandbox.build)
    await sandbox.start(phones, fresh=True)
    try:
        async with Floor.open(settings, trace, settings.state_dir / "phones.log") as floor:
            bench = Bench(settings, sandbox, phones, floor)
            ours = await _run_ours(bench)
            peer = await _run_app_queue(bench)
        _report(ours, peer)
        return ours, peer
    finally:
        await sandbox.stop()


def _pooled(runs: Sequence[Figures]) -> tuple[float, float, float, int, int]:
    """ASA, service level and abandon rate over every call of several traces together."""
    waits = [wait for f in runs for wait in f.waits.values()]
    offered = sum(f.offered for f in runs)
    within = sum(1 for wait in waits if wait <= SERVICE_LEVEL_SECONDS)
    answered = len(waits)
    asa = statistics.fmean(waits) if waits else 0.0
    return asa, within / max(offered, 1), (offered - answered) / max(offered, 1), offered, answered


def _report_pooled(seeds: Sequence[int], pairs: Sequence[tuple[Figures, Figures]]) -> None:
    ours = _pooled([pair[0] for pair in pairs])
    peer = _pooled([pair[1] for pair in pairs])
    print(f"\n  all {len(seeds)} traces together (seeds {', '.join(map(str, seeds))}):")
    for system, (asa, level, abandon, offered, answered) in (
        ("ivr-acd", ours),
        ("app_queue", peer),
    ):
        print(
            f"    {system:<10} offered {offered}, answered {answered}, ASA {asa:.2f} s, "
            f"service level {level:.1%}, abandon rate {abandon:.1%}"
        )
    print(f"  target ASA <= app_queue's (all traces): {'PASS' if ours[0] <= peer[0] else 'FAIL'}")
    verdict = "PASS" if ours[1] >= peer[1] else "FAIL"
    print(f"  target service level >= app_queue's (all traces): {verdict}")


def _seeds() -> list[int]:
    """ACD_PEER_SEEDS=20240917,1,2 runs one trace per seed (one trace is ~95 calls: its ASA
    moves by a tenth of a second with a handful of callers) and also reports them pooled."""
    raw = os.environ.get("ACD_PEER_SEEDS", "")
    return [int(seed) for seed in raw.split(",") if seed.strip()] or [SEED]


async def main(quick: bool = False) -> None:
    _preflight()
    shape = replace(SHAPE, calls=QUICK_CALLS) if quick else SHAPE
    seeds, pairs = _seeds(), []
    print("\nThe ACD side by side with Asterisk's app_queue (same sandbox, agents and call trace)")
    for seed in seeds:
        trace = generate(shape, seed)
        _describe(shape, trace, seed)
        with tempfile.TemporaryDirectory(prefix="ivr-acd-bench-acd-") as tmp:
            state = Path(tmp) / "state"
            state.mkdir()
            settings = ensure_redis(_settings(state))
            await _clear_redis(settings)
            try:
                pairs.append(await _compare(settings, trace))
            finally:
                await _clear_redis(settings)
    if len(pairs) > 1:
        _report_pooled(seeds, pairs)


if __name__ == "__main__":
    asyncio.run(main("--quick" in sys.argv))
