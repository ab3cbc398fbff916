"""The ``ivr-acd`` command: serve, up, down, demo, sandbox, seed."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from crm_bridge.errors import CrmError
from ivr.menu import MenuError
from ivr.prompts import PromptError
from ivr_acd.secrets import with_secrets
from ivr_acd.settings import ConfigError, Settings, load_settings
from ivr_acd_dev.sandbox import Sandbox, SandboxError
from ivr_acd_dev.stack import StackError

log = logging.getLogger("ivr_acd")


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    for noisy in ("wire.panoramisk", "aiohttp.access", "asyncio", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _settings(args: argparse.Namespace) -> Settings:
    return with_secrets(load_settings(args.config))


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
        f"'{ast.carrier_username}' trunk; API token in {settings.state_dir / 'secrets.json'}"
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


async def _render_config(settings: Settings, dest: Path) -> None:
    """Production: render the Asterisk configuration from settings and the CRM's softphones."""
    from crm_bridge.db import Database
    from crm_bridge.migrate import upgrade
    from crm_bridge.repositories import AgentRepository
    from ivr_acd.asterisk_config import render_config

    await upgrade(settings.database_url)
    database = Database(settings.database_url)
    try:
        phones = await AgentRepository(database.sessions).list_provisioned()
    finally:
        await database.close()
    written = render_config(settings, phones, dest)
    print(f"rendered {len(written)} files into {dest} for {len(phones)} softphone(s)")


async def _phones(settings: Settings) -> None:
    """The softphones provisioned from the CRM, with their SIP credentials (for a real phone)."""
    from ivr_acd_dev.stack import prepare_crm

    ast = settings.asterisk
    print(f"register at 127.0.0.1:{ast.sip_port} (UDP); username = extension")
    for phone in await prepare_crm(settings):
        print(f"{phone.extension}  {phone.role:<10} {phone.name:<16} password {phone.sip_secret}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ivr-acd", description=__doc__)
    parser.add_argument("--config", type=Path, default=None, help="settings YAML file")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the controller (production)")
    sub.add_parser("up", help="start sandbox, controller and web console in the background")
    sub.add_parser("down", help="stop what `up` started")
    demo = sub.add_parser("demo", help="run the whole system with simulated agents and callers")
    demo.add_argument("--calls", type=int, default=6)
    sandbox = sub.add_parser("sandbox", help="the Asterisk sandbox")
    sandbox.add_argument("action", choices=["build", "stop"])
    sub.add_parser("seed", help="migrate and seed the CRM")
    sub.add_parser("phones", help="list the softphones and their SIP passwords")
    render = sub.add_parser("render-config", help="render the Asterisk configuration (production)")
    render.add_argument("--dest", type=Path, required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _logging(args.verbose)
    try:
        settings = _settings(args)
        return _run(args, settings)
    except (ConfigError, CrmError, MenuError, PromptError, SandboxError, StackError) as exc:
        print(f"ivr-acd: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        from ivr_acd.controller import serve

        asyncio.run(serve(settings))
    elif args.command == "up":
        asyncio.run(_up(settings))
    elif args.command == "down":
        asyncio.run(_down(settings))
    elif args.command == "demo":
        from ivr_acd_dev.demo import run_demo

        return asyncio.run(run_demo(settings, calls=args.calls))
    elif args.command == "sandbox":
        asyncio.run(_sandbox(settings, args.action))
    elif args.command == "seed":
        asyncio.run(_seed(settings))
    elif args.command == "phones":
        asyncio.run(_phones(settings))
    elif args.command == "render-config":
        asyncio.run(_render_config(settings, args.dest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
