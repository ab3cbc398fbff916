"""Through the real sandbox, side by side in one run: the same small menu (answer, a second of
silence, a beep asking for one key with a 1 s timeout, a variable set, hang up) as FastAGI to
ivr-acd's FastAgiServer and as a classic process AGI written with pyst2 (the peer: Asterisk
starts one Python process per call). SIPp places the calls through the `bench` PJSIP endpoint
at rising rates, alternating the two variants at each rate.

Per variant and rate: calls answered and completed without failure (a rate is sustained when
every call completed and callers were answered within half a second on average), CPU per call
of Asterisk itself and of the AGI side (the FastAGI server's process; for pyst2, the AGI
processes Asterisk reaped), and memory per concurrent call on the AGI side (the server's RSS
growth over its live sessions; for pyst2, the summed PSS, and RSS, of the live AGI processes
over their number). Targets (issue): memory per call <= 1/100 of the peer's; at the highest
rate the controller uses less CPU than Asterisk itself. Figures are printed, never asserted."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.ivr_peer_agi import (
    check_peer,
    fastagi_server,
    install_peer,
    peer_processes,
    server_sessions,
)
from bench.procfs import cpu_seconds, pss_kb, reaped_children_cpu, rss_kb
from ivr_acd.secrets import with_secrets
from ivr_acd.settings import Settings, load_settings
from ivr_acd.wiring.agi import agi_secret
from ivr_acd_dev.sandbox import Sandbox

HERE = Path(__file__).resolve().parent
VARIANTS = ("fastagi", "pyst2")  # the extensions of the [bench] context
ANSWER_DELAY_SUSTAINED_S = 0.5


@dataclass
class Run:
    variant: str
    rate: int
    offered: int
    completed: int = 0
    failed: int = 0
    answer_s: float = 0.0
    call_s: float = 0.0
    asterisk_cpu: float = 0.0
    agi_cpu: float = 0.0
    peak_calls: int = 0
    kb_per_call: float = 0.0  # RSS growth (FastAGI) or PSS (pyst2) per concurrent call
    rss_kb_per_call: float = 0.0

    @property
    def sustained(self) -> bool:
        return (
            self.failed == 0
            and self.completed == self.offered
            and self.answer_s <= ANSWER_DELAY_SUSTAINED_S
        )

    def per_call_ms(self, cpu: float) -> float:
        return cpu / max(1, self.completed) * 1000


@dataclass
class Bench:
    settings: Settings
    sandbox: Sandbox
    asterisk_pid: int
    work: Path
    runs: list[Run] = field(default_factory=list)


def _settings(state: Path) -> Settings:
    return with_secrets(
        load_settings(
            state_dir=state,
            sandbox={"instance": "bench"},
            asterisk={
                "sip_port": 26060,
                "ami_port": 26038,
                "rtp_start": 32000,
                "rtp_end": 32999,
                "bench_endpoint": True,
            },
            agi={"port": 26573},
        )
    )


# ---- sampling (the AGI sides: bench/ivr_peer_agi.py) ----------------------------------------
@dataclass
class Peak:
    calls: int = 0
    kb_per_call: float = 0.0
    rss_kb_per_call: float = 0.0

    def offer(self, calls: int, kb: float, rss_kb: float) -> None:
        if calls > self.calls:
            self.calls, self.kb_per_call, self.rss_kb_per_call = calls, kb / calls, rss_kb / calls


def _sample(bench: Bench, server: int | None, idle_rss: int, peak: Peak) -> None:
    if server is not None:
        grown = rss_kb(server) - idle_rss
        peak.offer(server_sessions(bench.settings.agi.port), grown, grown)
    else:
        peers = peer_processes(bench.asterisk_pid)
        peak.offer(len(peers), sum(map(pss_kb, peers)), sum(map(rss_kb, peers)))


# ---- SIPp ------------------------------------------------------------------------------------
def _sipp_args(bench: Bench, run: Run, seconds: float, stats: Path) -> list[str]:
    settings = bench.settings
    secret = settings.secret(settings.asterisk.carrier_password, "carrier_password")
    return [
        *("sipp", f"127.0.0.1:{settings.asterisk.sip_port}"),
        *("-sf", str(HERE / "sipp" / "uac_auth.xml")),
        *("-s", run.variant, "-au", "bench", "-ap", secret, "-i", "127.0.0.1", "-p", "0"),
        *("-r", str(run.rate), "-m", str(run.offered), "-l", "2000", "-nostdin"),
        *("-trace_stat", "-stf", str(stats), "-fd", "1"),
        *("-timeout", f"{int(seconds) + 30}s"),
    ]


def _sipp_duration(value: str) -> float:
    """SIPp's HH:MM:SS:micro."""
    hours, minutes, seconds, micro = (int(part) for part in value.split(":"))
    return hours * 3600 + minutes * 60 + seconds + micro / 1e6


def _read_stats(stats: Path, run: Run) -> None:
    with stats.open() as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    if not rows:
        raise RuntimeError(f"SIPp wrote no statistics to {stats}")
    last = rows[-1]
    run.completed = int(last["SuccessfulCall(C)"])
    run.failed = int(last["FailedCall(C)"])
    run.answer_s = _sipp_duration(last["ResponseTime1(C)"])
    run.call_s = _sipp_duration(last["CallLength(C)"])


async def _sipp(bench: Bench, run: Run, seconds: float, server: int | None) -> None:
    """Place the calls; sample the AGI side's memory while they run."""
    stats = bench.work / f"{run.variant}-{run.rate}.csv"
    errors = bench.work / f"{run.variant}-{run.rate}.stderr"  # a file: a pipe could fill up
    idle_rss = rss_kb(server) if server is not None else 0
    peak = Peak()
    with errors.open("wb") as stderr:
        proc = await asyncio.create_subprocess_exec(
            *_sipp_args(bench, run, seconds, stats),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            cwd=bench.work,
        )
    try:
        while proc.returncode is None:
            _sample(bench, server, idle_rss, peak)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 0.2)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    if proc.returncode not in (0, 1) or not stats.exists():  # 1: some calls failed
        tail = errors.read_text(errors="replace")[-800:]
        raise RuntimeError(f"sipp exited {proc.returncode}: {tail}")
    _read_stats(stats, run)
    run.peak_calls, run.kb_per_call, run.rss_kb_per_call = (
        peak.calls,
        peak.kb_per_call,
        peak.rss_kb_per_call,
    )


# ---- one measured run ------------------------------------------------------------------------
async def _quiet(bench: Bench, timeout: float = 60.0) -> None:
    """Wait until the previous run's calls (and AGI processes) are gone."""
    conf = f"{bench.sandbox.paths.etc}/asterisk.conf"
    command = ["chroot", str(bench.sandbox.root), "asterisk", "-C", conf]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        probe = await asyncio.create_subprocess_exec(
            *command, "-rx", "core show channels count", stdout=subprocess.PIPE
        )
        out, _ = await probe.communicate()
        if b"0 active channels" in out and not peer_processes(bench.asterisk_pid):
            return
        await asyncio.sleep(0.5)
    raise RuntimeError("calls of the previous run are still up in the sandbox")


async def _measure(bench: Bench, run: Run, seconds: float, server: int | None) -> None:
    await _quiet(bench)
    asterisk_before = cpu_seconds(bench.asterisk_pid)
    reaped_before = reaped_children_cpu(bench.asterisk_pid)
    server_before = cpu_seconds(server) if server is not None else 0.0
    await _sipp(bench, run, seconds, server)
    await _quiet(bench)  # every AGI process reaped, so its CPU is counted
    run.asterisk_cpu = cpu_seconds(bench.asterisk_pid) - asterisk_before
    if server is not None:
        run.agi_cpu = cpu_seconds(server) - server_before
    else:
        run.agi_cpu = reaped_children_cpu(bench.asterisk_pid) - reaped_before


async def _run(bench: Bench, variant: str, rate: int, seconds: float) -> Run:
    run = Run(variant, rate, offered=int(rate * seconds))
    if variant == "fastagi":
        async with fastagi_server(bench.settings.agi.port, agi_secret(bench.settings)) as server:
            await _measure(bench, run, seconds, server)
    else:
        await _measure(bench, run, seconds, None)
    return run


# ---- report ----------------------------------------------------------------------------------
def _row(run: Run) -> str:
    memory = f"{run.kb_per_call:8.1f} KB"
    if run.variant == "pyst2":
        memory = f"{run.kb_per_call:8.1f} KB PSS ({run.rss_kb_per_call:.0f} KB RSS)"
    return (
        f"    {run.variant:<8}{run.rate:3d} cps: {run.completed:4d}/{run.offered:<4d} done, "
        f"{run.failed:3d} failed, answered in {run.answer_s * 1000:5.0f} ms, "
        f"call {run.call_s:4.1f} s {'sustained' if run.sustained else 'NOT sustained'}; "
        f"CPU/call Asterisk {run.per_call_ms(run.asterisk_cpu):5.1f} ms, "
        f"AGI {run.per_call_ms(run.agi_cpu):5.1f} ms; "
        f"peak {run.peak_calls:3d} calls, AGI memory/call {memory}"
    )


def _summary(runs: list[Run]) -> None:
    best = {
        v: max(
            (r for r in runs if r.variant == v and r.sustained), key=lambda r: r.rate, default=None
        )
        for v in VARIANTS
    }
    for variant, run in best.items():
        print(f"  calls/s sustained, {variant:<8} {run.rate if run else 0:4d} cps")
    measured = [r for r in runs if r.variant == "pyst2" and r.peak_calls]
    if measured:  # the peer at its highest sustained rate (else its first), and us at that rate
        peer = best["pyst2"] or measured[0]
        ours = next(r for r in runs if r.variant == "fastagi" and r.rate == peer.rate)
        if ours.kb_per_call > 0:
            ratio = peer.kb_per_call / ours.kb_per_call
            print(
                f"  memory per concurrent call at {peer.rate} cps: FastAGI {ours.kb_per_call:.1f} "
                f"KB, pyst2 {peer.kb_per_call:.0f} KB PSS: 1/{ratio:.0f} of the peer's "
                f"(target <= 1/100: {'met' if ratio >= 100 else 'NOT met'})"
            )
    top = best["fastagi"]
    if top:
        share = top.agi_cpu / max(top.asterisk_cpu, 1e-9)
        print(
            f"  at {top.rate} cps the FastAGI controller used {share:.2f} x the CPU of Asterisk "
            f"itself (target < 1: {'met' if share < 1 else 'NOT met'})"
        )


async def _compare(bench: Bench, rates: tuple[int, ...], seconds: float) -> None:
    print(f"  {seconds:.0f} s of calls per rate; the menu lasts about 3 s per call")
    saturated: set[str] = set()
    for rate in rates:
        for variant in VARIANTS:
            if variant in saturated:
                print(f"    {variant:<8}{rate:3d} cps: skipped (not sustained at a lower rate)")
                continue
            run = await _run(bench, variant, rate, seconds)
            bench.runs.append(run)
            print(_row(run), flush=True)
            if not run.sustained:
                saturated.add(variant)
    _summary(bench.runs)


def _preflight() -> None:
    if os.geteuid() != 0:
        raise RuntimeError("bench.ivr_peer needs root (the Asterisk sandbox runs in a chroot)")
    if shutil.which("sipp") is None:
        raise RuntimeError("sipp is not installed; run `make setup`")


async def main(quick: bool = False) -> None:
    _preflight()
    rates = (10, 40) if quick else (10, 20, 40, 80, 160)
    seconds = 6.0 if quick else 12.0
    print("\nThe same IVR menu through the sandbox: FastAGI (ivr-acd) vs process AGI (pyst2, peer)")
    with tempfile.TemporaryDirectory(prefix="ivr-acd-bench-") as tmp:
        settings = _settings(Path(tmp) / "state")
        sandbox = Sandbox(settings)
        await asyncio.to_thread(sandbox.build)
        pid = await sandbox.start([], fresh=True)
        try:
            install_peer(sandbox)
            check_peer(sandbox)
            await _compare(Bench(settings, sandbox, pid, Path(tmp)), rates, seconds)
        finally:
            await sandbox.stop()


if __name__ == "__main__":
    asyncio.run(main("--quick" in sys.argv))
