"""Where the settings come from, checked strictly: the YAML file (it must exist, parse and be a
mapping) and the ``IVR_ACD_*`` environment (every such variable must name a setting).

pydantic-settings reads only the variables that match a field and silently skips the rest, so a
typo such as ``IVR_ACD_ASTERISK__SIP_PROT`` would leave production on the default; here it is an
error that names the variable. A few ``IVR_ACD_*`` variables are not settings: the config file's
name and the test and benchmark knobs listed in :data:`NOT_SETTINGS`.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel

PREFIX = "IVR_ACD_"
DELIMITER = "__"
CONFIG_VARIABLE = "IVR_ACD_CONFIG"

# IVR_ACD_* variables the project reads that are not settings: exact names, then prefixes.
NOT_SETTINGS = (CONFIG_VARIABLE, "IVR_ACD_SCREENSHOTS", "IVR_ACD_CHROMIUM")
NOT_SETTINGS_PREFIXES = ("IVR_ACD_TEST_", "IVR_ACD_BENCH_")


class SourceError(Exception):
    """A settings source is unusable; the message is one line and names the source."""


def read_yaml(path: Path) -> dict[str, Any]:
    """The settings file's mapping (empty for an empty file)."""
    if not path.is_file():
        raise SourceError(f"config file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise SourceError(f"config file {path}: YAML syntax error{where}: {exc.problem}") from exc
    except (yaml.YAMLError, OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"config file {path}: {one_line(str(exc))}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SourceError(f"config file {path}: the top level must be a mapping of sections")
    return data


def unknown_variables(environ: Mapping[str, str], model: type[BaseModel]) -> list[str]:
    """The ``IVR_ACD_*`` variables of ``environ`` that name no setting of ``model``."""
    unknown = []
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith(PREFIX) or upper in NOT_SETTINGS:
            continue
        if upper.startswith(NOT_SETTINGS_PREFIXES):
            continue
        if not _names_a_setting(upper.removeprefix(PREFIX).lower().split(DELIMITER), model):
            unknown.append(name)
    return unknown


def _names_a_setting(parts: list[str], model: type[BaseModel]) -> bool:
    field = model.model_fields.get(parts[0])
    if field is None:
        return False
    rest = parts[1:]
    if not rest:
        return True
    section = _section(field.annotation)
    if section is not None:
        return _names_a_setting(rest, section)
    return get_origin(field.annotation) is dict  # a mapping's keys are free (speech.models.zh)


def _section(annotation: Any) -> type[BaseModel] | None:
    """The nested model a field holds (also through ``X | None``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        for arg in get_args(annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                return arg
    return None


def one_line(text: str) -> str:
    """``text`` with its line breaks folded, for a one-line error message."""
    return " ".join(text.split())
