"""Render Asterisk configuration templates (Jinja2) from settings and the CRM."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jinja2

from ivr_acd.private_files import write_private
from wire import names

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # CR, LF, NUL and the other C0 controls, DEL
_SECRET = re.compile(r"secret|password", re.I)


class UnsafeConfigValue(ValueError):
    """A value to render holds a control character: it would end its line of the
    configuration and start one of its own (a new section, an option). The message names the
    value by the template line that renders it (and shows it, unless that line is a secret's)."""

    def __init__(self, value: str, where: str = "") -> None:
        shown = "" if _SECRET.search(where) else f": {value[:80]!r}"
        place = f" at {where}" if where else ""
        super().__init__(f"control character in a configuration value{place}{shown}")
        self.value = value


def refuse_control_characters(value: object) -> object:
    """Jinja's ``finalize``: every ``{{ value }}`` passes here before it is written."""
    if isinstance(value, str) and _CONTROL.search(value):
        raise UnsafeConfigValue(value)
    return value


def render_tree(sources: Iterable[Path], dest: Path, **context: Any) -> list[Path]:
    """Render every ``*.conf`` of the source folders into ``dest``; returns the files written.

    Undefined template variables are errors, so a template and its settings cannot drift apart;
    a value with a control character is an :class:`UnsafeConfigValue`. Every template is
    rendered before any file is written, so a refused value leaves the folder as it was.
    """
    rendered: dict[Path, str] = {}
    for source in sources:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(source)),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            autoescape=False,
            finalize=refuse_control_characters,
        )
        for template_path in sorted(source.glob("*.conf")):
            try:
                text = env.get_template(template_path.name).render(names=names, **context)
            except UnsafeConfigValue as exc:
                raise UnsafeConfigValue(exc.value, _template_line(exc, template_path)) from None
            rendered[dest / template_path.name] = text
    dest.mkdir(parents=True, exist_ok=True)
    for target, text in rendered.items():
        write_private(target, text)  # secrets inside: 0600
    return list(rendered)


def _template_line(exc: Exception, template: Path) -> str:
    """``pjsip.conf:78 callerid = {{ phone.name }} <...>``: where in ``template`` the refused
    value was rendered (Jinja rewrites tracebacks to the template's own lines)."""
    tb, line = exc.__traceback__, 0
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == str(template):
            line = tb.tb_lineno
        tb = tb.tb_next
    if not line:
        return template.name
    source = template.read_text().splitlines()[line - 1].strip()
    return f"{template.name}:{line} {source}"
