"""Through the real sandbox, side by side in one run: the same small menu (answer, a second of
silence, a beep asking for a key, a variable set) as FastAGI to ivr-acd's FastAgiServer and as
a classic process AGI written with pyst2 (the peer: one Python process per call). SIPp places
the calls at rising rates. Reported per variant and rate: calls completed per second, CPU per
call (Asterisk, and the AGI side), memory per concurrent call on the AGI side."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asterisk
import six

from bench.agi_load import cpu_seconds
from ivr_acd.sandbox import Sandbox
from ivr_acd.secrets import with_secrets
from ivr_acd.settings import Settings, load_settings

HERE = Path(__file__).resolve().parent


@dataclass
class Sample:
    rate: int
    completed: int
    failed: int
    seconds: float
    asterisk_cpu: float
    agi_cpu: float
    agi_kb_per_call: float
    peak_concurrent: int


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


def _install_peer(sandbox: Sandbox) -> None:
    """pyst2 (and six, which it needs) and the peer's menu script, into the chroot."""
    target = sandbox.inside("/opt/pyst2")
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    shutil.copytree(Path(asterisk.__file__).parent, target / "asterisk")
    shutil.copy(six.__file__, target / "six.py")
    script = sandbox.inside("/opt/ivr-acd-bench/menu.py")
    script.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(HERE / "peer_menu.py", script)
    script.chmod(0o755)


def _children_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def _rss_kb(pid: int) -> int:
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _peer_processes() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if b"/opt/ivr-acd-bench/menu.py" in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
    return pids


def _agi_sessions(port: int) -> int:
    """Established connections on the FastAGI port, server side (from /proc/net/tcp)."""
    wanted = f":{port:04X}"
    count = 0
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            if fields[1].endswith(wanted) and fields[3] == "01":
                count += 1
    return count


@contextlib.asynccontextmanager
async def fastagi_server(port: int) -> AsyncIterator[int]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.agi_server", "--port", str(port), stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    await asyncio.wait_for(proc.stdout.readline(), 30)
    try:
        yield proc.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        await proc.wait()


async def _sipp(
    settings: Settings, service: str, rate: int, seconds: float, screen: Path
) -> tuple[int, int]:
    total = int(rate * seconds)
    secret = settings.secret(settings.asterisk.carrier_password, "carrier_password")
    proc = await asyncio.create_subprocess_exec(
        "sipp",
        f"127.0.0.1:{settings.asterisk.sip_port}",
        "-sf",
        str(HERE / "sipp/uac_auth.xml"),
        "-s",
        service,
        "-au",
        "bench",
        "-ap",
        secret,
        "-r",
        str(rate),
        "-m",
        str(total),
        "-l",
        "2000",
        "-i",
        "127.0.0.1",
        "-p",
        "0",
        "-mp",
        "36000",
        "-nostdin",
        "-trace_screen",
        "-screen_file",
        str(screen),
        "-timeout",
        f"{int(seconds + 40)}s",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=screen.parent,
    )
    await proc.wait()
    text = await asyncio.to_thread(_read, screen)
    ok = re.findall(r"Successful call\s*\|\s*\d+\s*\|\s*(\d+)", text)
    bad = re.findall(r"Failed call\s*\|\s*\d+\s*\|\s*(\d+)", text)
    return int(ok[-1]) if ok else 0, int(bad[-1]) if bad else 0


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


async def _run(
    settings: Settings,
    sandbox_pid: int,
    server_pid: int | None,
    variant: str,
    rate: int,
    seconds: float,
    work: Path,
) -> Sample:
    self_before, children_before = cpu_seconds(sandbox_pid), _children_cpu(sandbox_pid)
    agi_before = cpu_seconds(server_pid) if server_pid else 0.0
    idle_rss = _rss_kb(server_pid) if server_pid else 0
    per_call: list[float] = []
    peak = 0
    sipp = asyncio.create_task(
        _sipp(settings, variant, rate, seconds, work / f"{variant}-{rate}.screen")
    )
    started = time.monotonic()
    while not sipp.done():
        await asyncio.sleep(0.1)
        if server_pid:
            live = _agi_sessions(settings.agi.port)
            if live:
                per_call.append((_rss_kb(server_pid) - idle_rss) / live)
        else:
            peers = _peer_processes()
            live = len(peers)
            if live:
                per_call.append(sum(_rss_kb(pid) for pid in peers) / live)
        peak = max(peak, live)
    completed, failed = await sipp
    elapsed = time.monotonic() - started
    asterisk_cpu = cpu_seconds(sandbox_pid) - self_before
    children_cpu = _children_cpu(sandbox_pid) - children_before  # the peer's AGI processes
    agi_cpu = cpu_seconds(server_pid) - agi_before if server_pid else children_cpu
    kb = max(0.0, sorted(per_call)[len(per_call) // 2]) if per_call else 0.0
    return Sample(rate, completed, failed, elapsed, asterisk_cpu, agi_cpu, kb, peak)


def _report(variant: str, sample: Sample) -> None:
    calls = max(1, sample.completed)
    print(
        f"    {variant:<8} {sample.rate:3d} cps offered: {sample.completed:4d} calls done in "
        f"{sample.seconds:4.1f} s ({sample.failed} failed), "
        f"peak {sample.peak_concurrent:3d} concurrent; "
        f"CPU per call: Asterisk {sample.asterisk_cpu / calls * 1000:6.1f} ms, AGI side "
        f"{sample.agi_cpu / calls * 1000:6.1f} ms; AGI memory per concurrent call "
        f"{sample.agi_kb_per_call:8.1f} KB"
    )


async def main(quick: bool = False) -> None:
    rates = (5, 20) if quick else (5, 10, 20, 40)
    seconds = 8.0 if quick else 15.0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        settings = _settings(work / "state")
        sandbox = Sandbox(settings)
        await asyncio.to_thread(sandbox.build)
        await sandbox.start([], fresh=True)
        try:
            _install_peer(sandbox)
            pid = sandbox.pid()
            assert pid is not None
            await _compare(settings, pid, rates, seconds, work)
        finally:
            await sandbox.stop()


async def _compare(
    settings: Settings, asterisk_pid: int, rates: tuple[int, ...], seconds: float, work: Path
) -> None:
    print("\nThe same IVR menu through the sandbox: FastAGI (ivr-acd) vs process AGI (pyst2)")
    results: dict[str, list[Sample]] = {"fastagi": [], "pyst2": []}
    async with fastagi_server(settings.agi.port) as server_pid:
        for rate in rates:
            for variant in ("fastagi", "pyst2"):
                sample = await _run(
                    settings,
                    asterisk_pid,
                    server_pid if variant == "fastagi" else None,
                    variant,
                    rate,
                    seconds,
                    work,
                )
                results[variant].append(sample)
                _report(variant, sample)
    fast, peer = results["fastagi"][-1], results["pyst2"][-1]
    if fast.agi_kb_per_call > 0:
        print(
            f"  memory per call, pyst2 / FastAGI at {fast.rate} cps: "
            f"{peer.agi_kb_per_call / fast.agi_kb_per_call:8.0f} x"
        )
    print(
        f"  at {fast.rate} cps the FastAGI controller used "
        f"{fast.agi_cpu / max(fast.asterisk_cpu, 1e-9):.2f} x the CPU of Asterisk itself"
    )


if __name__ == "__main__":
    asyncio.run(main("--quick" in sys.argv))
