"""The "Russia–Iran monitor" page: registered with Airflow, refused to anonymous callers and served to logged-in
users through Airflow's own auth manager, read-only on the warehouse, escaping everything, and rendered by a real
headless Chromium against a warehouse filled from the sample site."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

import tests.airflow_env  # noqa: F401 - sets up Airflow's environment before airflow is imported
from pipeline.warehouse.db import make_engine
from pipeline.warehouse.overview import Overview, overview, read_only_engine, topic_week_articles
from pipeline.warehouse.summaries import refresh_summaries
from tests.airflow_env import airflow_db  # noqa: F401 - session fixture
from tests.sample_warehouse import fill_from_sample_site

pytestmark = pytest.mark.airflow
HOSTILE_TITLE = "<img src=x onerror=\"document.title='pwned'\">Hostile headline"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory, taxonomy, tagger, rules):
    """A SQLite warehouse filled from the sample site, its summaries refreshed, and one hostile title planted."""
    url = f"sqlite:///{tmp_path_factory.mktemp('monitor') / 'warehouse.sqlite'}"
    engine = make_engine(url)
    fill_from_sample_site(engine, taxonomy, tagger, rules)
    busiest = overview(engine).busiest
    with engine.begin() as conn:
        victim = topic_week_articles(engine, *busiest)[0]["article_id"]
        conn.execute(text("UPDATE articles SET title = :t WHERE id = :id"), {"t": HOSTILE_TITLE, "id": victim})
    refresh_summaries(engine)
    engine.dispose()
    return url


@pytest.fixture
def warehouse_conn(demo_warehouse, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_NEWS_WAREHOUSE", json.dumps({"conn_type": "sqlite", "host": demo_warehouse[10:]}))
    monkeypatch.delenv("AIRFLOW_CONN_NEWS_WAREHOUSE_READONLY", raising=False)
    return demo_warehouse


@pytest.fixture(scope="module")
def api_client(airflow_db):
    """Airflow's whole API server app (with the plugins folder), as a test client."""
    from airflow.api_fastapi.app import create_app
    from fastapi.testclient import TestClient

    with TestClient(create_app()) as client:
        yield client


def token_for(role: str) -> str:
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    return get_auth_manager().generate_jwt(SimpleAuthManagerUser(username=role, role=role))


def test_the_plugin_registers_the_page_with_airflow(api_client):
    response = api_client.get("/api/v2/plugins", headers={"Authorization": f"Bearer {token_for('admin')}"})
    plugin = next(p for p in response.json()["plugins"] if p["name"] == "newsmon_monitor")
    assert plugin["fastapi_apps"][0]["url_prefix"] == "/monitor"
    view = plugin["external_views"][0]
    assert (view["name"], view["href"], view["destination"]) == ("Russia–Iran monitor", "monitor/", "nav")


def test_anonymous_requests_are_refused(api_client, warehouse_conn):
    api_client.cookies.clear()
    assert api_client.get("/monitor/api/overview").status_code == 401
    assert api_client.get("/monitor/api/articles", params={"topic": "defence", "week": "2025-01-27"}).status_code == 401
    page = api_client.get("/monitor/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/auth/login")
    forged = api_client.get("/monitor/api/overview", headers={"Authorization": "Bearer not-a-token"})
    assert forged.status_code in (401, 403)


def test_logged_in_users_are_served(api_client, warehouse_conn):
    token = token_for("viewer")
    data = api_client.get("/monitor/api/overview", headers={"Authorization": f"Bearer {token}"})
    assert data.status_code == 200 and {"defence", "diplomacy", "nuclear"} <= set(data.json()["topics"])
    api_client.cookies.set("_token", token)  # how the browser carries the UI session
    try:
        page = api_client.get("/monitor/")
    finally:
        api_client.cookies.clear()
    assert page.status_code == 200 and page.text.count('<svg class="topic-chart"') >= 3
    assert "Content-Security-Policy" in page.text and "https://" not in page.text  # no CDN: nothing loaded from afar


def test_the_page_escapes_what_it_renders():
    from pipeline_airflow.monitor import render_page

    hostile = '<script>alert("x")</script>'
    data = Overview(
        weeks=["2025-01-27"],
        topics={hostile: {"2025-01-27": 2}},
        perspectives={hostile: {hostile: 2}},
        gaps={"2025-01-27": hostile},
        busiest=(hostile, "2025-01-27"),
    )
    page = render_page(data)
    assert hostile not in page and page.count("<script") == 2  # the JSON block and the page's own script
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_the_monitor_reads_the_warehouse_read_only(engine):
    """On SQLite and PostgreSQL (the `engine` fixture), the monitor's engine reads and cannot write."""
    reader = read_only_engine(engine.url.render_as_string(hide_password=False))
    try:
        with reader.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM articles")).scalar_one() == 0
        with pytest.raises(DBAPIError), reader.begin() as conn:
            conn.execute(text("DELETE FROM articles"))
    finally:
        reader.dispose()


def test_an_invalid_or_forged_cookie_is_sent_to_the_login_page(api_client, warehouse_conn):
    api_client.cookies.clear()
    api_client.cookies.set("_token", "forged.token.value")
    try:
        page = api_client.get("/monitor/", follow_redirects=False)
        api = api_client.get("/monitor/api/overview")
    finally:
        api_client.cookies.clear()
    assert page.status_code == 303 and page.headers["location"].startswith("/auth/login")
    assert api.status_code in (401, 403)  # an API caller gets the status, not a redirect


@pytest.mark.parametrize("state", ["no file", "unmigrated", "migrated, no run"])
def test_before_any_run_the_page_says_so_and_creates_nothing(api_client, tmp_path, monkeypatch, state):
    path = tmp_path / "warehouse.sqlite"
    if state != "no file":
        engine = make_engine(f"sqlite:///{path}")
        if state == "migrated, no run":
            from pipeline.warehouse.db import upgrade

            upgrade(engine)
        else:
            with engine.begin() as conn:
                conn.execute(text("CREATE TABLE unrelated (x INTEGER)"))
        engine.dispose()
    monkeypatch.setenv("AIRFLOW_CONN_NEWS_WAREHOUSE", json.dumps({"conn_type": "sqlite", "host": str(path)}))
    monkeypatch.delenv("AIRFLOW_CONN_NEWS_WAREHOUSE_READONLY", raising=False)
    token = token_for("viewer")
    api_client.cookies.set("_token", token)
    try:
        page = api_client.get("/monitor/")
    finally:
        api_client.cookies.clear()
    data = api_client.get("/monitor/api/overview", headers={"Authorization": f"Bearer {token}"})
    assert page.status_code == 200 and "No data yet: run news_daily" in page.text
    assert data.status_code == 200 and data.json()["topics"] == {} and data.json()["problem"].startswith("No data")
    assert path.exists() == (state != "no file")  # reading never creates the file


# ---------------------------------------------------------------- in a real browser


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def monitor_server(demo_warehouse):
    """The monitor app on 127.0.0.1 with the auth check stubbed (auth is tested above); yields its URL."""
    import uvicorn

    from pipeline_airflow.monitor import create_monitor_app

    engine = read_only_engine(demo_warehouse)
    app = create_monitor_app(engine_factory=lambda: engine)
    app.dependency_overrides[app.state.require_ui_access] = lambda: None
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    server.should_exit = True
    thread.join(10)
    engine.dispose()


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (Debian package `chromium`)")
def test_chromium_renders_the_charts_and_an_evidence_sentence(monitor_server, demo_warehouse, tmp_path):
    engine = make_engine(demo_warehouse)
    busiest = overview(engine).busiest
    evidence = topic_week_articles(engine, *busiest)[-1]["evidence"]
    engine.dispose()
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=10000",
        "--dump-dom",
        monitor_server,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    dom = result.stdout
    assert "<html" in dom, result.stderr[-2000:]
    assert dom.count('class="topic-chart"') >= 3 and 'class="bar' in dom and 'class="perspective-bar"' in dom
    assert 'class="bar selected"' in dom  # the script ran and selected the busiest week
    import html

    assert html.escape(evidence, quote=False) in dom  # fetched from the API and inserted by the script
    assert "&lt;img src=x" in dom and "<img" not in dom  # the hostile title is shown as text, never parsed
    assert "<title>Russia–Iran monitor</title>" in dom  # and its onerror never ran
