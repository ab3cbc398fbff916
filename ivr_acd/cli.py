"""The ``ivr-acd`` command: ``serve`` and ``render-config`` (production); the dev tools add
``up``, ``down``, ``demo``, ``sandbox``, ``seed`` and ``phones`` (``ivr_acd.commands``)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Iterable
from pathlib import Path

from crm_bridge.errors import CrmError
from ivr.menu import MenuError
from ivr.prompts import PromptError
from ivr_acd.commands import Command, discover
from ivr_acd.secrets import with_secrets
from ivr_acd.settings import ConfigError, Settings, load_settings

log = logging.getLogger("ivr_acd")

ERRORS: tuple[type[Exception], ...] = (ConfigError, CrmError, MenuError, PromptError)


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    for noisy in ("wire.panoramisk", "aiohttp.access", "asyncio", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _settings(args: argparse.Namespace) -> Settings:
    return with_secrets(load_settings(args.config))


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from ivr_acd.controller import serve

    asyncio.run(serve(settings))
    return 0


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


def _render(settings: Settings, args: argparse.Namespace) -> int:
    asyncio.run(_render_config(settings, args.dest))
    return 0


def _dest_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dest", type=Path, required=True)


SERVE = Command("serve", "run the controller (production)", _serve)
RENDER_CONFIG = Command(
    "render-config",
    "render the Asterisk configuration (production)",
    _render,
    arguments=_dest_argument,
)


def commands() -> dict[str, Command]:
    """The shell's own commands and those the installed packages contribute."""
    return {c.name: c for c in (SERVE, *discover(), RENDER_CONFIG)}


def _parser(available: Iterable[Command]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ivr-acd", description=__doc__)
    parser.add_argument("--config", type=Path, default=None, help="settings YAML file")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in available:
        command.arguments(sub.add_parser(command.name, help=command.help))
    return parser


def main(argv: list[str] | None = None) -> int:
    available = commands()
    args = _parser(available.values()).parse_args(argv)
    command = available[args.command]
    _logging(args.verbose)
    try:
        return command.run(_settings(args), args)
    except (*ERRORS, *command.errors) as exc:
        print(f"ivr-acd: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
