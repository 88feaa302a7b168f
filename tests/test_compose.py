"""docker-compose.yaml and Dockerfile, checked without Docker: the services of the official Airflow 3.3 pattern,
their shared settings, mounted folders, and that every file they reference exists."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

import tests.airflow_env  # noqa: F401 - Airflow's test environment before airflow.sdk is imported

REPO = Path(__file__).resolve().parent.parent
AIRFLOW_SERVICES = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-worker": "celery worker",
    "airflow-triggerer": "triggerer",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yaml").read_text(encoding="utf-8"))


def test_services_follow_the_official_pattern(compose):
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "airflow-init", *AIRFLOW_SERVICES}
    for name, command in AIRFLOW_SERVICES.items():
        assert services[name]["command"] == command, name
        assert services[name]["depends_on"]["airflow-init"] == {"condition": "service_completed_successfully"}
        assert services[name]["depends_on"]["postgres"] == {"condition": "service_healthy"}
        assert services[name]["depends_on"]["redis"] == {"condition": "service_healthy"}
        assert "healthcheck" in services[name], name
    assert services["airflow-apiserver"]["ports"] == ["8080:8080"]
    assert services["postgres"]["image"].startswith("postgres:") and services["redis"]["image"].startswith("redis:")


def test_every_airflow_container_shares_the_same_settings(compose):
    services = compose["services"]
    airflow = {name: services[name] for name in [*AIRFLOW_SERVICES, "airflow-init"]}
    envs = {name: service["environment"] for name, service in airflow.items()}
    shared = (
        "AIRFLOW__CORE__EXECUTOR",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
        "AIRFLOW__API_AUTH__JWT_SECRET",
        "AIRFLOW__API__SECRET_KEY",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
        "AIRFLOW__CELERY__BROKER_URL",
        "AIRFLOW_CONN_NEWS_WAREHOUSE",
        "AIRFLOW__CORE__AUTH_MANAGER",
    )
    for key in shared:
        values = {name: env.get(key) for name, env in envs.items()}
        assert len(set(values.values())) == 1 and None not in values.values(), (key, values)
    env = envs["airflow-scheduler"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"] and env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
    assert (
        "@redis:6379" in env["AIRFLOW__CELERY__BROKER_URL"]
        and "@postgres/airflow" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    )
    for service in airflow.values():
        assert service["build"] == "." and service["image"] == airflow["airflow-scheduler"]["image"]


def test_the_warehouse_connection_points_at_its_own_database(compose):
    from airflow.sdk import Connection

    from pipeline_airflow.connection import url_from_connection

    env = compose["services"]["airflow-worker"]["environment"]
    for key, role in (("AIRFLOW_CONN_NEWS_WAREHOUSE", "newsmon"), ("AIRFLOW_CONN_NEWS_WAREHOUSE_READONLY", "analyst")):
        conn = Connection.from_uri(env[key], conn_id=key.removeprefix("AIRFLOW_CONN_").lower())
        url = url_from_connection(conn)
        assert url.startswith(f"postgresql+psycopg://{role}:") and url.endswith("@postgres:5432/warehouse"), url
    init_sql = (REPO / "docker" / "postgres-init" / "10-warehouse.sql").read_text(encoding="utf-8")
    assert "CREATE DATABASE warehouse OWNER newsmon" in init_sql and "default_transaction_read_only = on" in init_sql
    postgres = compose["services"]["postgres"]
    assert any(str(p).endswith(":5432") for p in postgres["ports"])  # published for analysts' SQL clients


def test_init_migrates_and_creates_the_pool(compose):
    from pipeline_airflow.assets import FETCH_POOL

    script = "\n".join(compose["services"]["airflow-init"]["command"])
    assert "airflow db migrate" in script
    assert f"airflow pools set {FETCH_POOL} " in script
    assert "newsmon db upgrade" in script
    assert compose["services"]["airflow-init"]["restart"] == "no"


def test_mounted_folders_and_referenced_files_exist(compose):
    mounts = {}
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source, target = volume.split(":")[:2]
            if source.startswith("."):
                assert (REPO / source).exists(), f"{name} mounts {source}, which does not exist"
                mounts[target] = source
    assert mounts["/opt/airflow/dags"] == "./dags" and mounts["/opt/airflow/plugins"] == "./plugins"
    assert set(compose["volumes"]) == {"postgres-db-volume", "airflow-logs"}


def test_dockerfile_builds_on_the_official_image_of_our_airflow(compose):
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    base = re.search(r"^FROM apache/airflow:(\d+\.\d+)\.\d+", dockerfile, re.MULTILINE)
    assert base and base.group(1) == ".".join(version("apache-airflow").split(".")[:2]) == "3.3"
    for line in re.findall(r"^COPY (.+)$", dockerfile, re.MULTILINE):
        sources = [part for part in line.split()[:-1] if not part.startswith("--")]
        for source in sources:
            assert (REPO / source).exists(), f"Dockerfile copies {source}, which does not exist"
    assert '"apache-airflow==${AIRFLOW_VERSION}"' in dockerfile and "-e /opt/newsmon" in dockerfile


def test_the_build_context_leaves_out_the_virtualenv_data_and_git():
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv", "data"} <= set(ignored)
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    for line in re.findall(r"^COPY (.+)$", dockerfile, re.MULTILINE):  # nothing the image needs is left out
        for source in [part for part in line.split()[:-1] if not part.startswith("--")]:
            assert source.split("/")[0] not in ignored, f"{source} is copied but ignored by .dockerignore"


def test_postgresql_is_published_on_loopback_only(compose):
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            if str(port).endswith(":5432"):
                assert str(port).startswith("127.0.0.1:"), f"{name} publishes PostgreSQL on every interface: {port}"
