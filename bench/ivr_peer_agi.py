"""The two AGI sides of bench/ivr_peer.py: the classic process AGI written with pyst2 (the peer,
installed into the sandbox's own Python) and ivr-acd's FastAGI server in a process of its own;
each is checked once before it is measured, and counted while calls run."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asterisk
import six

from bench.agi_server import SECRET_ENV
from bench.procfs import children_of
from ivr_acd_dev.sandbox import Sandbox

HERE = Path(__file__).resolve().parent
PEER_SCRIPT = "/opt/ivr-acd-bench/menu.py"  # dialplans/bench.conf runs it
MENU_VERBS = ("ANSWER", "STREAM FILE", "GET DATA", "SET VARIABLE")


def install_peer(sandbox: Sandbox) -> None:
    """pyst2 (pure Python, and six, which it imports) into the sandbox Python's dist-packages,
    and the peer's menu script where the dialplan runs it."""
    versions = sorted(sandbox.inside("/usr/lib").glob("python3.*"))
    if not versions:
        raise RuntimeError("the sandbox has no python3; rebuild it (`ivr-acd sandbox build`)")
    site = sandbox.inside(f"/usr/local/lib/{versions[-1].name}/dist-packages")
    site.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(site / "asterisk", ignore_errors=True)
    shutil.copytree(Path(asterisk.__file__).parent, site / "asterisk")
    shutil.copy(six.__file__, site / "six.py")
    script = sandbox.inside(PEER_SCRIPT)
    script.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(HERE / "peer_menu.py", script)
    script.chmod(0o755)


def _menu_verbs(transcript: str) -> tuple[str, ...]:
    return tuple(v for line in transcript.splitlines() for v in MENU_VERBS if line.startswith(v))


def check_peer(sandbox: Sandbox) -> None:
    """Run the pyst2 script once inside the sandbox against a scripted Asterisk."""
    answers = "agi_request: menu.py\nagi_channel: PJSIP/bench-1\n\n" + "200 result=0\n" * 4
    result = subprocess.run(
        ["chroot", str(sandbox.root), PEER_SCRIPT],
        input=answers,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if result.returncode != 0 or _menu_verbs(result.stdout) != MENU_VERBS:
        raise RuntimeError(f"the pyst2 peer does not run in the sandbox: {result.stderr[-800:]}")


async def _check_fastagi(port: int, secret: str) -> None:
    """Run the `menu` route once against a scripted Asterisk (also warms the server up)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    script = f"agi_network_script: {secret}/menu\n".encode()
    writer.write(b"agi_network: yes\n" + script + b"agi_channel: PJSIP/bench-1\n\n")
    commands = []
    async with asyncio.timeout(10):
        while line := await reader.readline():
            commands.append(line.decode())
            writer.write(b"200 result=0\n")
    writer.close()
    if _menu_verbs("".join(commands)) != MENU_VERBS:
        raise RuntimeError(f"the FastAGI menu route sent {commands!r}")


@contextlib.asynccontextmanager
async def fastagi_server(port: int, secret: str) -> AsyncIterator[int]:
    """A fresh FastAGI server process (so its idle RSS is measured before any call), serving
    sessions that carry the sandbox's AGI ``secret``."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "bench.agi_server", "--port", str(port)),
        stdout=subprocess.PIPE,
        env={**os.environ, SECRET_ENV: secret},
    )
    try:
        assert proc.stdout is not None
        if (await asyncio.wait_for(proc.stdout.readline(), 30)).strip() != b"ready":
            raise RuntimeError("bench.agi_server did not start")
        await _check_fastagi(port, secret)
        await asyncio.sleep(0.3)
        yield proc.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        await proc.wait()


def server_sessions(port: int) -> int:
    """Established FastAGI connections, server side (from /proc/net/tcp)."""
    local = f":{port:04X}"
    with open("/proc/net/tcp") as table:
        return sum(
            1
            for line in table.readlines()[1:]
            if (fields := line.split())[1].endswith(local) and fields[3] == "01"
        )


def peer_processes(asterisk_pid: int) -> list[int]:
    pids = []
    for pid in children_of(asterisk_pid):
        with contextlib.suppress(OSError):
            if PEER_SCRIPT.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                pids.append(pid)
    return pids
