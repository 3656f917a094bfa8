"""/ui/ pages: sign-in, fleet overview, alerts (filter, acknowledge), unit page, support
search. Every page reads through the same services (and tenant scoping) as the API."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from handsetguard.server.context import AppContext
from handsetguard.server.deps import admit
from handsetguard.server.errors import ServiceError
from handsetguard.server.models import Device
from handsetguard.server.services import alerts, credentials, devices, golden, overview, support
from handsetguard.server.services.actors import Actor
from handsetguard.server.ui import session
from handsetguard.server.ui.charts import bar_chart
from handsetguard.textsafe import visible

__all__ = ["STATIC", "router"]

router = APIRouter(prefix="/ui", include_in_schema=False)
STATIC = StaticFiles(directory=str(resources.files("handsetguard.server.ui") / "static"))
MAX_FORM = 16 * 1024
TIERS = (
    ("attested", "Attested by the hardware"),
    ("os", "Reported by the OS"),
    ("host", "Collected by the host"),
)


def _finalize(value: object) -> object:
    """Data from phones and partners is shown, never obeyed: controls made visible, then
    autoescaped."""
    if isinstance(value, Markup | int | float) or value is None:
        return value
    return visible(str(value))


@functools.cache
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("handsetguard", "server/ui/templates"),
        autoescape=True,
        finalize=_finalize,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


def _render(name: str, code: int = 200, **values: Any) -> HTMLResponse:
    html = _templates().get_template(name).render(**values)
    return HTMLResponse(html, status_code=code, headers={"Cache-Control": "no-store"})


def _signed_in(request: Request) -> tuple[Actor, str] | None:
    token = request.cookies.get(session.COOKIE)
    if not token:
        return None
    ctx = _ctx(request)
    try:
        with ctx.db.read_conn() as conn:
            actor = credentials.authenticate(conn, token, ctx.clock.now())
        admit(ctx, actor)
    except ServiceError:
        return None
    return actor, token


def _to_login() -> RedirectResponse:
    return RedirectResponse("/ui/login", status_code=303)


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM:
        return {}
    parsed = parse_qs(body.decode("utf-8", "replace"), max_num_fields=20)
    return {k: v[0] for k, v in parsed.items()}


def _refused(reason: str) -> HTMLResponse:
    return _render("refused.html", code=403, reason=reason, actor=None, csrf="")


@router.get("/login")
def login_page(request: Request) -> Response:
    token = session.login_token(request)
    response = _render("login.html", actor=None, csrf="", login_csrf=token, error=None)
    session.remember_login_token(response, request, token)
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    form = await _form(request)
    expected = request.cookies.get(session.LOGIN_COOKIE)
    if not session.same_token(expected, form.get("csrf")):
        return _refused("The sign-in form expired or did not come from this site; reload it.")
    token = form.get("token", "").strip()
    ctx = _ctx(request)

    def check() -> Actor | None:
        try:
            with ctx.db.read_conn() as conn:
                return credentials.authenticate(conn, token, ctx.clock.now())
        except ServiceError:
            return None

    if not token or await run_in_threadpool(check) is None:
        return _render(
            "login.html",
            code=401,
            actor=None,
            csrf="",
            login_csrf=expected,
            error="That credential token is not valid (unknown, expired or revoked).",
        )
    response = RedirectResponse("/ui/", status_code=303)
    session.set_session(response, request, token)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await _form(request)
    who = await run_in_threadpool(_signed_in, request)
    if who is not None and not session.csrf_ok(who[1], form.get("csrf")):
        return _refused("The form did not come from this site.")
    response = _to_login()
    session.clear_session(response)
    return response


@router.get("/")
def overview_page(request: Request) -> Response:
    who = _signed_in(request)
    if who is None:
        return _to_login()
    ctx = _ctx(request)
    now = ctx.clock.now()
    with ctx.db.read() as db:
        found = overview.overview(db, who[0], now.date())
        models = golden.golden_models(db, who[0])
    chart = bar_chart(found.patch_age, "Units by age of their OS security patch (months)")
    return _render(
        "overview.html",
        actor=who[0],
        csrf=session.csrf_for(who[1]),
        view=found,
        chart=chart,
        golden=models,
        as_of=now,
    )


@router.get("/alerts")
def alerts_page(
    request: Request,
    status: Annotated[str | None, Query(max_length=16)] = "open",
    kind: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    who = _signed_in(request)
    if who is None:
        return _to_login()
    ctx = _ctx(request)
    status = status or None
    kind = kind or None
    with ctx.db.read() as db:
        try:
            rows = alerts.list_alerts(db, who[0], alerts.AlertFilter(status, kind, limit=200))
        except ServiceError as exc:
            return _refused(exc.message)
        units = {d.id: d for d in (db.get(Device, a.device_id) for a in rows) if d}
    return _render(
        "alerts.html",
        actor=who[0],
        csrf=session.csrf_for(who[1]),
        rows=rows[:200],
        units=units,
        status=status or "",
        kind=kind or "",
        kinds=sorted({*alerts.KINDS, *(a.kind for a in rows)}),
        problem=request.query_params.get("problem"),
    )


@router.post("/alerts/{alert_id}/acknowledge")
async def acknowledge(alert_id: str, request: Request) -> Response:
    form = await _form(request)
    who = await run_in_threadpool(_signed_in, request)
    if who is None:
        return _to_login()
    if not session.csrf_ok(who[1], form.get("csrf")):
        return _refused("The form did not come from this site (CSRF token missing or wrong).")
    ctx = _ctx(request)

    def act() -> str | None:
        try:
            with ctx.db.write() as db:
                alerts.acknowledge(db, who[0], alert_id, form.get("note", ""), ctx.clock.now())
        except ServiceError as exc:
            return exc.message
        return None

    problem = await run_in_threadpool(act)
    back = form.get("back", "/ui/alerts")
    if not back.startswith("/ui/"):
        back = "/ui/alerts"
    if problem is not None:
        return RedirectResponse(f"{back}?{urlencode({'problem': problem})}", status_code=303)
    return RedirectResponse(back, status_code=303)


@router.get("/units/{device_id}")
def unit_page(request: Request, device_id: str) -> Response:
    who = _signed_in(request)
    if who is None:
        return _to_login()
    ctx = _ctx(request)
    with ctx.db.read() as db:
        try:
            unit = devices.get_device(db, who[0], device_id)
        except ServiceError:
            return _render(
                "missing.html",
                code=404,
                actor=who[0],
                csrf=session.csrf_for(who[1]),
                what=device_id,
            )
        card = support.unit_card(db, unit)
    return _render(
        "unit.html",
        actor=who[0],
        csrf=session.csrf_for(who[1]),
        card=card,
        tiers=TIERS,
        problem=request.query_params.get("problem"),
    )


@router.get("/search")
def search_page(
    request: Request, q: Annotated[str | None, Query(max_length=64)] = None
) -> Response:
    who = _signed_in(request)
    if who is None:
        return _to_login()
    ctx = _ctx(request)
    found, problem = None, None
    if q:
        with ctx.db.read() as db:
            try:
                result = support.lookup(db, who[0], q)
                found = (
                    result.matched_by,
                    [support.unit_card(db, u, timeline=False) for u in result.units],
                )
            except ServiceError as exc:
                problem = exc.message
    return _render(
        "search.html",
        actor=who[0],
        csrf=session.csrf_for(who[1]),
        q=q or "",
        found=found,
        problem=problem,
    )
