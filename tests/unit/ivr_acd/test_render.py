"""Finding 2 of issue 11, the renderer's side: whatever reaches a configuration template (an
agent's name from the CRM, a setting, a secret), a control character in it is refused with an
error naming the template line, and no file of the tree is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr_acd.render import UnsafeConfigValue, render_tree

pytestmark = [pytest.mark.unit, pytest.mark.security]

TEMPLATE = "[{{ ext }}]\ncallerid = {{ name }} <{{ ext }}>\npassword = {{ secret }}\n"


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "a.conf").write_text("; rendered first\n")
    (folder / "pjsip.conf").write_text(TEMPLATE)
    return folder


@pytest.mark.parametrize("bad", ["\n", "\r", "\x00", "\x1b", "\t", "\x7f"])
def test_a_control_character_in_any_value_is_refused_and_nothing_written(
    source: Path, tmp_path: Path, bad: str
) -> None:
    dest = tmp_path / "out"
    with pytest.raises(UnsafeConfigValue) as caught:
        render_tree([source], dest, ext="8001", name=f"Eve{bad}[evil]", secret="s")
    assert "pjsip.conf:2 callerid = {{ name }}" in str(caught.value), "the value is named"
    assert not dest.exists() or not list(dest.iterdir()), "no file of the tree was written"


def test_a_refused_secret_is_named_but_never_shown(source: Path, tmp_path: Path) -> None:
    with pytest.raises(UnsafeConfigValue) as caught:
        render_tree([source], tmp_path / "out", ext="8001", name="Eve", secret="hunter2\n")
    assert "pjsip.conf:3 password = {{ secret }}" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_a_refused_render_leaves_the_files_of_the_last_good_one(
    source: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "out"
    render_tree([source], dest, ext="8001", name="王晓", secret="s")
    before = (dest / "pjsip.conf").read_text()
    assert "callerid = 王晓 <8001>" in before
    with pytest.raises(UnsafeConfigValue):
        render_tree([source], dest, ext="8001", name="Eve\n[evil]", secret="s")
    assert (dest / "pjsip.conf").read_text() == before
