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
    response.headers.update(SECURITY_HEADERS)
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
