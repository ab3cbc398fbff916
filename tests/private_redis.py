"""A redis-server of the test's own (never the shared one on 6379), on a free port with no
persistence: ``restart_empty`` brings it back empty, as a Redis that lost its data. And the
production topology in small: a primary, a replica and three Sentinels (``redis-server
--sentinel``, the binary Debian's redis-sentinel links to), whose primary a test can kill."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

START_WAIT = 5.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class PrivateRedis:
    def __init__(self, folder: Path, port: int | None = None, *extra: str) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (scripts/install-system-deps)")
        self.binary = binary
        self.folder = folder
        self.port = port or free_port()
        self.extra = extra  # more arguments (a config file first, --sentinel, --replicaof ...)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        config = [self.extra[0]] if self.extra[:1] and self.extra[0].endswith(".conf") else []
        args = [self.binary, *config, "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        args += self.extra[len(config) :]
        self._process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_WAIT
        while not _answers(self.port):
            if time.monotonic() > deadline or self._process.poll() is not None:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._process is not None:
            self._process.kill()  # as a crash: nothing saved, nothing handed over
            self._process.wait()
            self._process = None

    def restart_empty(self) -> None:
        self.stop()
        self.start()


SENTINEL_CONF = """sentinel monitor {name} 127.0.0.1 {primary} 2
sentinel down-after-milliseconds {name} 500
sentinel failover-timeout {name} 2000
sentinel parallel-syncs {name} 1
"""


class PrivateSentinels:
    """A primary, a replica of it and three Sentinels watching it as ``name``."""

    def __init__(self, folder: Path, name: str = "ivracd") -> None:
        self.name = name
        self.primary = PrivateRedis(folder / "primary")
        self.replica = PrivateRedis(
            folder / "replica", None, "--replicaof", "127.0.0.1", str(self.primary.port)
        )
        self.sentinels: list[PrivateRedis] = []
        for n in range(3):
            conf = folder / f"sentinel-{n}.conf"  # Sentinel rewrites its file: one each
            self.sentinels.append(PrivateRedis(folder / f"sentinel-{n}", None, str(conf)))
        self._confs = [folder / f"sentinel-{n}.conf" for n in range(3)]

    @property
    def addresses(self) -> list[str]:
        return [f"127.0.0.1:{s.port}" for s in self.sentinels]

    def start(self) -> None:
        for server in (self.primary, self.replica, *self.sentinels):
            server.folder.mkdir(parents=True, exist_ok=True)
        self.primary.start()
        self.replica.start()
        for conf, sentinel in zip(self._confs, self.sentinels, strict=True):
            conf.write_text(SENTINEL_CONF.format(name=self.name, primary=self.primary.port))
            sentinel.extra = (*sentinel.extra, "--sentinel")
            sentinel.start()

    def stop(self) -> None:
        for server in (*self.sentinels, self.replica, self.primary):
            server.stop()
