"""Bringing the parts up on one machine (used by ``up``, ``demo`` and the test fixtures):
Redis (a private one when none is reachable), the CRM (migrated and seeded), the Asterisk
sandbox with the softphones provisioned from the CRM, and the controller in the background."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from crm_bridge.db import Database
from crm_bridge.migrate import upgrade
from crm_bridge.repositories import AgentRepository
from crm_bridge.seed import seed
from ivr_acd.asterisk_config import ProvisionedPhone
from ivr_acd.settings import Settings
from ivr_acd_dev.sandbox import Sandbox, process_alive

log = logging.getLogger(__name__)


class StackError(Exception):
    """A part of the local stack could not be started; the message says which and why."""


def _reachable(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def ensure_redis(settings: Settings, private_port: int = 16379) -> Settings:
    """Use the configured Redis if it answers; otherwise start a private one (no persistence)."""
    url = urlparse(settings.redis.url)
    if _reachable(url.hostname or "127.0.0.1", url.port or 6379):
        return settings
    binary = shutil.which("redis-server")
    if binary is None:
        raise StackError(
            f"Redis at {settings.redis.url} is unreachable and redis-server is "
            "not installed (run `make setup`)"
        )
    if not _reachable("127.0.0.1", private_port):
        log.info("starting a private Redis on 127.0.0.1:%d", private_port)
        subprocess.run(
            [
                binary,
                "--port",
                str(private_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
                "--pidfile",
                str((settings.state_dir / "redis.pid").resolve()),
            ],
            check=True,
            capture_output=True,
        )
        deadline = time.monotonic() + 5
        while not _reachable("127.0.0.1", private_port) and time.monotonic() < deadline:
            time.sleep(0.05)
    redis = settings.redis.model_copy(update={"url": f"redis://127.0.0.1:{private_port}/0"})
    return settings.model_copy(update={"redis": redis})


async def prepare_crm(settings: Settings) -> list[ProvisionedPhone]:
    """Migrate and seed the CRM; return the softphones to provision."""
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    await upgrade(settings.database_url)
    database = Database(settings.database_url)
    try:
        await seed(database.sessions)
        return list(await AgentRepository(database.sessions).list_provisioned())
    finally:
        await database.close()


@dataclass
class BackgroundController:
    """The controller as a child process (``ivr-acd serve``), tracked by its PID file."""

    settings: Settings

    @property
    def pid_file(self) -> Path:
        return self.settings.state_dir / "controller.pid"

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text())
        except (OSError, ValueError):
            return None
        return pid if process_alive(pid) else None

    def start(self, env: dict[str, str], *, detach: bool) -> subprocess.Popen[bytes]:
        logfile = (self.settings.state_dir / "controller.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "ivr_acd.cli", "serve"],
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=logfile,
            stderr=subprocess.STDOUT,
            start_new_session=detach,
        )
        logfile.close()
        self.pid_file.write_text(f"{proc.pid}\n")
        return proc

    async def wait_healthy(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        web = self.settings.web
        while time.monotonic() < deadline:
            if self.pid() is None:
                raise StackError("the controller exited; see controller.log in the state folder")
            if _reachable(web.host, web.port) and _reachable(
                self.settings.agi.host, self.settings.agi.port
            ):
                return
            await asyncio.sleep(0.1)
        raise StackError(f"the controller did not start within {timeout:.0f} s")

    async def stop(self, timeout: float = 40.0) -> None:
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.pid() is not None and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        if self.pid() is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a child ``ivr-acd serve`` see exactly these settings."""
    env: dict[str, str] = {"IVR_ACD_STATE_DIR": str(settings.state_dir.resolve())}
    flat = settings.model_dump(mode="json", exclude={"state_dir"})
    for section, values in flat.items():
        if not isinstance(values, dict):
            continue
        for key, value in values.items():
            if value is not None:
                text = json.dumps(value) if isinstance(value, dict | list) else str(value)
                env[f"IVR_ACD_{section.upper()}__{key.upper()}"] = text
    for section, key, secret in (
        ("ASTERISK", "AMI_SECRET", settings.asterisk.ami_secret),
        ("ASTERISK", "CARRIER_PASSWORD", settings.asterisk.carrier_password),
        ("WEB", "API_TOKEN", settings.web.api_token),
        ("AGI", "SECRET", settings.agi.secret),
    ):
        if secret is not None:
            env[f"IVR_ACD_{section}__{key}"] = secret.get_secret_value()
    return env


async def start_sandbox(settings: Settings, phones: list[ProvisionedPhone]) -> Sandbox:
    sandbox = Sandbox(settings)
    await asyncio.to_thread(sandbox.build)
    await sandbox.start(phones)
    return sandbox
