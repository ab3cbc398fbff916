"""The Asterisk sandbox: Debian unstable's Asterisk in a chroot, built once, one instance per
name (its own config, run, log and spool folders and its own ports), so a test run and a demo
can run side by side.

Build:   mmdebstrap (sid, variant apt) into ``<cache_dir>/sid-root``, once, under a file lock.
Start:   render ``asterisk-config/`` and ``dialplans/`` into ``/etc/ivr-acd/<instance>`` inside
         the chroot, run ``chroot ROOT asterisk -C ... -f -n``, record the PID, wait for
         ``FullyBooted`` on AMI.
Stop:    SIGTERM, wait, SIGKILL by PID if it must.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from ivr_acd.asterisk_config import ProvisionedPhone, render_config
from ivr_acd.paths import CDR_JOURNAL, InstancePaths
from ivr_acd.settings import Settings

log = logging.getLogger(__name__)

# python3: classic process AGI scripts (the pyst2 peer in bench/) run inside the sandbox too.
PACKAGES = "asterisk,asterisk-core-sounds-en-wav,asterisk-moh-opsound-wav,python3"
BUILD_MARKER = ".ivr-acd-sandbox"
PORTS_WAIT = 5.0  # seconds a start waits for the ports of an Asterisk that is stopping


class SandboxError(Exception):
    """The sandbox cannot be built or started; the message says why."""


class Sandbox:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.instance = settings.sandbox.instance
        self.root = settings.paths.chroot
        self.paths: InstancePaths = settings.paths.instance
        self.state_dir = settings.state_dir / "asterisk"
        # Beside the chroot, not in the state folder: a stale Asterisk of this instance is found
        # and stopped whichever state folder started it.
        self.pid_file = settings.sandbox.cache_dir / "pids" / f"{self.instance}.pid"

    # ---- build -------------------------------------------------------------------------
    def is_built(self) -> bool:
        """Built, and with the package list this version of the project asks for."""
        try:
            return (self.root / BUILD_MARKER).read_text().splitlines()[0] == PACKAGES
        except (OSError, IndexError):
            return False

    def build(self) -> float:
        """Build the chroot if it is missing; returns the seconds spent (0.0 when cached)."""
        if self.is_built():
            return 0.0
        if os.geteuid() != 0:
            raise SandboxError("building the Asterisk sandbox needs root (mmdebstrap, chroot)")
        cache = self.settings.sandbox.cache_dir
        cache.mkdir(parents=True, exist_ok=True)
        with _file_lock(cache / "build.lock"):
            if self.is_built():
                return 0.0
            return self._mmdebstrap()

    def _mmdebstrap(self) -> float:
        if shutil.which("mmdebstrap") is None:
            raise SandboxError("mmdebstrap is not installed; run `make setup` (apt-get)")
        tmp = self.root.with_name("sid-root.partial")
        shutil.rmtree(tmp, ignore_errors=True)
        started = time.monotonic()
        log.info("building the Asterisk sandbox into %s (Debian sid, about 30 s)", self.root)
        result = subprocess.run(
            [
                "mmdebstrap",
                "--variant=apt",
                '--aptopt=Acquire::Check-Valid-Until "false"',
                f"--include={PACKAGES}",
                "sid",
                str(tmp),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            raise SandboxError(f"mmdebstrap failed: {result.stderr.strip()[-2000:]}")
        shutil.rmtree(self.root, ignore_errors=True)
        tmp.rename(self.root)
        elapsed = time.monotonic() - started
        (self.root / BUILD_MARKER).write_text(f"{PACKAGES}\nbuilt in {elapsed:.1f}s\n")
        log.info("sandbox built in %.1f s", elapsed)
        return elapsed

    # ---- render ------------------------------------------------------------------------
    def inside(self, path: str) -> Path:
        """The host path of a path inside the chroot."""
        return self.settings.paths.in_chroot(path)

    def journal_path(self) -> Path:
        """The CDR journal this sandbox's Asterisk writes (cdr_custom.conf), as the host sees it."""
        return self.inside(self.paths.log) / CDR_JOURNAL

    def render(self, phones: Sequence[ProvisionedPhone]) -> Path:
        etc = self.inside(self.paths.etc)
        etc.mkdir(parents=True, exist_ok=True)
        for folder in self.paths.folders():
            self.inside(folder).mkdir(parents=True, exist_ok=True)
        self.journal_path().parent.mkdir(parents=True, exist_ok=True)
        render_config(self.settings, phones, etc)
        return etc

    # ---- run ---------------------------------------------------------------------------
    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if process_alive(pid) else None

    async def start(self, phones: Sequence[ProvisionedPhone], *, fresh: bool = False) -> int:
        """Render the config, start Asterisk and wait until it is fully booted. ``fresh``
        first wipes the instance's state (logs, CDR journal, spool, astdb)."""
        self.build()
        if self.pid() is not None:
            await self.stop()
        if fresh:
            shutil.rmtree(self.inside(self.paths.run).parent, ignore_errors=True)
        await self._wait_ports_free()
        self.render(phones)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        console = (self.state_dir / "console.log").open("ab")
        conf = f"{self.paths.etc}/asterisk.conf"
        proc = subprocess.Popen(  # noqa: ASYNC220 - detached on purpose, tracked by PID
            ["chroot", str(self.root), "asterisk", "-C", conf, "-f", "-n"],
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        console.close()
        self.pid_file.write_text(f"{proc.pid}\n")
        log.info("asterisk instance=%s pid=%d starting", self.instance, proc.pid)
        try:
            await wait_fully_booted(self.settings, self.settings.sandbox.boot_timeout, proc.pid)
        except SandboxError:
            await self.stop()
            raise
        return proc.pid

    async def stop(self, timeout: float = 10.0) -> None:
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return
        log.info("asterisk instance=%s pid=%d stopping", self.instance, pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while process_alive(pid) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        if process_alive(pid):
            log.warning("asterisk pid=%d did not stop in %.0f s; killing it", pid, timeout)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            while process_alive(pid):
                await asyncio.sleep(0.05)
        self.pid_file.unlink(missing_ok=True)

    async def _wait_ports_free(self, timeout: float = PORTS_WAIT) -> None:
        """The instance's SIP (UDP, and TLS if set) and AMI ports, free within ``timeout`` (a
        stopping Asterisk lets go of them last); still taken: another Asterisk or instance runs
        there."""
        deadline = time.monotonic() + timeout
        while (taken := self._taken_port()) is not None and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        if taken is not None:
            raise SandboxError(
                f"port {taken} is taken; another Asterisk or instance runs there "
                f"(set IVR_ACD_ASTERISK__SIP_PORT / AMI_PORT)"
            )

    def _taken_port(self) -> int | None:
        ast = self.settings.asterisk
        ports = [(socket.SOCK_DGRAM, ast.sip_port), (socket.SOCK_STREAM, ast.ami_port)]
        if ast.sip_tls is not None:
            ports.append((socket.SOCK_STREAM, ast.sip_tls.port))
        for kind, port in ports:
            with socket.socket(socket.AF_INET, kind) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    return port
        return None


def process_alive(pid: int) -> bool:
    """True while any thread of ``pid`` runs. A main thread that has exited shows as a zombie
    while the other threads still shut down (and hold the process's ports): alive."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        states = [_task_state(task) for task in Path(f"/proc/{pid}/task").iterdir()]
    except OSError:
        return True
    if any(state not in ("Z", "X", "") for state in states):
        return True
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    return False


def _task_state(task: Path) -> str:
    try:
        return (task / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""  # the thread is gone


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


async def wait_fully_booted(settings: Settings, timeout: float, pid: int | None = None) -> None:
    """Log in to AMI and wait for the FullyBooted event."""
    deadline = time.monotonic() + timeout
    last_error = "no answer"
    while time.monotonic() < deadline:
        if pid is not None and not process_alive(pid):
            raise SandboxError("asterisk exited during start-up; see its console.log")
        try:
            if await _fully_booted_once(settings, max(0.5, deadline - time.monotonic())):
                return
        except (TimeoutError, OSError) as exc:
            last_error = str(exc) or type(exc).__name__
        await asyncio.sleep(0.2)
    raise SandboxError(f"asterisk did not report FullyBooted within {timeout:.0f} s ({last_error})")


async def _fully_booted_once(settings: Settings, timeout: float) -> bool:
    ast = settings.asterisk
    secret = settings.secret(ast.ami_secret, "asterisk.ami_secret")
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", ast.ami_port), timeout=1.0
    )
    try:
        writer.write(
            f"Action: Login\r\nUsername: {ast.ami_username}\r\nSecret: {secret}\r\n"
            "Events: system\r\n\r\n".encode()
        )
        await writer.drain()
        buffer = b""
        async with asyncio.timeout(min(timeout, 3.0)):
            while b"Event: FullyBooted" not in buffer:
                chunk = await reader.read(4096)
                if not chunk:
                    return False
                buffer += chunk
                if b"Authentication failed" in buffer:
                    raise SandboxError("AMI refused the generated secret")
        return True
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
