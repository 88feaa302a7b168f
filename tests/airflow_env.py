"""One Airflow home per test session: import this module before anything imports `airflow`.

Airflow reads its configuration when it is first imported, so the environment is set here at import time:
a temporary AIRFLOW_HOME with a SQLite metadata database, examples off, the repository's dags and plugins.
The `airflow_db` fixture migrates that database once per session (about 8 s).
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DAGS_FOLDER = REPO / "dags"
PLUGINS_FOLDER = REPO / "plugins"


def _configure() -> Path:
    if os.environ.get("NEWSMON_TEST_AIRFLOW_HOME"):
        return Path(os.environ["NEWSMON_TEST_AIRFLOW_HOME"])
    if "airflow" in sys.modules:
        raise RuntimeError("tests.airflow_env must be imported before airflow")
    home = Path(tempfile.mkdtemp(prefix="newsmon-airflow-"))
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    os.environ.update(
        {
            "NEWSMON_TEST_AIRFLOW_HOME": str(home),
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(PLUGINS_FOLDER),
            "AIRFLOW__CORE__LAZY_LOAD_PLUGINS": "False",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
            "AIRFLOW__API_AUTH__JWT_SECRET": "newsmon-test-jwt-secret-" + "0123456789abcdef" * 4,
            "NEWSMON_PRIVATE_ALLOWLIST": "127.0.0.1/32",  # the test deployment: its loopback servers only
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "analyst:viewer,admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        }
    )
    (home / "passwords.json").write_text('{"analyst": "analyst-pw", "admin": "admin-pw"}', encoding="utf-8")
    return home


AIRFLOW_HOME = _configure()


@pytest.fixture(scope="session")
def airflow_db():
    """The session's metadata database, migrated once, with the feed-fetching pool."""
    from airflow.models.pool import Pool
    from airflow.utils.db import initdb

    from pipeline_airflow.assets import FETCH_POOL, FETCH_POOL_SLOTS

    initdb()
    Pool.create_or_update_pool(FETCH_POOL, FETCH_POOL_SLOTS, "concurrent feed fetches", include_deferred=False)
    return AIRFLOW_HOME
