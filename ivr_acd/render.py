"""Render Asterisk configuration templates (Jinja2) from settings and the CRM."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jinja2

from ivr_acd.private_files import write_private
from wire import names


def render_tree(sources: Iterable[Path], dest: Path, **context: Any) -> list[Path]:
    """Render every ``*.conf`` of the source folders into ``dest``; returns the files written.

    Undefined template variables are errors, so a template and its settings cannot drift apart.
    """
    written: list[Path] = []
    dest.mkdir(parents=True, exist_ok=True)
    for source in sources:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(source)),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            autoescape=False,
        )
        for template_path in sorted(source.glob("*.conf")):
            template = env.get_template(template_path.name)
            text = template.render(names=names, **context)
            target = dest / template_path.name
            write_private(target, text)  # secrets inside: 0600
            written.append(target)
    return written
