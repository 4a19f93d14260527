"""``RemoteWorkspace``: the part of the :class:`~advokit.Workspace` facade the CLI uses, over the local server.

While ``advokit serve`` holds the workspace file, a command reaches the same
facade calls through ``POST /v1/local/call`` (:mod:`advokit.api.routes_local`)
with the server's local token, and gets back the same data, encoded as the
CLI encodes it (``json.dumps(..., default=str)``). A command keeps one code
path: :meth:`advokit.cli.app.State.open` hands it a ``Workspace`` or a
``RemoteWorkspace``. Only the standard library: the CLI must start fast.
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..catalogue import Catalogue, KpiDefinition, load_catalogue
from ..errors import AdvokitError, WorkspaceError
from .remote_funnel import RemoteFunnel
from .serverfile import ServerInfo

Filters = Mapping[str, str | None] | None


def _error_classes(root: type[AdvokitError] = AdvokitError) -> dict[str, type[AdvokitError]]:
    out: dict[str, type[AdvokitError]] = {}
    for sub in root.__subclasses__():
        out.update(_error_classes(sub))
        out.setdefault(sub.code, sub)
    return out


def _raise_from(body: Any, status: int) -> None:
    """The server's error (the one error shape) raised here as the same advokit error class."""
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        raise WorkspaceError(f"the advokit server answered HTTP {status}")
    cls = _error_classes().get(str(err.get("code")), AdvokitError)
    exc = cls.__new__(cls)
    AdvokitError.__init__(exc, str(err.get("message", "")), hint=err.get("hint"), details=err.get("details"))
    raise exc


class RemoteResult:
    """What ``Workspace.compute`` returns, as far as the CLI reads it: ``to_dicts()`` and ``columns``."""

    def __init__(self, rows: list[dict[str, Any]], columns: list[str]) -> None:
        self._rows = rows
        self.columns = columns

    def to_dicts(self) -> list[dict[str, Any]]:
        return self._rows


class RemoteReport:
    """A report the server built: its period, kind, counts and the rendered files asked for."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.period: str = data["period"]
        self.kind: str = data["kind"]
        self.counts: tuple[int, int, int] = (data["wins"], data["risks"], data["stories"])
        self._files = {f: base64.b64decode(v) for f, v in data["files"].items()}

    def render(self, fmt: str) -> bytes:
        return self._files[fmt]

    def write(self, path: str | os.PathLike[str], fmt: str) -> Path:
        """As ``advokit.reports.write``: the file appears whole or not at all."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(self._files[fmt])
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return target


class _Report:
    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def to_dict(self) -> dict[str, Any]:
        return self._data


class _Quality:
    def __init__(self, ws: RemoteWorkspace) -> None:
        self._ws = ws

    def doctor(self) -> _Report:
        return _Report(self._ws.call("doctor"))


class _Coverage:
    def __init__(self, ws: RemoteWorkspace) -> None:
        self._ws = ws

    def list(self) -> list[dict[str, Any]]:
        return self._ws.call("coverage_list")  # type: ignore[no-any-return]

    def set(self, name: str, *, start: str | None = None, end: str | None = None) -> dict[str, Any]:
        return self._ws.call("coverage_set", input=name, start=start, end=end)  # type: ignore[no-any-return]

    def clear(self, name: str) -> dict[str, Any]:
        return self._ws.call("coverage_clear", input=name)  # type: ignore[no-any-return]


class _Listening:
    def __init__(self, ws: RemoteWorkspace) -> None:
        self._ws = ws

    def figures(self, period: str = "month", *, by: str | None = None) -> dict[str, Any]:
        return self._ws.call("listening", period=period, by=by)  # type: ignore[no-any-return]


class _Loops:
    def __init__(self, ws: RemoteWorkspace) -> None:
        self._ws = ws

    def list(self, *, open_only: bool = False, older_than_days: float | None = None, as_of: Any = None,
             limit: int = 1000) -> list[dict[str, Any]]:
        return self._ws.call("loops_list", open_only=open_only, older_than_days=older_than_days,  # type: ignore[no-any-return]
                             as_of=None if as_of is None else as_of.isoformat(), limit=limit)


class _Advocates:
    def __init__(self, ws: RemoteWorkspace) -> None:
        self._ws = ws

    def list(self, *, tier: str | None = None, limit: int = 1000, as_of: str | None = None) -> list[dict[str, Any]]:
        return self._ws.call("advocates_list", tier=tier, limit=limit, as_of=as_of)  # type: ignore[no-any-return]

    def explain(self, customer_id: str, *, as_of: str | None = None) -> dict[str, Any]:
        return self._ws.call("advocates_explain", customer_id=customer_id, as_of=as_of)  # type: ignore[no-any-return]


class _Journey:
    def __init__(self, ws: RemoteWorkspace) -> None:
        self._ws = ws

    def counts(self, *, as_of: str | None = None) -> dict[str, Any]:
        return self._ws.call("journey_counts", as_of=as_of)  # type: ignore[no-any-return]

    def refresh(self, *, as_of: str | None = None) -> dict[str, Any]:
        return self._ws.call("journey_refresh", as_of=as_of)  # type: ignore[no-any-return]

    def stages(self) -> list[dict[str, Any]]:
        return self._ws.call("journey_stages")  # type: ignore[no-any-return]

    def list(self, *, stage: str | None = None, limit: int = 100_000,
             as_of: str | None = None) -> list[dict[str, Any]]:
        return self._ws.call("journey_list", stage=stage, limit=limit, as_of=as_of)  # type: ignore[no-any-return]


class _Personas:
    def __init__(self, ws: RemoteWorkspace) -> None:
        self._ws = ws

    def refresh(self, *, k: int | None = None, as_of: str | None = None, seed: int = 42) -> dict[str, Any]:
        return self._ws.call("personas_refresh", k=k, seed=seed, as_of=as_of)  # type: ignore[no-any-return]
class _Models:
    def __init__(self, ws: RemoteWorkspace) -> None:
        self._ws = ws

    def backtest(self, *, target: str, as_of: str | None, horizon_days: int = 90,
                 shuffle_labels: bool = False) -> dict[str, Any]:
        return self._ws.call("models_backtest", target=target, as_of=as_of,  # type: ignore[no-any-return]
                             horizon_days=horizon_days, shuffle_labels=shuffle_labels)

    def train(self, *, target: str, horizon_days: int = 90, as_of: str | None = None) -> dict[str, Any]:
        return self._ws.call("models_train", target=target, horizon_days=horizon_days,  # type: ignore[no-any-return]
                             as_of=as_of)

    def list(self) -> list[dict[str, Any]]:
        return self._ws.call("models_list")  # type: ignore[no-any-return]


class _Commentary:
    def __init__(self, ws: RemoteWorkspace) -> None:
        self._ws = ws

    def add(self, kpi: str, period: str, body: str, *, author: str | None = None, owner: str | None = None,
            kind: str = "comment", due: str | None = None) -> dict[str, Any]:
        saved: dict[str, Any] = self._ws.call("comment_add", kpi=kpi, period=period, body=body, author=author,
                                              owner=owner, kind=kind, due=due)
        return saved

    def list(self, *, kpi: str | None = None, period: str | None = None,
             kind: str | None = None) -> list[dict[str, Any]]:
        return self._ws.call("comment_list", kpi=kpi, period=period, kind=kind)  # type: ignore[no-any-return]

    def delete(self, comment_id: str) -> None:
        self._ws.call("comment_delete", id=comment_id)


class _Settings:
    def __init__(self, ws: RemoteWorkspace) -> None:
        self._ws = ws

    def get(self, key: str) -> str | None:
        return self._ws.call("settings_get", key=key)  # type: ignore[no-any-return]

    def set(self, key: str, value: str) -> dict[str, Any]:
        return self._ws.call("settings_set", key=key, value=value)  # type: ignore[no-any-return]

    def unset(self, key: str) -> dict[str, Any]:
        return self._ws.call("settings_unset", key=key)  # type: ignore[no-any-return]

    def all(self) -> dict[str, str]:
        return self._ws.call("settings_all")  # type: ignore[no-any-return]

    def headline(self) -> dict[str, Any]:
        return self._ws.call("settings_headline")  # type: ignore[no-any-return]


class _Analysis:
    def __init__(self, ws: RemoteWorkspace) -> None:
        self._ws = ws

    def targets(self, kpis: Sequence[str] | None = None) -> list[dict[str, Any]]:
        return self._ws.call("targets", kpis=None if kpis is None else list(kpis))  # type: ignore[no-any-return]

    def delete_target(self, target_id: str) -> dict[str, Any]:
        return self._ws.call("delete_target", id=target_id)  # type: ignore[no-any-return]


class _Attribute:
    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def to_dict(self) -> dict[str, Any]:
        return self._data


class _Customers:
    def __init__(self, ws: RemoteWorkspace) -> None:
        self._ws = ws

    def attributes(self) -> list[_Attribute]:
        return [_Attribute(a) for a in self._ws.call("attributes")]


class RemoteImport:
    """An import report as the server made it (``to_dict()``)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def to_dict(self) -> dict[str, Any]:
        return self._data


class RemoteWorkspace:
    """The facade calls of the CLI, sent to the ``advokit serve`` that holds the workspace."""

    def __init__(self, db: Path, server: ServerInfo, *, catalogue: Catalogue | None = None) -> None:
        self.path = db
        self.server = server
        self.catalogue = catalogue or load_catalogue()
        self.commentary = _Commentary(self)
        self.settings = _Settings(self)
        self.analysis = _Analysis(self)
        self.customers = _Customers(self)
        self.coverage = _Coverage(self)
        self.quality = _Quality(self)
        self.listening = _Listening(self)
        self.loops = _Loops(self)
        self.advocates = _Advocates(self)
        self.journey = _Journey(self)
        self.personas = _Personas(self)
        self.funnel = RemoteFunnel(self)
        self.models = _Models(self)

    def __repr__(self) -> str:
        return f"RemoteWorkspace({str(self.path)!r}, via {self.server.url})"

    # -- the channel ---------------------------------------------------------------------
    def call(self, method: str, **args: Any) -> Any:
        """Run one whitelisted facade call on the server; its result, or the same error raised here."""
        body = json.dumps({"method": method, "args": args}).encode()
        request = urllib.request.Request(self.server.url + "/v1/local/call", data=body, method="POST",
                                         headers={"Authorization": f"Bearer {self.server.token}",
                                                  "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=None) as response:
                return json.loads(response.read())["result"]
        except urllib.error.HTTPError as exc:
            try:
                answer = json.loads(exc.read())
            except ValueError:
                answer = None
            _raise_from(answer, exc.code)
        except urllib.error.URLError as exc:
            raise WorkspaceError(f"the advokit server at {self.server.url} (pid {self.server.pid}) went away: "
                                 f"{exc.reason}", hint="run the command again") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        pass

    # -- the facade's calls ----------------------------------------------------------------
    def kpi(self, kpi_id: str) -> KpiDefinition:
        return self.catalogue.get(kpi_id)

    def compute(self, kpis: Sequence[str], *, period: str = "month", by: Sequence[str] = (), start: str | None = None,
                end: str | None = None, filters: Filters = None) -> RemoteResult:
        data = self.call("compute", kpis=list(kpis), period=period, by=list(by), start=start, end=end,
                         filters=None if filters is None else dict(filters))
        return RemoteResult(data["rows"], data["columns"])

    def sql(self, kpis: Sequence[str], *, period: str = "month", by: Sequence[str] = (), start: str | None = None,
            end: str | None = None, filters: Filters = None, dialect: str = "duckdb") -> str:
        return self.call("sql", kpis=list(kpis), period=period, by=list(by), start=start, end=end,  # type: ignore[no-any-return]
                         filters=None if filters is None else dict(filters), dialect=dialect)

    def summary(self, *, period: str | None = None) -> list[dict[str, Any]]:
        return self.call("summary", period=period)  # type: ignore[no-any-return]

    def latest_complete_period(self, grain: str = "month") -> str | None:
        return self.call("latest_complete_period", grain=grain)  # type: ignore[no-any-return]

    def analyze(self, kpis: Sequence[str], *, period: str = "month", by: Sequence[str] = (), start: str | None = None,
                end: str | None = None, filters: Filters = None, rolling: int | None = None) -> list[dict[str, Any]]:
        return self.call("analyze", kpis=list(kpis), period=period, by=list(by), start=start, end=end,  # type: ignore[no-any-return]
                         filters=None if filters is None else dict(filters), rolling=rolling)

    def scorecard(self, period: str | None = None, *, by: str | None = None, filters: Filters = None,
                  rolling: int | None = None) -> dict[str, Any]:
        return self.call("scorecard", period=period, by=by, filters=None if filters is None else dict(filters),  # type: ignore[no-any-return]
                         rolling=rolling)

    def compare(self, kpis: Sequence[str], *, period: str, by: str, a: str | None, b: str | None,
                filters: Filters = None) -> list[dict[str, Any]]:
        return self.call("compare", kpis=list(kpis), period=period, by=by, a=a, b=b,  # type: ignore[no-any-return]
                         filters=None if filters is None else dict(filters))

    def cohorts(self, *, grain: str = "month", basis: str = "logo", start: str | None = None, end: str | None = None,
                filters: Filters = None, activity: Sequence[str] | None = None) -> list[dict[str, Any]]:
        return self.call("cohorts", grain=grain, basis=basis, start=start, end=end,  # type: ignore[no-any-return]
                         filters=None if filters is None else dict(filters),
                         activity=None if activity is None else list(activity))

    def maturity(self) -> dict[str, Any]:
        return self.call("maturity")  # type: ignore[no-any-return]

    def set_target(self, kpi: str, value: float | str, *, segment: str | None = None,
                   dimension: str | None = None, dimension_value: str | None = None,
                   valid_from: str | None = None, valid_to: str | None = None) -> dict[str, Any]:
        return self.call("set_target", kpi=kpi, value=value, segment=segment, dimension=dimension,  # type: ignore[no-any-return]
                         dimension_value=dimension_value, valid_from=valid_from, valid_to=valid_to)

    def _import(self, method: str, source: Path, *, strict: bool = False, rejects_path: Path | None = None,
                progress: Any = None, mapping: Path | None = None, dry_run: bool = False,
                **options: Any) -> RemoteImport:
        """The server reads the file itself (same machine): absolute paths, the report as it would be here."""
        rejects = Path(rejects_path) if rejects_path else Path(str(source) + ".rejects.csv")
        extra = {k: v for k, v in options.items() if v is not None}
        if mapping is not None:
            extra["mapping"] = str(Path(mapping).absolute())
        data = self.call(method, path=str(Path(source).absolute()), source_name=str(source), strict=strict,
                         rejects_path=None if dry_run else str(rejects.absolute()), dry_run=dry_run, **extra)
        if data.get("rejects_path") == str(rejects.absolute()):
            data["rejects_path"] = str(rejects)  # as a local import names it
        return RemoteImport(data)

    def import_customers(self, source: Path, **options: Any) -> RemoteImport:
        return self._import("import_customers", source, **options)

    def import_events(self, source: Path, **options: Any) -> RemoteImport:
        return self._import("import_events", source, **options)

    def report(self, period: str | None, *, formats: Sequence[str], **options: Any) -> RemoteReport:
        return RemoteReport(self.call("report", period=period, formats=list(formats),
                                      **{k: (dict(v) if k == "filters" and v is not None else v)
                                         for k, v in options.items()}))
