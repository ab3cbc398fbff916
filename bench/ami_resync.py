"""AMI reconnect resync: how long after the AMI connection drops every subscriber of the event
stream (call tracking, the ACD, supervision, the dialer) has resynchronised with what Asterisk
has live, and how many CoreShowChannels requests that takes.

The sandbox (instance `bench-resync`, its own ports) holds 200 live channels: 100 Local channel
pairs whose `;2` half goes through `ivr-entry` and `acd-enqueue` (a FastAGI server of the
bench's own answers both) and then waits in `acd-wait`'s music like a caller in line, while the
`;1` half runs Wait().

The measuring part (``bench/resync_probe.py``) runs in a child process per code tree, wiring
that tree's subscribers as its controller does (their stores in memory: the figure is the AMI
side of a resync) behind a TCP proxy that drops the connection each round. This tree is always
measured; the previous code is measured too when ``IVR_ACD_BENCH_BEFORE`` names a checkout of
it. Without one, the previous behaviour (each of the four subscribers asked for
CoreShowChannels itself, one after the other) is estimated by timing four sequential
CoreShowChannels requests against one, over the same 200 channels. Figures and ratios are
printed, never asserted. Needs root (the sandbox).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ivr_acd.secrets import with_secrets
from ivr_acd.settings import Settings, load_settings
from ivr_acd.wiring.agi import agi_guard, dialplan_agi_targets
from ivr_acd_dev.sandbox import Sandbox
from ivr_acd_dev.stack import prepare_crm
from wire import names
from wire.agi import AgiChannel, FastAgiServer
from wire.ami import AmiClient
from wire.commands import Originate

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PROBE = HERE / "resync_probe.py"
BEFORE_ENV = "IVR_ACD_BENCH_BEFORE"
PAIRS = 100  # Local channel pairs: 200 channels
ROUNDS, QUICK_ROUNDS = 7, 3
FILL_TIMEOUT = 120.0


def _settings(state: Path) -> Settings:
    return with_secrets(
        load_settings(
            state_dir=state,
            sandbox={"instance": "bench-resync"},
            asterisk={"sip_port": 27260, "ami_port": 27238, "rtp_start": 35000, "rtp_end": 35999},
            agi={"port": 27773},
            web={"port": 27280},
            acd={"announce_every": 300},  # the callers hold in music, no announcement
        )
    )


# ---- 200 live channels ---------------------------------------------------------------------
async def _to_the_line(channel: AgiChannel) -> None:
    await channel.set_variable(names.VAR_NEXT, names.NEXT_PERSON)


async def _wait_in_line(channel: AgiChannel) -> None:
    await channel.set_variable(names.VAR_ACD_NEXT, names.ACD_WAIT)


async def _fill(settings: Settings, ami: AmiClient) -> int:
    """Originate the Local pairs; the number of live channels once all are waiting."""
    target = dialplan_agi_targets(settings)[0]  # 127.0.0.1:<port>/<secret>
    for n in range(PAIRS):
        await ami.send(
            Originate(
                channel=f"Local/s@{names.CTX_IVR}",
                application="Wait",
                data="900",
                channel_id=f"bench-resync-{n}",
                other_channel_id=f"bench-resync-{n}-2",
                variables={names.VAR_AGI_TARGET: target},
            )
        )
    deadline, holding = time.monotonic() + FILL_TIMEOUT, 0
    while time.monotonic() < deadline:
        rows = await ami.channels()
        holding = sum(1 for r in rows if r.context == names.CTX_ACD_WAIT and r.application)
        if holding >= PAIRS and len(rows) >= 2 * PAIRS:
            return len(rows)
        await asyncio.sleep(1.0)
    raise RuntimeError(f"only {holding} of {PAIRS} callers reached the line")


# ---- the probes ----------------------------------------------------------------------------
async def _probe(tree: Path, settings: Settings, rounds: int) -> dict[str, Any]:
    ast = settings.asterisk
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "RESYNC_PROBE_AMI_SECRET": settings.secret(ast.ami_secret, "ami_secret"),
    }
    journal = Sandbox(settings).journal_path()
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, str(PROBE), "--port", str(ast.ami_port)),
        *("--journal", str(journal), "--rounds", str(rounds)),
        env=env,
        cwd=str(tree),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"the resync probe failed on {tree} (exit {proc.returncode})")
    return dict(json.loads(out.decode().strip().splitlines()[-1]))


def _line(label: str, f: dict[str, Any]) -> None:
    rows = f"{f['rows']} rows in the resync; " if f["rows"] >= 0 else ""
    print(
        f"  {label:<9} drop -> every subscriber resynced {f['drop_s'] * 1000:7.0f} ms "
        f"(reconnect -> resynced {f['connect_s'] * 1000:6.0f} ms); {rows}"
        f"CoreShowChannels per reconnect: {f['lookups']}",
        flush=True,
    )


def _report(after: dict[str, Any], before: dict[str, Any] | None, live: int) -> None:
    print(f"  {live} live channels; median of {len(after['rounds'])} reconnects each")
    _line("now", after)
    one, four = after["one_lookup_s"], after["sequential_lookups_s"]
    lookups = (
        f"one CoreShowChannels over these channels {one * 1000:.0f} ms, four in a row "
        f"{four * 1000:.0f} ms (ratio {four / one if one else 0:.2f})"
    )
    if before is None:
        print(
            f"  before: no checkout of the previous code ({BEFORE_ENV} unset). It had each of "
            "the 4 subscribers ask for CoreShowChannels itself, one after the other; estimated "
            f"here by the requests alone: {lookups}"
        )
        return
    _line("before", before)
    ratio = before["connect_s"] / after["connect_s"] if after["connect_s"] else 0.0
    print(
        f"  reconnect -> resynced: before / now = {ratio:.2f}; CoreShowChannels round trips "
        f"{before['lookups']} -> {after['lookups']}; drop -> resynced includes panoramisk's "
        f"1 s reconnect delay in both; for scale: {lookups}",
        flush=True,
    )


async def main(quick: bool = False) -> None:
    print("\nAMI reconnect resync: one CoreShowChannels for every subscriber")
    if os.geteuid() != 0:
        print("  skipped: the sandbox needs root")
        return
    before_dir = os.environ.get(BEFORE_ENV)
    rounds = QUICK_ROUNDS if quick else ROUNDS
    with tempfile.TemporaryDirectory(prefix="ivr-acd-bench-resync-") as tmp:
        settings = _settings(Path(tmp) / "state")
        sandbox = Sandbox(settings)
        await asyncio.to_thread(sandbox.build)
        await sandbox.start(await prepare_crm(settings), fresh=True)
        routes = {names.AGI_ROUTE_IVR: _to_the_line, names.AGI_ROUTE_ACD_ENQUEUE: _wait_in_line}
        guard = agi_guard(settings)
        agi = FastAgiServer("127.0.0.1", settings.agi.port, routes, _to_the_line, guard)
        await agi.start()
        ast = settings.asterisk
        ami = AmiClient(
            "127.0.0.1", ast.ami_port, ast.ami_username, settings.secret(ast.ami_secret, "ami")
        )
        ami.start()
        try:
            await ami.wait_ready(15)
            live = await _fill(settings, ami)
            after = await _probe(ROOT, settings, rounds)
            before = await _probe(Path(before_dir), settings, rounds) if before_dir else None
            _report(after, before, live)
        finally:
            await ami.close()
            await agi.stop_accepting()
            await agi.drain(1.0)
            await sandbox.stop()


if __name__ == "__main__":
    asyncio.run(main("--quick" in sys.argv))
