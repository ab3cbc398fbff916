"""The dev tools' subcommands of ``ivr-acd`` (up, down, demo, sandbox, seed, phones),
contributed through the ``ivr_acd.commands`` entry-point group declared in pyproject.toml."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Coroutine
from typing import Any

from ivr_acd.commands import Command
from ivr_acd.settings import Settings
from ivr_acd_dev.sandbox import Sandbox, SandboxError
from ivr_acd_dev.stack import StackError

ERRORS = (SandboxError, StackError)


def _done(work: Coroutine[Any, Any, None]) -> int:
    asyncio.run(work)
    return 0


async def _up(settings: Settings) -> None:
    from ivr_acd_dev.stack import (
        BackgroundController,
        ensure_redis,
        prepare_crm,
        settings_env,
        start_sandbox,
    )

    settings = ensure_redis(settings)
    phones = await prepare_crm(settings)
    sandbox = await start_sandbox(settings, phones)
    controller = BackgroundController(settings)
    await controller.stop()
    controller.start(settings_env(settings), detach=True)
    await controller.wait_healthy()
    ast = settings.asterisk
    print(
        f"asterisk    pid {sandbox.pid()}  SIP udp 127.0.0.1:{ast.sip_port}  "
        f"AMI 127.0.0.1:{ast.ami_port}  (logs {sandbox.state_dir})"
    )
    print(f"controller  pid {controller.pid()}  FastAGI {settings.agi.host}:{settings.agi.port}")
    print(f"web / API   http://{settings.web.host}:{settings.web.port}/api/v1/health")
    print(f"console     http://{settings.web.host}:{settings.web.port}/console")
    print(f"redis       {settings.redis.url}")
    print(f"database    {settings.database_url.split('@')[-1]}")
    print(
        f"hotline     sip:{ast.hotline_did}@127.0.0.1:{ast.sip_port} via the "
        f"'{ast.carrier_username}' trunk; API token in {settings.paths.secrets}"
    )


async def _down(settings: Settings) -> None:
    from ivr_acd_dev.stack import BackgroundController

    await BackgroundController(settings).stop()
    await Sandbox(settings).stop()
    print("stopped the controller and the Asterisk sandbox")


async def _sandbox(settings: Settings, action: str) -> None:
    sandbox = Sandbox(settings)
    if action == "build":
        seconds = await asyncio.to_thread(sandbox.build)
        print(
            f"sandbox ready at {sandbox.root}"
            + (f" (built in {seconds:.1f} s)" if seconds else " (cached)")
        )
    elif action == "stop":
        await sandbox.stop()


async def _seed(settings: Settings) -> None:
    from ivr_acd_dev.stack import prepare_crm

    phones = await prepare_crm(settings)
    print(f"CRM ready at {settings.database_url}; {len(phones)} softphone(s) provisioned")


async def _phones(settings: Settings) -> None:
    """The softphones provisioned from the CRM, with their SIP credentials (for a real phone)."""
    from ivr_acd_dev.stack import prepare_crm

    ast = settings.asterisk
    print(f"register at 127.0.0.1:{ast.sip_port} (UDP); username = extension")
    for phone in await prepare_crm(settings):
        print(f"{phone.extension}  {phone.role:<10} {phone.name:<16} password {phone.sip_secret}")


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from ivr_acd_dev.demo import run_demo

    return asyncio.run(run_demo(settings, calls=args.calls))


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--calls", type=int, default=6)


def _sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["build", "stop"])


UP = Command(
    "up",
    "start sandbox, controller and web console in the background",
    lambda settings, args: _done(_up(settings)),
    errors=ERRORS,
)
DOWN = Command(
    "down", "stop what `up` started", lambda settings, args: _done(_down(settings)), errors=ERRORS
)
DEMO = Command(
    "demo",
    "run the whole system with simulated agents and callers",
    _demo,
    arguments=_demo_arguments,
    errors=ERRORS,
)
SANDBOX = Command(
    "sandbox",
    "the Asterisk sandbox",
    lambda settings, args: _done(_sandbox(settings, args.action)),
    arguments=_sandbox_arguments,
    errors=ERRORS,
)
SEED = Command(
    "seed", "migrate and seed the CRM", lambda settings, args: _done(_seed(settings)), errors=ERRORS
)
PHONES = Command(
    "phones",
    "list the softphones and their SIP passwords",
    lambda settings, args: _done(_phones(settings)),
    errors=ERRORS,
)
