"""The code's own checks, run as tests so that CI (the README's test command) runs them: ruff's lint and format,
mypy on pipeline/, and import-linter's contracts (pipeline/ imports point down its stages and never reach Airflow).
Their settings are in pyproject.toml."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.settings import PROJECT_ROOT

BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return found


def check(*command: str) -> None:
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (
        f"{' '.join(command[:3])} found problems:\n{result.stdout[-6000:]}{result.stderr[-2000:]}"
    )


def test_ruff_lint_is_clean():
    check(tool("ruff"), "check", ".")


def test_ruff_format_is_applied():
    check(tool("ruff"), "format", "--check", ".")


def test_imports_point_one_way():
    check(tool("lint-imports"), "--no-cache")


@pytest.mark.slow
def test_mypy_is_clean_on_the_pipeline():
    check(tool("mypy"), "--cache-dir", str(PROJECT_ROOT / ".mypy_cache"))


def test_no_module_imports_itself_back():
    """No import cycle between any two modules of the project (the layer contract checks packages; this, modules),
    function-level imports included."""
    import grimp

    graph = grimp.build_graph("pipeline", "pipeline_airflow", cache_dir=None)
    ours = [m for m in graph.modules if m.split(".")[0] in ("pipeline", "pipeline_airflow")]
    cycles = sorted(
        {
            tuple(sorted((module, imported)))
            for module in ours
            for imported in graph.find_modules_directly_imported_by(module)
            if imported.split(".")[0] in ("pipeline", "pipeline_airflow")
            and graph.chain_exists(importer=imported, imported=module)
        }
    )
    assert cycles == []
