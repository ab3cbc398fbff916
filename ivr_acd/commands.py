"""The subcommands of ``ivr-acd``. The shell has its own (``serve``, ``render-config``); other
installed packages add theirs through the ``ivr_acd.commands`` entry-point group — the dev tools
contribute ``up``, ``down``, ``demo``, ``sandbox``, ``seed`` and ``phones`` there, so the shell
finds them without importing the dev package by name."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from ivr_acd.settings import Settings

log = logging.getLogger(__name__)

GROUP = "ivr_acd.commands"


def no_arguments(parser: argparse.ArgumentParser) -> None:
    """A subcommand with no arguments of its own."""


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    run: Callable[[Settings, argparse.Namespace], int]  # returns the exit status
    arguments: Callable[[argparse.ArgumentParser], None] = no_arguments
    errors: tuple[type[Exception], ...] = ()  # reported in one line with exit status 2


def discover(entries: Iterable[EntryPoint] | None = None) -> list[Command]:
    """The commands contributed through the entry-point group (or ``entries``, for tests). One
    that cannot be imported is left out with a warning: ``serve`` must not depend on it."""
    found = entry_points(group=GROUP) if entries is None else entries
    commands: list[Command] = []
    for entry in found:
        try:
            command = entry.load()
        except ImportError as exc:
            log.warning("ivr-acd command %s (%s) not available: %s", entry.name, entry.value, exc)
            continue
        if not isinstance(command, Command) or command.name != entry.name:
            raise TypeError(f"entry point {entry.name} = {entry.value} is not that Command")
        commands.append(command)
    return commands
