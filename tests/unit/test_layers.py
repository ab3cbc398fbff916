"""The layers' contract, checked on every import statement (also those inside functions):
production code never imports the dev tools, and no domain package imports the shell."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).parents[2]
DOMAIN = ("wire", "crm_bridge", "ivr", "acd")
PRODUCTION = (*DOMAIN, "ivr_acd")


def _imports(package: str) -> Iterator[tuple[str, str]]:
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                yield f"{path.relative_to(ROOT)}:{node.lineno}", module


def _offences(packages: tuple[str, ...], forbidden: str) -> list[str]:
    return [
        f"{where} imports {module}"
        for package in packages
        for where, module in _imports(package)
        if module == forbidden or module.startswith(f"{forbidden}.")
    ]


def test_production_never_imports_the_dev_tools() -> None:
    assert _offences(PRODUCTION, "ivr_acd_dev") == []


def test_no_domain_package_imports_the_shell() -> None:
    assert _offences(DOMAIN, "ivr_acd") == []
