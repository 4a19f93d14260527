"""The local channel of the command line: ``GET /v1/local`` and ``POST /v1/local/call``.

While ``advokit serve`` holds the workspace file, no other process can open it
(DuckDB: one writer, and no reader beside it). The CLI then talks to the
server instead, found through ``<workspace>.server`` (:mod:`advokit.cli.serverfile`),
which holds a random token made when the server started. Only that token opens
these two routes, and only from this machine (:func:`advokit.api.auth.authorize`):
an ordinary admin key is refused here (403), the token from another address is
refused everywhere (401).

``POST /v1/local/call`` runs one facade call of a fixed list (:data:`CALLS`),
each with a strict argument model, and answers its result as the CLI's own
JSON (``json.dumps(..., default=str)``), so a command prints the same whichever
way it reached the workspace. The routes are left out of the OpenAPI document:
they are the CLI's, not a public interface (docs/api.md describes them).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ForbiddenError, InvalidArgumentError
from ..workspace import Workspace
from .auth import LOCAL_KEY_ID, require
from .local_funnel import FUNNEL_CALLS
from .state import state_of

_admin = require("admin")


def local_key(request: Request, key: Any = Depends(_admin)) -> Any:
    """The request's key must be the server's local token (checked loopback-only by ``authorize``)."""
    if getattr(key, "id", None) != LOCAL_KEY_ID:
        raise ForbiddenError("only the local token of `advokit serve` opens /v1/local",
                             hint="this route is the command line's channel to the server on the same machine")
    return key


router = APIRouter(tags=["local"], dependencies=[Depends(local_key)], include_in_schema=False)

Text = Annotated[str, Field(min_length=0, max_length=4096)]
Ids = Annotated[list[Text], Field(max_length=500)]
Filters = dict[Text, Text | None] | None


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class KpiRange(_Args):
    kpis: Ids
    period: Text = "month"
    by: Ids = []
    start: Text | None = None
    end: Text | None = None
    filters: Filters = None


class SqlArgs(KpiRange):
    dialect: Text = "duckdb"


class AnalyzeArgs(KpiRange):
    rolling: int | None = None


class SummaryArgs(_Args):
    period: Text | None = None


class LatestArgs(_Args):
    grain: Literal["month", "quarter", "year"] = "month"


class ScorecardArgs(_Args):
    period: Text | None = None
    by: Text | None = None
    filters: Filters = None
    rolling: int | None = None


class CompareArgs(_Args):
    kpis: Ids
    period: Text
    by: Text
    a: Text | None
    b: Text | None
    filters: Filters = None


class CohortArgs(_Args):
    grain: Text = "month"
    basis: Text = "logo"
    start: Text | None = None
    end: Text | None = None
    filters: Filters = None
    activity: Ids | None = None


class NoArgs(_Args):
    pass


class TargetArgs(_Args):
    kpi: Text
    value: float | int | Text
    segment: Text | None = None
    dimension: Text | None = None
    dimension_value: Text | None = None
    valid_from: Text | None = None
    valid_to: Text | None = None


class TargetsArgs(_Args):
    kpis: Ids | None = None


class IdArgs(_Args):
    id: Text


class CoverageArgs(_Args):
    input: Text
    start: Text | None = None
    end: Text | None = None


class ListeningArgs(_Args):
    period: Text = "month"
    by: Text | None = None


class LoopsArgs(_Args):
    open_only: bool = False
    older_than_days: float | int | None = None
    as_of: Text | None = None
    limit: int = 1000


def _loops(ws: Workspace, a: LoopsArgs) -> list[dict[str, Any]]:
    import datetime as dt

    try:
        as_of = None if a.as_of is None else dt.datetime.fromisoformat(a.as_of)
    except ValueError:
        raise InvalidArgumentError(f"as_of must be an ISO 8601 time, not {a.as_of!r}") from None
    return ws.loops.list(open_only=a.open_only, older_than_days=a.older_than_days, as_of=as_of, limit=a.limit)


class AdvocatesArgs(_Args):
    tier: Text | None = None
    limit: int = 1000
    as_of: Text | None = None


class AdvocateArgs(_Args):
    customer_id: Text
    as_of: Text | None = None


class JourneyArgs(_Args):
    stage: Text | None = None
    limit: int = 100_000
    as_of: Text | None = None


class AsOfArgs(_Args):
    as_of: Text | None = None


class PersonasArgs(_Args):
    k: int | None = None
    seed: int = 42
    as_of: Text | None = None
class ModelArgs(_Args):
    target: Text
    as_of: Text | None = None
    horizon_days: int = 90
    shuffle_labels: bool = False


class CommentArgs(_Args):
    kpi: Text
    period: Text
    body: Text
    author: Text | None = None
    owner: Text | None = None
    kind: Text = "comment"
    due: Text | None = None


class SettingArgs(_Args):
    key: Text
    value: Text | None = None


class CommentsArgs(_Args):
    kpi: Text | None = None
    period: Text | None = None
    kind: Text | None = None


class ImportArgs(_Args):
    path: Text  # absolute: the server's working folder is not the caller's
    source_name: Text
    strict: bool = False
    rejects_path: Text | None = None
    # an export of another tool (advokit.mapping): the preset or mapping file (absolute) and its options
    preset: Text | None = None
    mapping: Text | None = None
    sets: dict[str, Text] | None = None
    as_of: Text | None = None
    timezone: Text | None = None
    sheet: Text | None = None
    dry_run: bool = False


class ReportArgs(_Args):
    period: Text | None = None
    kind: Text | None = None
    by: Text | None = None
    filters: Filters = None
    start: Text | None = None
    end: Text | None = None
    baseline_start: Text | None = None
    baseline_end: Text | None = None
    title: Text | None = None
    formats: Annotated[list[Literal["html", "md", "pdf"]], Field(min_length=1, max_length=3)]


def _compute(ws: Workspace, a: KpiRange) -> dict[str, Any]:
    result = ws.compute(a.kpis, period=a.period, by=a.by, start=a.start, end=a.end, filters=a.filters)
    return {"rows": result.to_dicts(), "columns": result.columns}


def _import(kind: str) -> Callable[[Workspace, ImportArgs], dict[str, Any]]:
    def run(ws: Workspace, a: ImportArgs) -> dict[str, Any]:
        paths = [a.path, a.rejects_path, a.mapping]
        if any(p is not None and not os.path.isabs(p) for p in paths):
            raise ForbiddenError("the local import call takes absolute paths")
        options: dict[str, Any] = {k: v for k, v in (("preset", a.preset), ("mapping", a.mapping), ("sets", a.sets),
                                     ("as_of", a.as_of), ("timezone", a.timezone), ("sheet", a.sheet)) if v}
        if a.dry_run:
            options["dry_run"] = True
        return ws.mapping.import_file(kind, Path(a.path), strict=a.strict, rejects_path=a.rejects_path,
                                      source_name=a.source_name, **options).to_dict()

    return run


def _report(ws: Workspace, a: ReportArgs) -> dict[str, Any]:
    from ..reports import build_report

    content = build_report(ws, a.period, kind=a.kind, by=a.by, filters=a.filters, start=a.start, end=a.end,
                           baseline_start=a.baseline_start, baseline_end=a.baseline_end, title=a.title)
    return {"period": content.period, "kind": content.kind, "wins": len(content.wins), "risks": len(content.risks),
            "stories": content.stories.total,
            "files": {f: base64.b64encode(content.render(f)).decode("ascii") for f in dict.fromkeys(a.formats)}}


#: every call the CLI may make through the server: name -> (argument model, what it runs)
CALLS: dict[str, tuple[type[_Args], Callable[[Workspace, Any], Any]]] = {
    "compute": (KpiRange, _compute),
    "sql": (SqlArgs, lambda ws, a: ws.sql(a.kpis, period=a.period, by=a.by, start=a.start, end=a.end,
                                          filters=a.filters, dialect=a.dialect)),
    "summary": (SummaryArgs, lambda ws, a: ws.summary(period=a.period)),
    "latest_complete_period": (LatestArgs, lambda ws, a: ws.latest_complete_period(a.grain)),
    "analyze": (AnalyzeArgs, lambda ws, a: ws.analyze(a.kpis, period=a.period, by=a.by, start=a.start, end=a.end,
                                                      filters=a.filters, rolling=a.rolling)),
    "scorecard": (ScorecardArgs, lambda ws, a: ws.scorecard(a.period, by=a.by, filters=a.filters,
                                                            rolling=a.rolling)),
    "compare": (CompareArgs, lambda ws, a: ws.compare(a.kpis, period=a.period, by=a.by, a=a.a, b=a.b,
                                                      filters=a.filters)),
    "cohorts": (CohortArgs, lambda ws, a: ws.cohorts(grain=a.grain, basis=a.basis, start=a.start, end=a.end,
                                                     filters=a.filters, activity=a.activity)),
    "maturity": (NoArgs, lambda ws, a: ws.maturity()),
    "attributes": (NoArgs, lambda ws, a: [x.to_dict() for x in ws.customers.attributes()]),
    "set_target": (TargetArgs, lambda ws, a: ws.set_target(a.kpi, a.value, segment=a.segment, dimension=a.dimension,
                                                           dimension_value=a.dimension_value,
                                                           valid_from=a.valid_from, valid_to=a.valid_to)),
    "targets": (TargetsArgs, lambda ws, a: ws.analysis.targets(a.kpis)),
    "delete_target": (IdArgs, lambda ws, a: ws.analysis.delete_target(a.id)),
    "comment_add": (CommentArgs, lambda ws, a: ws.commentary.add(a.kpi, a.period, a.body, author=a.author,
                                                                 owner=a.owner, kind=a.kind, due=a.due)),
    "comment_list": (CommentsArgs, lambda ws, a: ws.commentary.list(kpi=a.kpi, period=a.period, kind=a.kind)),
    "comment_delete": (IdArgs, lambda ws, a: ws.commentary.delete(a.id)),
    "settings_get": (SettingArgs, lambda ws, a: ws.settings.get(a.key)),
    "settings_set": (SettingArgs, lambda ws, a: ws.settings.set(a.key, a.value or "")),
    "settings_unset": (SettingArgs, lambda ws, a: ws.settings.unset(a.key)),
    "settings_all": (NoArgs, lambda ws, a: ws.settings.all()),
    "settings_headline": (NoArgs, lambda ws, a: ws.settings.headline()),
    "import_customers": (ImportArgs, _import("customers")),
    "import_events": (ImportArgs, _import("events")),
    "report": (ReportArgs, _report),
    "doctor": (NoArgs, lambda ws, a: ws.quality.doctor().to_dict()),
    "coverage_list": (NoArgs, lambda ws, a: ws.coverage.list()),
    "coverage_set": (CoverageArgs, lambda ws, a: ws.coverage.set(a.input, start=a.start, end=a.end)),
    "coverage_clear": (CoverageArgs, lambda ws, a: ws.coverage.clear(a.input)),
    "listening": (ListeningArgs, lambda ws, a: ws.listening.figures(a.period, by=a.by)),
    "loops_list": (LoopsArgs, _loops),
    "advocates_list": (AdvocatesArgs, lambda ws, a: ws.advocates.list(tier=a.tier, limit=a.limit, as_of=a.as_of)),
    "advocates_explain": (AdvocateArgs, lambda ws, a: ws.advocates.explain(a.customer_id, as_of=a.as_of)),
    "journey_list": (JourneyArgs, lambda ws, a: ws.journey.list(stage=a.stage, limit=a.limit, as_of=a.as_of)),
    "journey_counts": (AsOfArgs, lambda ws, a: ws.journey.counts(as_of=a.as_of)),
    "journey_refresh": (AsOfArgs, lambda ws, a: ws.journey.refresh(as_of=a.as_of)),
    "journey_stages": (NoArgs, lambda ws, a: ws.journey.stages()),
    "personas_refresh": (PersonasArgs, lambda ws, a: ws.personas.refresh(k=a.k, seed=a.seed, as_of=a.as_of)),
    **FUNNEL_CALLS,  # type: ignore[dict-item]
    "models_backtest": (ModelArgs, lambda ws, a: ws.models.backtest(target=a.target, as_of=a.as_of or "",
                                                                    horizon_days=a.horizon_days,
                                                                    shuffle_labels=a.shuffle_labels)),
    "models_train": (ModelArgs, lambda ws, a: ws.models.train(target=a.target, horizon_days=a.horizon_days,
                                                              as_of=a.as_of)),
    "models_list": (NoArgs, lambda ws, a: ws.models.list()),
}


class CallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal[tuple(CALLS)]  # type: ignore[valid-type]
    args: dict[str, Any] = {}


def _json(data: Any) -> Response:
    return Response(content=json.dumps(data, default=str, ensure_ascii=False), media_type="application/json",
                    headers={"Cache-Control": "no-store"})


@router.get("/local")
def local_info(request: Request) -> Response:
    """Which server this is (the CLI checks the pid against ``<workspace>.server``)."""
    ws = state_of(request).workspace
    return _json({"pid": os.getpid(), "workspace": str(ws.path.resolve())})


@router.post("/local/call")
def local_call(request: Request, body: CallIn) -> Response:
    model, run = CALLS[body.method]
    try:
        args = model.model_validate(body.args)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", "args", *e["loc"])} for e in exc.errors()]) from None
    return _json({"result": run(state_of(request).workspace, args)})
