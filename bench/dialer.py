"""The dunning dialer: dialling throughput and pacing accuracy through the sandbox, and the
abandon rate of a simulated progressive campaign.

1. **Pacing through the sandbox** (instance `bench-dialer`, its own ports): the controller's
   dialer runs agentless campaigns of overdue customers; SIPp plays the carrier (it registers
   the `carrier` contact, answers every call, keeps it 3 s and hangs up). Per run (calls per
   second cap, channel cap) the call starts and ends are taken from Asterisk's AMI events
   (Newchannel / Hangup of the dialer's `dun-` channels): the most starts in any 1 s window
   against the cap, the sustained start rate (starts in the whole windows from the first), the
   most channels up at once against the cap, and the
   time from the dialer's decision (the attempt's start) to the channel in Asterisk.
2. **Progressive abandon-rate control, simulated** (``bench.dialer_sim``, seeded): 10
   collections agents, answer probabilities 0.15 / 0.3 / 0.5, six simulated hours; our pacing
   against a predictive dialer without abandon control (ready agents / answer probability
   calls in flight).
   Target: abandoned / answered <= 2 %.

Figures and ratios are printed, never asserted. Needs root (the sandbox) and SIPp.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from bench.dialer_sim import ProgressiveSim, SimFigures
from bench.rest import api
from crm_bridge.db import Database
from crm_bridge.models import Customer, CustomerPhone, Policy
from ivr_acd.secrets import with_secrets
from ivr_acd.settings import Settings, load_settings
from ivr_acd_dev.sandbox import Sandbox
from ivr_acd_dev.stack import BackgroundController, ensure_redis, prepare_crm, settings_env
from wire import redis_keys
from wire.ami import AmiClient
from wire.events import Hangup, Newchannel

HERE = Path(__file__).resolve().parent
SEED = 20261130
CARRIER_PORT = 27199  # where SIPp, playing the carrier, registers from and answers
CONTROLLER_START_S = 240.0
ANSWER_PROBABILITIES = (0.15, 0.3, 0.5)
SIM_SECONDS = 6 * 3600


@dataclass(frozen=True)
class Run:
    name: str
    cps: float
    channels: int
    calls: int


RUNS = (
    Run("rate-bound", cps=5, channels=40, calls=60),
    Run("channel-bound", cps=20, channels=6, calls=48),
    Run("slow", cps=0.5, channels=10, calls=12),
    Run("throughput", cps=50, channels=100, calls=150),  # how fast the dialer itself goes
)


@dataclass
class Timeline:
    """When each dialer channel appeared and went, as AMI reported (monotonic seconds)."""

    starts: dict[str, float] = field(default_factory=dict)
    ends: dict[str, float] = field(default_factory=dict)
    wall: dict[str, float] = field(default_factory=dict)  # epoch seconds of the start


def _settings(state: Path) -> Settings:
    return with_secrets(
        load_settings(
            state_dir=state,
            sandbox={"instance": "bench-dialer"},
            asterisk={"sip_port": 27160, "ami_port": 27138, "rtp_start": 34000, "rtp_end": 34999},
            agi={"port": 27673},
            web={"port": 27180},
            controller={"grace_period": 2.0},
            campaigns={"tick_interval": 0.05, "ring_seconds": 10, "settle_seconds": 0.5},
        )
    )


# ---- the CRM and the API ---------------------------------------------------------------------
async def _customers(settings: Settings, region: str, count: int, first: int) -> None:
    database = Database(settings.database_url)
    try:
        async with database.sessions.begin() as session:
            for n in range(count):
                customer = Customer(
                    name=f"Bench {region} {n}",
                    id_number=f"{region}-{n}",
                    region=region,
                    time_zone="UTC",
                    language="en",
                    phones=[CustomerPhone(number=str(first + n), kind="mobile")],
                )
                session.add(customer)
                await session.flush()
                session.add(
                    Policy(
                        number=f"PB-{region}-{n}",
                        customer_id=customer.id,
                        product="auto",
                        premium=Decimal(500 + n),
                        due_date=date(2026, 1, 1),
                        status="overdue",
                    )
                )
    finally:
        await database.close()


def _document(run: Run, region: str) -> dict[str, Any]:
    once = {"delay_seconds": 3600, "max_attempts": 1}
    today = datetime.now().date()
    return {
        "name": f"bench {run.name}",
        "mode": "agentless",
        "rule": {"min_days_overdue": 1, "min_amount": "1", "regions": [region]},
        "schedule": {
            "start_date": date(today.year, 1, 1).isoformat(),
            "end_date": date(today.year + 1, 12, 31).isoformat(),
            "weekdays": list(range(7)),
            "hours": {"start": "00:00", "end": "23:59"},
        },
        "caps": {"max_channels": run.channels, "max_calls_per_second": run.cps},
        "retry": {
            **{o: once for o in ("busy", "no_answer", "failed", "machine", "abandoned")},
            "max_attempts_per_number_per_day": 50,
        },
        "machine_message": None,
    }


# ---- SIPp as the carrier ---------------------------------------------------------------------
async def _sipp(
    settings: Settings, work: Path, scenario: str, *extra: str
) -> asyncio.subprocess.Process:
    secret = settings.secret(settings.asterisk.carrier_password, "carrier_password")
    return await asyncio.create_subprocess_exec(
        *("sipp", f"127.0.0.1:{settings.asterisk.sip_port}", "-sf", str(HERE / "sipp" / scenario)),
        *("-s", settings.asterisk.carrier_username, "-au", settings.asterisk.carrier_username),
        *("-ap", secret, "-i", "127.0.0.1", "-p", str(CARRIER_PORT), "-nostdin"),
        *extra,
        stdout=subprocess.DEVNULL,
        stderr=(work / f"{scenario}.stderr").open("wb"),
        cwd=work,
    )


@contextlib.asynccontextmanager
async def _carrier(settings: Settings, work: Path) -> AsyncIterator[None]:
    register = await _sipp(settings, work, "carrier_register.xml", "-m", "1", "-timeout", "10s")
    if await register.wait() != 0:
        raise RuntimeError("SIPp could not register the carrier's contact")
    uas = await _sipp(settings, work, "carrier_uas.xml", "-l", "500")
    try:
        yield
    finally:
        uas.terminate()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(uas.wait(), 5)
        if uas.returncode is None:
            uas.kill()


# ---- one measured run --------------------------------------------------------------------------
async def _follow(ami: AmiClient, timeline: Timeline) -> None:
    while True:
        event = await ami.events.get()
        at = time.monotonic()
        if isinstance(event, Newchannel) and event.uniqueid.startswith("dun-"):
            timeline.starts.setdefault(event.uniqueid, at)
            timeline.wall.setdefault(event.uniqueid, time.time())
        elif isinstance(event, Hangup) and event.uniqueid.startswith("dun-"):
            timeline.ends.setdefault(event.uniqueid, at)


async def _measure(settings: Settings, ami: AmiClient, run: Run, first: int) -> dict[str, Any]:
    region = f"bench-{run.name}"
    await _customers(settings, region, run.calls, first)
    timeline = Timeline()
    follower = asyncio.create_task(_follow(ami, timeline))
    try:
        created = await api(settings, "POST", "/campaigns", _document(run, region))
        await api(settings, "POST", f"/campaigns/{created['id']}/start")
        deadline = time.monotonic() + 60 + run.calls / min(run.cps, run.channels / 3.5) * 2
        campaign: dict[str, Any] = {}
        while time.monotonic() < deadline:
            campaign = await api(settings, "GET", f"/campaigns/{created['id']}")
            progress = campaign["progress"]
            if progress["attempted"] >= run.calls and progress["in_progress"] == 0:
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(1.0)  # the last hang-ups
        attempts = await api(settings, "GET", f"/campaigns/{created['id']}/attempts?limit=1000")
        with contextlib.suppress(RuntimeError):  # 409 when it completed meanwhile
            await api(settings, "POST", f"/campaigns/{created['id']}/stop")
    finally:
        follower.cancel()
    return _figures(run, timeline, attempts["attempts"], campaign.get("progress", {}))


def _max_in_window(times: list[float], window: float) -> int:
    best, low = 0, 0
    for high, at in enumerate(times):
        while at - times[low] >= window:
            low += 1
        best = max(best, high - low + 1)
    return best


def _max_concurrent(timeline: Timeline) -> int:
    edges = [(at, 1) for at in timeline.starts.values()]
    edges += [(at, -1) for key, at in timeline.ends.items() if key in timeline.starts]
    up = best = 0
    for _, step in sorted(edges, key=lambda e: (e[0], e[1])):
        up += step
        best = max(best, up)
    return best


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def _figures(
    run: Run, timeline: Timeline, attempts: list[dict[str, Any]], progress: dict[str, Any]
) -> dict[str, Any]:
    starts = sorted(timeline.starts.values())
    span = starts[-1] - starts[0] if len(starts) > 1 else 0.0
    window = 1.0 if run.cps >= 1 else 1.0 / run.cps
    full = int(span // window)  # whole windows from the first start: the sustained rate
    in_full = sum(1 for at in starts if at < starts[0] + full * window) if full else 0
    allowed = int(run.cps) if run.cps >= 1 else 1
    lags = []
    by_linkedid = {a["linkedid"]: a for a in attempts}
    for linkedid, wall in timeline.wall.items():
        attempt = by_linkedid.get(linkedid)
        if attempt is not None:
            decided = datetime.fromisoformat(attempt["started_at"].replace("Z", "+00:00"))
            lags.append((wall - decided.timestamp()) * 1000)
    durations = [timeline.ends[k] - s for k, s in timeline.starts.items() if k in timeline.ends]
    return {
        "run": run,
        "dialled": len(starts),
        "attempts": len(attempts),
        "rate": in_full / (full * window) if full else 0.0,
        "max_window": _max_in_window(starts, window),
        "allowed_window": allowed,
        "window": window,
        "max_channels": _max_concurrent(timeline),
        "lag_p50": _percentile(lags, 0.5),
        "lag_p95": _percentile(lags, 0.95),
        "call_s": sum(durations) / len(durations) if durations else 0.0,
        "by_disposition": progress.get("by_disposition", {}),
    }


def _print_run(f: dict[str, Any]) -> None:
    run: Run = f["run"]
    expected = min(run.cps, run.channels / f["call_s"]) if f["call_s"] else run.cps
    print(
        f"  {run.name:<13} cap {run.cps:g} calls/s, {run.channels} channels: "
        f"{f['dialled']}/{run.calls} dialled ({f['attempts']} attempts), "
        f"sustained {f['rate']:.2f} starts/s (cap-bound expectation {expected:.2f}, "
        f"ratio {f['rate'] / expected if expected else 0:.2f}); most starts in any "
        f"{f['window']:g} s: {f['max_window']} (cap {f['allowed_window']}, ratio "
        f"{f['max_window'] / f['allowed_window']:.2f}); most channels up: {f['max_channels']} "
        f"(cap {run.channels}, ratio {f['max_channels'] / run.channels:.2f}); decision to "
        f"channel p50 {f['lag_p50']:.0f} ms, p95 {f['lag_p95']:.0f} ms; call {f['call_s']:.1f} s",
        flush=True,
    )


async def _clear_redis(settings: Settings) -> None:
    client = aioredis.from_url(settings.redis.url)
    try:
        prefix = redis_keys.prefix_for(settings.sandbox.instance)
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=500)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def _sandbox_runs(quick: bool) -> None:
    if os.geteuid() != 0:
        print("  skipped: the sandbox needs root")
        return
    if shutil.which("sipp") is None:
        print("  skipped: sipp is not installed (make setup)")
        return
    runs = [Run(r.name, r.cps, r.channels, max(6, r.calls // 3)) for r in RUNS] if quick else RUNS
    with tempfile.TemporaryDirectory(prefix="ivr-acd-bench-dialer-") as tmp:
        state = Path(tmp) / "state"
        state.mkdir()
        settings = ensure_redis(_settings(state))
        await _clear_redis(settings)
        phones = await prepare_crm(settings)
        sandbox = Sandbox(settings)
        await asyncio.to_thread(sandbox.build)
        await sandbox.start(phones, fresh=True)
        controller = BackgroundController(settings)
        ast = settings.asterisk
        ami = AmiClient(
            "127.0.0.1", ast.ami_port, ast.ami_username, settings.secret(ast.ami_secret, "ami")
        )
        try:
            controller.start(settings_env(settings), detach=False)
            await controller.wait_healthy(CONTROLLER_START_S)
            ami.start()
            await ami.wait_ready(15)
            async with _carrier(settings, Path(tmp)):
                first = 13600000000
                for run in runs:
                    _print_run(await _measure(settings, ami, run, first))
                    first += 1000
        finally:
            await ami.close()
            await controller.stop()
            await sandbox.stop()
            await _clear_redis(settings)


# ---- the simulated progressive campaign ---------------------------------------------------------
def _print_sim(p: float, ours: SimFigures, peer: SimFigures) -> None:
    print(
        f"  p={p:.2f}: ours {ours.answered} answered, {ours.abandoned} abandoned = "
        f"{ours.abandon_rate:.2%} (target <= 2%, ratio {ours.abandon_rate / 0.02:.2f}), worst "
        f"window {ours.worst_window_rate:.2%}, agents busy {ours.busy_agent_share:.0%}, "
        f"overdial {ours.overdial_share:.0%} of ticks | predictive peer: "
        f"{peer.abandon_rate:.2%} abandoned, agents busy {peer.busy_agent_share:.0%}; "
        f"answered ratio ours/peer {ours.answered / peer.answered if peer.answered else 0:.2f}",
        flush=True,
    )


def _simulations(quick: bool) -> None:
    seconds = SIM_SECONDS // 3 if quick else SIM_SECONDS
    for p in ANSWER_PROBABILITIES:
        ours = ProgressiveSim(p, SEED).run(seconds)
        peer = ProgressiveSim(p, SEED, predictive=True).run(seconds)
        _print_sim(p, ours, peer)


async def main(quick: bool = False) -> None:
    hours = (SIM_SECONDS // 3 if quick else SIM_SECONDS) / 3600
    print(
        f"\nThe dunning dialer: a simulated progressive campaign (10 agents, {hours:g} h, "
        f"seed {SEED}), our abandon-rate control against a predictive dialer without it"
    )
    _simulations(quick)
    print(
        "\nThe dunning dialer through the sandbox: pacing against the calls-per-second and "
        "channel caps (SIPp answers as the carrier)"
    )
    await _sandbox_runs(quick)


if __name__ == "__main__":
    asyncio.run(main("--quick" in sys.argv))
