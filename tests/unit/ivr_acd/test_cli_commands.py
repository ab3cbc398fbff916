"""The ``ivr-acd`` command finds the dev tools' subcommands through the ``ivr_acd.commands``
entry-point group that pyproject.toml declares, never by importing the dev package by name."""

from __future__ import annotations

import tomllib
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from ivr_acd.cli import RENDER_CONFIG, SERVE, _parser
from ivr_acd.commands import GROUP, Command, discover

pytestmark = pytest.mark.unit

ROOT = Path(__file__).parents[3]
DEV_COMMANDS = {"up", "down", "demo", "sandbox", "seed", "phones"}
UNUSED = Command("unused", "a test command", lambda settings, args: 0)


def declared() -> list[EntryPoint]:
    """The group's entry points as pyproject.toml declares them (installed or not)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    table = project["entry-points"][GROUP]
    return [EntryPoint(name=name, value=value, group=GROUP) for name, value in table.items()]


def test_pyproject_declares_the_dev_commands() -> None:
    entries = declared()
    assert {entry.name for entry in entries} == DEV_COMMANDS
    assert {entry.module for entry in entries} == {"ivr_acd_dev.commands"}


def test_the_declared_entry_points_load_as_commands() -> None:
    commands = discover(declared())
    assert {command.name for command in commands} == DEV_COMMANDS
    assert all(isinstance(command, Command) for command in commands)


def test_the_parser_takes_every_command_and_its_options() -> None:
    parser = _parser([SERVE, *discover(declared()), RENDER_CONFIG])
    assert parser.parse_args(["demo", "--calls", "3"]).calls == 3
    assert parser.parse_args(["sandbox", "build"]).action == "build"
    assert parser.parse_args(["render-config", "--dest", "/tmp/x"]).dest == Path("/tmp/x")
    for name in (*DEV_COMMANDS, "serve"):
        assert parser.parse_args([name, *(["stop"] if name == "sandbox" else [])]).command == name
    with pytest.raises(SystemExit):
        parser.parse_args(["sandbox", "explode"])


def test_an_entry_point_that_is_not_its_command_is_refused() -> None:
    wrong = EntryPoint(name="up", value="ivr_acd_dev.commands:DOWN", group=GROUP)
    with pytest.raises(TypeError, match="not that Command"):
        discover([wrong])
    not_a_command = EntryPoint(name="up", value="ivr_acd_dev.commands:ERRORS", group=GROUP)
    with pytest.raises(TypeError):
        discover([not_a_command])


def test_a_command_that_cannot_be_imported_is_left_out() -> None:
    missing = EntryPoint(name="ghost", value="ivr_acd_missing_package:GHOST", group=GROUP)
    assert discover([missing]) == []
