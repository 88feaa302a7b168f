"""The "Russia–Iran monitor" page: a FastAPI app that the plugin in plugins/ mounts on Airflow's api-server.

Airflow does not authenticate a plugin's routes, so every route here depends on the auth manager's own check
(`requires_access_view(WEBSITE)`: a logged-in Airflow user who may use the UI). The page is self-contained
(charts are inline SVG, CSS and script inline, no CDN), every value from the warehouse is escaped, and the
warehouse is read over a read-only connection (`news_warehouse_readonly` if defined, else `news_warehouse`).
"""

from __future__ import annotations

import functools
import html
import json
import logging
from datetime import date

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from pipeline.config import PERSPECTIVES
from pipeline.warehouse.overview import NO_DATA, Overview, overview_or_empty, read_only_engine, topic_week_articles

log = logging.getLogger(__name__)

READONLY_CONN_ID = "news_warehouse_readonly"
TITLE = "Russia–Iran monitor"
COLORS = {
    "russian_state": "#c0392b",
    "iranian_state": "#16a085",
    "western": "#2c6fbb",
    "regional": "#d68910",
    "independent": "#7d3c98",
}
CHART_WIDTH, CHART_HEIGHT = 560, 70


def require_ui_access():
    """The dependency every route carries: Airflow's own check that the caller may use the UI."""
    from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
    from airflow.api_fastapi.core_api.security import requires_access_view

    return requires_access_view(AccessView.WEBSITE)


@functools.lru_cache(maxsize=4)
def _engine(url: str):
    return read_only_engine(url)


def warehouse_engine():
    """Read-only engine on the warehouse, from the read-only connection when there is one."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    from pipeline_airflow.connection import url_from_connection, warehouse_url

    try:
        url = url_from_connection(Connection.get(READONLY_CONN_ID))
    except AirflowNotFoundException:
        url = warehouse_url()
    return _engine(url)


# ---------------------------------------------------------------- rendering (everything escaped)


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def topic_chart(topic: str, data: Overview) -> str:
    """Weekly stories of one topic as bars; weeks with a coverage gap are shaded and say why."""
    counts = data.topics.get(topic, {})
    peak = max(max(counts.values(), default=0), 1)
    step = CHART_WIDTH / max(len(data.weeks), 1)
    parts = [
        f'<svg class="topic-chart" role="img" viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT + 14}" '
        f'aria-label="{esc(topic)}: stories per week">'
    ]
    for i, week in enumerate(data.weeks):
        x = i * step
        if week in data.gaps:
            parts.append(
                f'<rect class="gap" x="{x:.1f}" y="0" width="{step:.1f}" height="{CHART_HEIGHT}">'
                f"<title>coverage gap, week of {esc(week)}: {esc(data.gaps[week])}</title></rect>"
            )
        stories = counts.get(week, 0)
        if stories:
            height = max(2.0, CHART_HEIGHT * stories / peak)
            parts.append(
                f'<rect class="bar" data-topic="{esc(topic)}" data-week="{esc(week)}" x="{x + 1:.1f}" '
                f'y="{CHART_HEIGHT - height:.1f}" width="{max(step - 2, 1):.1f}" height="{height:.1f}">'
                f"<title>week of {esc(week)}: {stories} stories</title></rect>"
            )
    if data.weeks:
        parts.append(
            f'<text x="0" y="{CHART_HEIGHT + 12}">{esc(data.weeks[0])}</text>'
            f'<text x="{CHART_WIDTH}" y="{CHART_HEIGHT + 12}" text-anchor="end">{esc(data.weeks[-1])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def perspective_bar(topic: str, data: Overview) -> str:
    """The topic's stories split by perspective, as one stacked bar."""
    split = data.perspectives.get(topic, {})
    total = sum(split.values()) or 1
    parts, x = (
        [
            f'<svg class="perspective-bar" viewBox="0 0 {CHART_WIDTH} 12" role="img" '
            f'aria-label="{esc(topic)}: stories by perspective">'
        ],
        0.0,
    )
    for perspective in [p for p in PERSPECTIVES if p in split] + sorted(set(split) - set(PERSPECTIVES)):
        width = CHART_WIDTH * split[perspective] / total
        parts.append(
            f'<rect x="{x:.1f}" y="0" width="{width:.1f}" height="12" '
            f'fill="{COLORS.get(perspective, "#888")}"><title>{esc(perspective)}: '
            f"{split[perspective]} stories</title></rect>"
        )
        x += width
    parts.append("</svg>")
    return "".join(parts)


def render_page(data: Overview, problem: str | None = None) -> str:
    legend = "".join(
        f'<span><i style="background:{c}"></i>{esc(p.replace("_", " "))}</span>' for p, c in COLORS.items()
    )
    topics = "".join(
        f'<section class="topic"><h3>{esc(topic)} <small>{sum(data.topics[topic].values())} stories</small></h3>'
        f"{topic_chart(topic, data)}{perspective_bar(topic, data)}</section>"
        for topic in data.topics
    )
    gaps = "".join(f"<li>week of {esc(w)}: {esc(why)}</li>" for w, why in data.gaps.items())
    first_topic, first_week = data.busiest or ("", "")
    empty = "" if data.topics else f'<p class="empty">{esc(problem or NO_DATA)}</p>'
    return PAGE.format(
        title=esc(TITLE),
        css=CSS,
        script=SCRIPT,
        legend=legend,
        topics=topics,
        empty=empty,
        gaps=f"<ul>{gaps}</ul>" if gaps else "<p>No coverage gap recorded.</p>",
        first_topic=esc(first_topic),
        first_week=esc(first_week),
        period=esc(f"{data.weeks[0]} – {data.weeks[-1]}" if data.weeks else "no data"),
        data=html.escape(json.dumps(data.as_dict(), ensure_ascii=False), quote=False),
    )


CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222;max-width:1200px}
h1{font-size:1.4rem;margin:0 0 .2rem} h3{margin:.8rem 0 .2rem;font-size:1rem} small{color:#666;font-weight:normal}
.layout{display:grid;grid-template-columns:minmax(0,600px) minmax(0,1fr);gap:2rem}
svg{display:block;width:100%;height:auto} .topic-chart text{font-size:10px;fill:#666}
.bar{fill:#34495e;cursor:pointer} .bar:hover,.bar.selected{fill:#e67e22}
.gap{fill:#f5b7b1;opacity:.6} .perspective-bar{margin-top:2px}
.legend span{margin-right:1rem;white-space:nowrap} .legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
#articles li{margin:.2rem 0 .8rem} blockquote.evidence{margin:.2rem 0 0 .8rem;padding-left:.6rem;border-left:3px solid #e67e22}
.meta{color:#666;font-size:12px}
"""

SCRIPT = """
(function () {
  const panel = document.getElementById('articles');
  const heading = document.getElementById('selection');
  function safeHref(url) { return /^https?:\\/\\//i.test(url || '') ? url : null; }
  function item(article) {
    const li = document.createElement('li');
    const href = safeHref(article.url);
    const title = document.createElement(href ? 'a' : 'span');
    title.textContent = article.title || article.url;
    if (href) { title.href = href; title.rel = 'noopener noreferrer'; title.target = '_blank'; }
    const meta = document.createElement('div');
    meta.className = 'meta';
    meta.textContent = [article.day, article.source_name, (article.perspective || '').replace('_', ' ')].join(' · ');
    const quote = document.createElement('blockquote');
    quote.className = 'evidence';
    quote.textContent = article.evidence;
    title.dir = 'auto'; quote.dir = 'auto';  // Persian evidence reads right to left
    li.append(title, meta, quote);
    return li;
  }
  async function show(topic, week) {
    document.querySelectorAll('.bar.selected').forEach(b => b.classList.remove('selected'));
    document.querySelectorAll('.bar').forEach(b => {
      if (b.dataset.topic === topic && b.dataset.week === week) b.classList.add('selected');
    });
    heading.textContent = topic + ', week of ' + week;
    const query = new URLSearchParams({topic: topic, week: week});
    const response = await fetch('api/articles?' + query, {credentials: 'same-origin'});
    const articles = response.ok ? await response.json() : [];
    panel.replaceChildren(...articles.map(item));
    if (!response.ok) heading.textContent += ' (could not load: HTTP ' + response.status + ')';
  }
  document.addEventListener('click', event => {
    const bar = event.target.closest('.bar');
    if (bar) show(bar.dataset.topic, bar.dataset.week);
  });
  if (document.body.dataset.topic) show(document.body.dataset.topic, document.body.dataset.week);
})();
"""

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; connect-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>{title}</title><style>{css}</style></head>
<body data-topic="{first_topic}" data-week="{first_week}">
<h1>{title}</h1>
<p class="meta">Stories per week and topic ({period}); near-duplicate copies count once. Shaded weeks had coverage gaps
(feeds expected but not fetched), so a dip there may be a fetch gap, not a quieter week. Click a bar for its articles.</p>
<p class="legend">{legend}</p>
<div class="layout"><div>{empty}{topics}<h3>Coverage gaps</h3>{gaps}</div>
<div><h2 id="selection">Select a week</h2><ol id="articles"></ol></div></div>
<script type="application/json" id="overview">{data}</script>
<script>{script}</script>
</body></html>"""


# ---------------------------------------------------------------- the app


def create_monitor_app(engine_factory=warehouse_engine) -> FastAPI:
    """The monitor's FastAPI app; `engine_factory` gives the read-only warehouse engine (tests pass their own)."""
    app = FastAPI(
        title=TITLE, docs_url=None, redoc_url=None, openapi_url=None, dependencies=[Depends(require_ui_access())]
    )
    app.state.require_ui_access = app.router.dependencies[0].dependency

    @app.exception_handler(HTTPException)
    async def login_first(request: Request, exc: HTTPException):
        """A browser without a valid session (none, expired, forged) is sent to Airflow's login; API callers get the
        status. A valid session without the permission gets its 403."""
        bad_session = exc.status_code == 401 or (exc.status_code == 403 and "token" in str(exc.detail).lower())
        if bad_session and request.url.path.rstrip("/") == request.scope.get("root_path", "").rstrip("/"):
            from airflow.api_fastapi.app import get_auth_manager

            return RedirectResponse(get_auth_manager().get_url_login(next_url=str(request.url)), status_code=303)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)

    @app.get("/", response_class=HTMLResponse)
    def page() -> HTMLResponse:
        return HTMLResponse(
            render_page(*overview_or_empty(engine_factory())),
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )

    @app.get("/api/overview")
    def api_overview() -> dict:
        data, problem = overview_or_empty(engine_factory())
        return {**data.as_dict(), "problem": problem}

    @app.get("/api/articles")
    def api_articles(topic: str = Query(max_length=40), week: date = Query()) -> list[dict]:
        return topic_week_articles(engine_factory(), topic, week.isoformat())

    return app
