"""``ivr-acd --help`` lists the dev tools' subcommands, found through the package metadata's
``ivr_acd.commands`` entry points. The metadata is written from this checkout's pyproject.toml
onto the child's path first, so the test does not depend on when the package was installed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.ivr_acd.test_cli_commands import DEV_COMMANDS, declared

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[3]


def _metadata(site: Path) -> None:
    """A dist-info for ``ivr-acd`` that shadows the installed one in the child process."""
    dist = site / "ivr_acd-0.1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ivr-acd\nVersion: 0.1.0\n")
    lines = [f"{entry.name} = {entry.value}" for entry in declared()]
    (dist / "entry_points.txt").write_text("[ivr_acd.commands]\n" + "\n".join(lines) + "\n")


def _help(site: Path, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}
    result = subprocess.run(
        [sys.executable, "-m", "ivr_acd.cli", *args, "--help"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


def test_help_lists_every_subcommand(tmp_path: Path) -> None:
    _metadata(tmp_path)
    text = _help(tmp_path)
    for name in (*DEV_COMMANDS, "serve", "render-config"):
        assert f"    {name} " in text, name
    assert "--calls" in _help(tmp_path, "demo")
