"""Findings 4 and 6 of issue 11, through the real command in a child process.

6: a bad setting stops every command that loads settings (the shell's own and the dev tools')
with exactly one line on stderr, a non-zero status and no traceback.
4: after ``ivr-acd render-config`` the state folder is 0700 (tightened if it was looser), and
the secrets file, the SQLite CRM and every rendered Asterisk file are 0600."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.ivr_acd.test_cli_help import _metadata

pytestmark = [pytest.mark.integration, pytest.mark.security]

ROOT = Path(__file__).parents[3]


def _run(tmp_path: Path, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    site = tmp_path / "site"
    if not site.exists():
        _metadata(site)  # the dev tools' commands, as this checkout declares them
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("IVR_ACD_")}
    clean.update(PYTHONPATH=os.pathsep.join([str(site), str(ROOT)]))
    clean.update(IVR_ACD_STATE_DIR=str(tmp_path / "state"), **env)
    return subprocess.run(
        [sys.executable, "-m", "ivr_acd.cli", *args],
        env=clean,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _bad_yaml(tmp_path: Path) -> str:
    config = tmp_path / "bad.yaml"
    config.write_text("web:\n  port: [8080\n")
    return str(config)


CASES = {
    "unknown variable": ({"IVR_ACD_ASTERISK__SIP_PROT": "5061"}, "IVR_ACD_ASTERISK__SIP_PROT"),
    "missing IVR_ACD_CONFIG": ({"IVR_ACD_CONFIG": "/nonexistent/ivr-acd.yaml"}, "does not exist"),
    "bad redis url": ({"IVR_ACD_REDIS__URL": "http://127.0.0.1:6379"}, "redis.url"),
    "bad database url": ({"IVR_ACD_DATABASE__URL": "postgres://u@h/db"}, "database.url"),
    "missing vosk model": ({"IVR_ACD_SPEECH__MODELS": '{"zh": "/no/model"}'}, "speech.models"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_serve_with_a_bad_setting_prints_one_line(tmp_path: Path, case: str) -> None:
    env, named = CASES[case]
    result = _run(tmp_path, ["serve"], env)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ivr-acd: ") and named in lines[0], lines


@pytest.mark.parametrize(
    "args", [["render-config", "--dest", "etc"], ["seed"], ["--config", "{bad}", "seed"]]
)
def test_every_command_reports_settings_errors_alike(tmp_path: Path, args: list[str]) -> None:
    # (`seed` stands for the dev tools' commands: on a regression it only seeds a SQLite file
    # in the test's folder, where `up` would start a whole stack)
    args = [arg.replace("{bad}", _bad_yaml(tmp_path)) for arg in args]
    env = {} if "--config" in args else {"IVR_ACD_WEB__PROT": "1"}
    result = _run(tmp_path, args, env)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ivr-acd: "), lines
    assert ("YAML syntax error" if "--config" in args else "IVR_ACD_WEB__PROT") in lines[0]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_render_config_leaves_secrets_and_configuration_private(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    (state / "secrets.json").write_text("{}")
    (state / "secrets.json").chmod(0o644)  # as an older version may have left them
    result = _run(tmp_path, ["render-config", "--dest", str(tmp_path / "etc")], {})
    assert result.returncode == 0, result.stderr
    assert _mode(state) == 0o700
    assert _mode(state / "secrets.json") == 0o600
    assert _mode(state / "crm.db") == 0o600
    rendered = sorted((tmp_path / "etc").glob("*.conf"))
    assert {p.name for p in rendered} >= {"pjsip.conf", "manager.conf", "extensions.conf"}
    assert {p.name: _mode(p) for p in rendered} == {p.name: 0o600 for p in rendered}
    assert not list((tmp_path / "etc").glob("*.tmp"))
