"""Registers the "Russia–Iran monitor" page with Airflow's UI: the FastAPI app of pipeline_airflow.monitor, mounted
on the api-server at /monitor, and a navigation entry that shows it inside the UI. The app checks every request
with the auth manager itself (Airflow does not authenticate plugin routes)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from pipeline_airflow.monitor import TITLE, create_monitor_app

URL_PREFIX = "/monitor"


class NewsmonMonitorPlugin(AirflowPlugin):
    name = "newsmon_monitor"
    fastapi_apps = [{"app": create_monitor_app(), "url_prefix": URL_PREFIX, "name": TITLE}]
    external_views = [
        {
            "name": TITLE,
            "href": URL_PREFIX.lstrip("/") + "/",  # relative to the UI's base URL, so it works behind a proxy prefix
            "url_route": "russia-iran-monitor",
            "destination": "nav",
            "category": "browse",
        }
    ]
