"""The installed package works outside the checkout (docs/design.md: "Migrations must run from an
installed package"; docs/reliability.md): build the wheel, install it into a fresh
virtual environment, and from an unrelated directory upgrade a new database, load the seeds
and show the seed claim.

Offline-friendly: the wheel is built without build isolation (setuptools comes from the
project's environment), installed with ``--no-deps``, and the fresh environment reaches the
dependencies through a ``.pth`` file naming the project environment's site-packages. Paths in
a ``.pth`` file are not site directories, so the editable install's own ``.pth`` hook is not
run there and the ``factdb`` imported is the wheel's (asserted).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

# One worker under pytest-xdist: the tests share one built wheel and its environment.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("wheel")]

SOURCES = ["pyproject.toml", "README.md", "factdb", "migrations", "seeds"]
SEED_CLAIM = "North Korea has shipped weapons"


def _run(args: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built from a copy of the working tree, so the build leaves nothing in the checkout."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            shutil.copy2(path, src / name)
    for extra in ROOT.glob("LICENSE*"):
        shutil.copy2(extra, src / extra.name)
    dist = base / "dist"
    _run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist)],
        cwd=src,
        env=dict(os.environ),
    )
    (built,) = dist.glob("factdb-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("venv") / "venv"
    _run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)],
        cwd=venv.parent,
        env=dict(os.environ),
    )
    python = venv / "bin" / "python"
    # Install before the dependencies become visible: pip would otherwise see the project
    # environment's editable factdb and try to uninstall it.
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "--disable-pip-version-check",
            str(wheel),
        ],
        cwd=venv.parent,
        env=dict(os.environ),
    )
    site = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        cwd=venv.parent,
        env=dict(os.environ),
    ).stdout.strip()
    (Path(site) / "_factdb_test_deps.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    return venv


@pytest.fixture
def clean_env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("FACTDB_DATABASE_URL", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    }
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg-data")  # never touch the user's default file
    return env


def test_wheel_ships_migrations_and_seeds(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "factdb/migrations/__init__.py",
        "factdb/migrations/env.py",
        "factdb/migrations/script.py.mako",
        "factdb/migrations/versions/__init__.py",
        "factdb/seeds/__init__.py",
        "factdb/py.typed",
        "factdb/__main__.py",
    ):
        assert required in names, required
    versions = {n for n in names if n.startswith("factdb/migrations/versions/")}
    source_versions = {
        f"factdb/migrations/versions/{p.name}" for p in (ROOT / "migrations/versions").glob("*.py")
    }
    assert versions == source_versions
    seeds = {n for n in names if n.startswith("factdb/seeds/") and n.endswith(".jsonl")}
    assert seeds == {f"factdb/seeds/{p.name}" for p in (ROOT / "seeds").glob("*.jsonl")}
    top_level = {n.split("/")[0] for n in names}
    assert top_level == {"factdb", "factdb-0.1.0.dist-info"}, top_level  # no stray packages
    entry_points = zipfile.ZipFile(wheel).read("factdb-0.1.0.dist-info/entry_points.txt")
    assert b"factdb = factdb.cli.app:main" in entry_points


def test_installed_wheel_upgrades_seeds_and_shows(
    venv: Path, clean_env: dict[str, str], tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    python = venv / "bin" / "python"
    factdb = venv / "bin" / "factdb"

    where = _run(
        [
            str(python),
            "-c",
            "import factdb, factdb.migrations, factdb.seeds; "
            "print(factdb.__file__); print(factdb.migrations.__file__); "
            "print(factdb.seeds.__file__)",
        ],
        cwd=elsewhere,
        env=clean_env,
    ).stdout.split()
    for path in where:
        assert Path(path).is_relative_to(venv), where
        assert not Path(path).is_relative_to(ROOT), where

    database = "some/other/folder/x.db"
    upgrade = _run([str(factdb), "--db", database, "db", "upgrade"], cwd=elsewhere, env=clean_env)
    assert (elsewhere / database).is_file()
    current = json.loads(
        _run(
            [str(factdb), "--db", database, "db", "current", "--format", "json"],
            cwd=elsewhere,
            env=clean_env,
        ).stdout
    )
    assert current["at_head"] is True, (current, upgrade.stderr)

    _run([str(factdb), "--db", database, "seed"], cwd=elsewhere, env=clean_env)
    shown = json.loads(
        _run(
            [str(factdb), "--db", database, "show", "1", "--format", "json"],
            cwd=elsewhere,
            env=clean_env,
        ).stdout
    )
    assert shown["claim"].startswith(SEED_CLAIM)
    assert shown["contested"] is True
    assert shown["assertions"]

    # `python -m factdb` and the history of revisions also work from the installed package
    history = json.loads(
        _run(
            [str(python), "-m", "factdb", "db", "history", "--format", "json"],
            cwd=elsewhere,
            env=clean_env,
        ).stdout
    )
    assert history[0]["revision"] == current["head"]
    assert not (tmp_path / "xdg-data").exists()
