"""The "News monitor" page in the Airflow UI: a FastAPI app served by the API server under /newsmon/.

The page itself is rendered by newsmon.ui (plain, testable Python); this file wires it into Airflow:
- `fastapi_apps` mounts the app on the API server, so it shares the UI's host, port and login;
- `external_views` puts a "News monitor" entry in the Browse menu that opens the page inside the UI;
- every route depends on the API server's own authentication (`requires_access_view`), which accepts the UI's
  JWT session cookie or an `Authorization: Bearer` token and asks the configured auth manager; anything else gets
  401/403;
- no docs or schema routes, and every response sends newsmon.ui.SECURITY_HEADERS (CSP `default-src 'none'` plus
  the page's own stylesheet, nosniff, `frame-ancestors 'self'`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
from airflow.api_fastapi.core_api.security import requires_access_view
from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

URL_PREFIX = "/newsmon"

app = FastAPI(
    title="newsmon: News monitor",
    description="Trends, top stories, feed health and the latest digest, from the analyst database.",
    dependencies=[Depends(requires_access_view(AccessView.WEBSITE))],
    # No Swagger, ReDoc or schema: they answer without a login and load scripts from a CDN onto the origin
    # that holds the Airflow session cookie.
    docs_url=None,
    redoc_url=None,
    openapi_url=None,
)


@app.middleware("http")
async def _security_headers(request: Request, call_next):
    """Every answer (page, JSON, refusal, 404) carries the page's CSP, nosniff and the same-origin frame rule."""
    from newsmon.ui import SECURITY_HEADERS

    response = await call_next(request)
    explorer_policy = response.headers.get("Content-Security-Policy")  # the explorer's pages set their own
    response.headers.update(SECURITY_HEADERS)
    if explorer_policy:
        response.headers["Content-Security-Policy"] = explorer_policy
    return response


def _page_data(level: str):
    from newsmon.config import paths
    from newsmon.ui import load_page_data

    try:
        return load_page_data(paths(), datetime.now(UTC), pair_level=level)
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None


@app.get("/", response_class=HTMLResponse)
def news_monitor_page(level: str = Query("sentence", description="co-mention level of the pair chart")):
    """The page (self-contained HTML with inline SVG charts)."""
    from newsmon.ui import render_page

    return HTMLResponse(render_page(_page_data(level)), headers={"Cache-Control": "no-store"})


@app.get("/data.json")
def news_monitor_data(level: str = Query("sentence")) -> JSONResponse:
    """The same figures as JSON, for scripts and checks."""
    return JSONResponse(_page_data(level).as_dict(), headers={"Cache-Control": "no-store"})


DAG_IDS = ("news_ingest", "news_daily", "news_digest")
GATE_TASK = ("news_ingest", "quality_gates")


def _pipeline_runs() -> list[dict]:
    """The last run of each newsmon DAG and the verdict of the last quality_gates, from Airflow's database."""
    from airflow.models import DagRun, TaskInstance
    from airflow.utils.session import create_session

    out = []
    try:
        with create_session() as session:
            for dag_id in DAG_IDS:
                run = (
                    session.query(DagRun)
                    .filter(DagRun.dag_id == dag_id)
                    .order_by(DagRun.run_after.desc())
                    .first()
                )
                gates = None
                if run is not None and dag_id == GATE_TASK[0]:
                    ti = (
                        session.query(TaskInstance)
                        .filter_by(dag_id=dag_id, run_id=run.run_id, task_id=GATE_TASK[1])
                        .first()
                    )
                    gates = str(ti.state) if ti is not None and ti.state else None
                out.append(
                    {
                        "dag_id": dag_id,
                        "run_id": run.run_id if run else None,
                        "state": str(run.state) if run else None,
                        "end_date": run.end_date if run else None,
                        "gates": gates,
                        "grid_url": f"/dags/{dag_id}/runs/{run.run_id}" if run else f"/dags/{dag_id}",
                    }
                )
    except Exception:  # noqa: BLE001 (no metadata database here: the page still shows the data)
        return []
    return out


def _explorer_router():
    from newsmon.config import paths
    from newsmon.explorer import make_router

    return make_router(paths, _pipeline_runs)


app.include_router(_explorer_router())


@app.exception_handler(StarletteHTTPException)
async def _refused(request: Request, exc: StarletteHTTPException):
    """Refusals stay refusals; a browser is told where to log in instead of seeing bare JSON."""
    if exc.status_code in (401, 403) and "text/html" in request.headers.get("accept", ""):
        body = (
            "<!DOCTYPE html><html><body><h1>News monitor</h1>"
            f"<p>{'Please log in to Airflow first' if exc.status_code == 401 else 'You may not view this page'}: "
            f"<a href='/auth/login?next={URL_PREFIX}/' target='_top'>log in</a>.</p></body></html>"
        )
        return HTMLResponse(body, status_code=exc.status_code)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


class NewsmonPlugin(AirflowPlugin):
    name = "newsmon"
    fastapi_apps = [{"app": app, "url_prefix": URL_PREFIX, "name": "News monitor"}]
    external_views = [
        {
            "name": "News monitor",
            "href": "newsmon/",  # relative to the UI's base URL, so it works behind a path prefix too
            "destination": "nav",
            "category": "browse",
            "url_route": "news-monitor",
        }
    ]
