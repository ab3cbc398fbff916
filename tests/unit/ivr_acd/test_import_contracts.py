"""The layers are a contract: every import-linter contract in pyproject.toml holds.

`make lint` runs `lint-imports`; this test runs the same contracts, one at a time, so `make test`
checks them too (and names the broken one)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).parents[3]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
CONFIG = PYPROJECT["tool"]["importlinter"]
CONTRACTS = {contract["id"]: contract["name"] for contract in CONFIG["contracts"]}
LINT_IMPORTS = [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()"]


def lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    """`lint-imports` on this checkout (its root first on the path, not an installed copy)."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return subprocess.run(
        [*LINT_IMPORTS, "--no-cache", "--no-logo", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": path, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_layers_contract_orders_every_package() -> None:
    """Every package of the project (mypy's list) is a root package and has its layer."""
    packages = PYPROJECT["tool"]["mypy"]["packages"]
    (layers,) = (c["layers"] for c in CONFIG["contracts"] if c["type"] == "layers")
    assert sorted(layers) == sorted(CONFIG["root_packages"]) == sorted(packages)
    assert CONFIG["include_external_packages"] is True  # the I/O libraries are forbidden by name


@pytest.mark.parametrize("contract_id", sorted(CONTRACTS))
def test_import_contract_is_kept(contract_id: str) -> None:
    result = lint_imports("--contract", contract_id)
    assert result.returncode == 0, (
        f"import contract {contract_id!r} ({CONTRACTS[contract_id]}) is broken:\n"
        f"{result.stdout}{result.stderr}"
    )
    assert f"{CONTRACTS[contract_id]} KEPT" in result.stdout, result.stdout
