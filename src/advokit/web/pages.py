"""The pages: scorecard, KPI, catalogue, customers, a customer; comments; sign-in.

URL scheme (every view lives in its address, so it can be shared by link)::

    GET  /                      scorecard      ?grain=&period=&filter=ATTR:VALUE (repeatable)
    GET  /kpis/{id}             KPI page       ?grain=&period=&filter=&by=ATTR
    POST /kpis/{id}/comments    add a comment  (form: csrf, period, body, author, next)
    GET  /catalogue             catalogue      ?q=&focus=
    GET  /customers             customer list  ?q=&sort=&order=asc|desc&page=&filter=
    GET  /customers/{id}        a customer     ?page=&as_of= (the advocate score as of that day)
    GET  /voice                 voice of the customer  ?grain=&period= (:mod:`.voice`)
    GET  /advocates             advocate tiers, the ranked list, the funnel, personas, journey stages, next asks
                                ?as_of=&tier=&filter=&grain=&period=&page= (:mod:`.advocates`)
    GET  /data                  the data: counts and the data-quality findings (``ws.quality.doctor()``)
    GET  /signin, POST /signin, POST /signout
    GET  /static/{file}         CSS, JS, and plotly.min.js from the installed plotly package
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from ..catalogue.model import FOCUS_AREAS, SURVEY_TYPES
from ..engine.periods import check_in_data
from ..errors import AuthError, ForbiddenError, InvalidArgumentError, NotFoundError, UnknownKpiError
from . import charts
from .advocates import advocate_block, page_view, parse_query
from .dashboard import MAX_COMMENT, Dashboard
from .format import Units
from .render import page
from .routing import PageRoute, plotly_version, read_form, redirect, static_response
from .sections import section_of
from .security import BROWSER_COOKIE, SESSION_COOKIE, Viewer, safe_next, set_cookie
from .selection import GRAINS, Selection, parse_filters, parse_selection, period_choices
from .voice import VoiceContext, build_sections

CUSTOMERS_PER_PAGE = 50
EVENTS_PER_PAGE = 50
Filters = Query(default=[], alias="filter")


def _int(value: str | None, name: str, default: int, lo: int = 1, hi: int = 1_000_000) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise InvalidArgumentError(f"{name} must be a whole number, not {value!r}") from None
    if not lo <= number <= hi:
        raise InvalidArgumentError(f"{name} {number} is out of range", hint=f"use {lo} to {hi}")
    return number


class Pages:
    """Page handlers over one :class:`Dashboard`."""

    def __init__(self, d: Dashboard) -> None:
        self.d = d

    # -- shared -----------------------------------------------------------------------------
    def viewer(self, request: Request) -> Viewer:
        browser, new = self.d.guard.browser_token(request)
        if new:
            request.state.new_browser = browser
            request.cookies[BROWSER_COOKIE] = browser  # the token below must match the cookie being set
        viewer = self.d.guard.viewer(request)
        request.state.viewer = viewer
        return viewer

    def base(self, request: Request, viewer: Viewer, title: str, **extra: Any) -> dict[str, Any]:
        """The context every page shares; the highlighted nav item follows from the path (:mod:`.sections`)."""
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return {"viewer": viewer, "nav": section_of(request.url.path), "title": title, "here": path,
                "plotly_version": plotly_version(), "charts": [], "units": self.units(), **extra}

    def units(self) -> Units:
        """How KPI values read on this page: the reports' units and the workspace currency."""
        return Units(self.d.ws.catalogue, self.d.ws.settings.currency())

    def selection(self, grain: str | None, period: str | None, filters: list[str]) -> Selection:
        """The page's selection; a period asked for outside the data's span is a 422 naming the span."""
        sel = parse_selection(grain=grain, period=period, filters=filters, dimensions=self.d.dimensions(),
                              default_period=self.d.default_period)
        if sel.explicit_period and self.d.bounds() is not None:
            check_in_data(sel.period, self.d.bounds())
        return sel

    def kpi_id(self, kpi_id: str) -> str:
        """The canonical id of a KPI id or alias; 404 with the closest ids ("did you mean") otherwise."""
        try:
            return self.d.ws.catalogue.resolve(kpi_id)
        except UnknownKpiError as exc:
            raise NotFoundError(f"no KPI with id {kpi_id!r}", hint=exc.hint) from None

    def controls(self, sel: Selection) -> dict[str, Any]:
        return {"sel": sel, "grains": GRAINS, "periods": period_choices(self.d.bounds(), sel.grain, sel.period),
                "attribute_values": self.d.attribute_values(), "latest": self.d.default_period(sel.grain)}

    # -- scorecard --------------------------------------------------------------------------
    def scorecard(self, request: Request, grain: str | None, period: str | None, filters: list[str]) -> Response:
        viewer = self.viewer(request)
        sel = self.selection(grain, period, filters)
        view = self.d.scorecard(sel)
        comments: dict[str, list[dict[str, Any]]] = {}
        for c in self.d.comments(period=sel.period.label):
            comments.setdefault(c["kpi"], []).append(c)
        return page("scorecard.html", self.base(
            request, viewer, f"Scorecard {sel.period.label}", **self.controls(sel),
            card=view["scorecard"], spark=view["spark"], spark_labels=view["spark_labels"], comments=comments))

    # -- KPI page ---------------------------------------------------------------------------
    def kpi(self, request: Request, kpi_id: str, grain: str | None, period: str | None, filters: list[str],
            by: str | None) -> Response:
        viewer = self.viewer(request)
        kpi_id = self.kpi_id(kpi_id)
        kpi = self.d.ws.kpi(kpi_id)
        sel = self.selection(grain, period, filters)
        dims = self.d.dimensions()
        by = by or (dims[0] if dims else None)
        if by is not None and by not in dims:
            parse_filters([f"{by}:x"], dims)  # raises the unknown-attribute error with the valid ones
        rows = self.d.trend(kpi_id, sel)
        current = next((r for r in rows if r["period"] == sel.period.label), None)
        groups = self.d.breakdown(kpi_id, sel, by) if by else []
        groups = [g for g in groups if g["period"] == sel.period.label]
        all_comments = self.d.comments(kpi=kpi_id)
        figures = [{"id": "trend", "figure": charts.trend_figure(kpi, rows, units=self.units()),
                    "label": f"{kpi.name} by {sel.grain}, with 95% interval, target and bands"}]
        if groups and by:
            figures.append({"id": "breakdown", "figure": charts.breakdown_figure(kpi, by, groups, units=self.units()),
                            "label": f"{kpi.name} by {by} in {sel.period.label}"})
        return page("kpi.html", self.base(
            request, viewer, kpi.name, **self.controls(sel), kpi=kpi, entry=kpi.to_dict(),
            rows=rows, current=current, by=by, dims=dims, groups=groups, charts=figures,
            period_comments=[c for c in all_comments if c["period"] == sel.period.label],
            other_comments=[c for c in all_comments if c["period"] != sel.period.label],
            max_comment=MAX_COMMENT))

    async def add_comment(self, request: Request, kpi_id: str) -> Response:
        viewer = await run_in_threadpool(self.viewer, request)
        form = await read_form(request)
        self.d.guard.check_post(request, viewer, form.get("csrf"))
        if not viewer.can("write"):
            raise ForbiddenError("commenting needs a key with write scope",
                                 hint="sign in with a key created with --scope write")
        kpi_id = self.kpi_id(kpi_id)
        body = form.get("body", "").strip()
        if not body:
            raise InvalidArgumentError("the comment is empty", hint="write a short comment, then send it")
        if len(body) > MAX_COMMENT:
            raise InvalidArgumentError(f"the comment is longer than {MAX_COMMENT} characters", hint="shorten it")
        sel = parse_selection(grain=None, period=form.get("period") or None, filters=[],
                              dimensions=self.d.dimensions(), default_period=self.d.default_period)
        author = viewer.name if viewer.mode == "key" else (form.get("author", "").strip()[:80] or None)
        owner = form.get("owner", "").strip() or None
        kind = form.get("kind", "").strip() or "comment"
        await run_in_threadpool(self.d.add_comment, kpi=kpi_id, period=sel.period, body=body, author=author,
                                owner=owner, kind=kind)
        back = safe_next(form.get("next"), f"/kpis/{quote(kpi_id)}?{sel.query()}")
        return redirect(back.split("#")[0] + "#comments")

    # -- catalogue ----------------------------------------------------------------------------
    def catalogue(self, request: Request, q: str | None, focus: str | None) -> Response:
        viewer = self.viewer(request)
        text = (q or "").strip()[:200]
        if focus and focus not in FOCUS_AREAS:
            raise InvalidArgumentError(f"unknown focus area {focus!r}", hint="valid: " + ", ".join(FOCUS_AREAS))
        if text:
            hits = [(k, s) for k, s in self.d.ws.search(text) if s > 0]
        else:
            hits = [(k, 0.0) for k in self.d.ws.catalogue]
        if focus:
            hits = [(k, s) for k, s in hits if focus in k.focus_areas]
        return page("catalogue.html", self.base(request, viewer, "KPI catalogue", q=text, focus=focus,
                                                hits=hits, total=len(self.d.ws.catalogue)))

    # -- voice -------------------------------------------------------------------------------------
    def voice(self, request: Request, grain: str | None, period: str | None) -> Response:
        """The Voice page of one period (``?grain=&period=``, default the latest complete month); its figures
        follow no segment filter (mentions have no customer), so the page offers none."""
        viewer = self.viewer(request)
        sel = self.selection(grain or "month", period, [])
        sections = build_sections(VoiceContext(self.d, sel, self.units()))
        figures = [c for s in sections for c in s.charts]
        controls = {**self.controls(sel), "attribute_values": {}}
        return page("voice.html", self.base(request, viewer, f"Voice of the customer {sel.period.label}",
                                            voice_sections=sections, charts=figures, **controls))

    # -- advocates ---------------------------------------------------------------------------------
    def advocates(self, request: Request, as_of: str | None, tier: str | None, filters: list[str],
                  page_no: str | None, grain: str | None = None, period: str | None = None) -> Response:
        """Advocate tiers and the ranked list as of a day (default today), for a segment, with the funnel of a
        period (``?grain=&period=``, default the latest complete quarter) (:mod:`.advocates`)."""
        viewer = self.viewer(request)
        q = parse_query(self.d, as_of=as_of, tier=tier, filters=filters, page=_int(page_no, "page", 1),
                        grain=grain, period=period)
        view = page_view(self.d, q)
        return page("advocates.html", self.base(request, viewer, f"Advocates as of {q.as_of.isoformat()}", **view))

    # -- data --------------------------------------------------------------------------------------
    def data(self, request: Request) -> Response:
        viewer = self.viewer(request)
        report = self.d.ws.quality.doctor().to_dict()
        return page("data.html", self.base(request, viewer, "Data", report=report))

    # -- customers ------------------------------------------------------------------------------
    def customers(self, request: Request, q: str | None, sort: str | None, order: str | None, page_no: str | None,
                  filters: list[str]) -> Response:
        viewer = self.viewer(request)
        if order not in (None, "", "asc", "desc"):
            raise InvalidArgumentError(f"invalid order {order!r}", hint="use asc or desc")
        number = _int(page_no, "page", 1)
        chosen = parse_filters(filters, self.d.dimensions())
        found = self.d.ws.customers.page(q=q, filters=dict(chosen) or None, sort=sort or "name",
                                        descending=order == "desc", limit=CUSTOMERS_PER_PAGE,
                                        offset=(number - 1) * CUSTOMERS_PER_PAGE)
        pages = max(1, math.ceil(found.total / CUSTOMERS_PER_PAGE))

        def link(**change: Any) -> str:
            params = {"q": found.q, "sort": found.sort, "order": "desc" if found.descending else "asc",
                      "page": number, **change}
            items = [(k, str(v)) for k, v in params.items() if v not in (None, "")]
            items += [("filter", f"{k}:{v}") for k, v in chosen]
            return "/customers?" + urlencode(items)

        return page("customers.html", self.base(
            request, viewer, "Customers", found=found, page_no=number, pages=pages, link=link,
            filters=chosen, attribute_values=self.d.attribute_values(), dims=self.d.dimensions()))

    def customer(self, request: Request, customer_id: str, page_no: str | None, as_of: str | None = None) -> Response:
        viewer = self.viewer(request)
        number = _int(page_no, "page", 1)
        view = self.d.customer_page(customer_id, limit=EVENTS_PER_PAGE, offset=(number - 1) * EVENTS_PER_PAGE)
        advocate = advocate_block(self.d, customer_id, as_of)
        profile = view["profile"]
        pages = max(1, math.ceil(profile["timeline_total"] / EVENTS_PER_PAGE))
        figures = [{"id": f"scores-{i}", "figure": f, "label": f["layout"]["title"]["text"] + " over time"}
                   for i, f in enumerate(charts.score_figures(view["scores"]))]
        name = profile["customer"].get("name") or customer_id
        return page("customer.html", self.base(
            request, viewer, str(name), profile=profile, scores=view["scores"],
            survey_types=SURVEY_TYPES, actions=view["actions"], page_no=number, pages=pages, charts=figures,
            dims=self.d.dimensions(), advocate=advocate))

    # -- sign-in ----------------------------------------------------------------------------------
    def signin_form(self, request: Request, next_url: str | None) -> Response:
        if self.d.guard.open_mode():
            return redirect(safe_next(next_url))
        return self._signin_page(request, next_url, None, 200)

    def _signin_page(self, request: Request, next_url: str | None, error: str | None, status: int) -> Response:
        browser, new = self.d.guard.browser_token(request)
        if new:
            request.state.new_browser = browser
        return page("signin.html", {"viewer": None, "nav": None, "title": "Sign in", "error": error,
                                    "next": safe_next(next_url), "csrf": self.d.guard.browser_csrf(browser)},
                    status=status)

    async def signin(self, request: Request) -> Response:
        form = await read_form(request)
        self.d.guard.check_post(request, None, form.get("csrf"))
        state = request.app.state.advokit
        client = request.client.host if request.client else "unknown"
        state.limiter.take("signin:" + client)
        try:
            sid, _ = await run_in_threadpool(self.d.guard.sign_in, form.get("key", ""))
        except AuthError as exc:
            return self._signin_page(request, form.get("next"), exc.message, 401)
        response = redirect(safe_next(form.get("next")))
        set_cookie(response, request, SESSION_COOKIE, sid, max_age=int(self.d.guard.ttl), same_site="lax")
        return response

    async def signout(self, request: Request) -> Response:
        form = await read_form(request)
        sid = request.cookies.get(SESSION_COOKIE)
        session = self.d.guard.session(sid)
        expected = Viewer("key", None, "read", session.csrf, sid) if session else None
        self.d.guard.check_post(request, expected, form.get("csrf"))
        self.d.guard.sign_out(sid)
        response = redirect("/signin")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response


def build_router(d: Dashboard) -> APIRouter:
    """The dashboard's routes, mounted at ``/`` next to the API (left out of the OpenAPI document)."""
    p = Pages(d)
    router = APIRouter(include_in_schema=False, route_class=PageRoute)

    @router.get("/")
    def scorecard(request: Request, grain: str | None = None, period: str | None = None,
                  filters: list[str] = Filters) -> Response:
        return p.scorecard(request, grain, period, filters)

    @router.get("/kpis/{kpi_id}")
    def kpi(request: Request, kpi_id: str, grain: str | None = None, period: str | None = None,
            filters: list[str] = Filters, by: str | None = None) -> Response:
        return p.kpi(request, kpi_id, grain, period, filters, by)

    @router.post("/kpis/{kpi_id}/comments")
    async def add_comment(request: Request, kpi_id: str) -> Response:
        return await p.add_comment(request, kpi_id)

    @router.get("/catalogue")
    def catalogue(request: Request, q: str | None = None, focus: str | None = None) -> Response:
        return p.catalogue(request, q, focus)

    @router.get("/voice")
    def voice(request: Request, grain: str | None = None, period: str | None = None) -> Response:
        return p.voice(request, grain, period)

    @router.get("/advocates")
    def advocates(request: Request, as_of: str | None = None, tier: str | None = None,
                  filters: list[str] = Filters, page: str | None = None, grain: str | None = None,
                  period: str | None = None) -> Response:
        return p.advocates(request, as_of, tier, filters, page, grain, period)

    @router.get("/data")
    def data(request: Request) -> Response:
        return p.data(request)

    @router.get("/customers")
    def customers(request: Request, q: str | None = None, sort: str | None = None, order: str | None = None,
                  page: str | None = None, filters: list[str] = Filters) -> Response:
        return p.customers(request, q, sort, order, page, filters)

    @router.get("/customers/{customer_id:path}")
    def customer(request: Request, customer_id: str, page: str | None = None, as_of: str | None = None) -> Response:
        return p.customer(request, customer_id, page, as_of)

    @router.get("/signin")
    def signin_form(request: Request, next: str | None = None) -> Response:
        return p.signin_form(request, next)

    @router.post("/signin")
    async def signin(request: Request) -> Response:
        return await p.signin(request)

    @router.post("/signout")
    async def signout(request: Request) -> Response:
        return await p.signout(request)

    @router.get("/static/{name}")
    def static(request: Request, name: str) -> Response:
        return static_response(request, name)

    return router
