"""``advokit serve``, ``advokit apikey ...`` and ``advokit webhook ...``: thin shells over the services."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import click

from ..access.keys import SCOPES
from ..access.webhooks import KINDS, MAX_GRACE, SIGNATURE_HEADER, TIMESTAMP_HEADER
from ..api.settings import ApiSettings
from ..store.checkpoints import Checkpointer
from . import serverfile
from .app import State, cli, format_option, pass_state
from .render import emit


def _limit_options(fn: Any) -> Any:
    """One ``--name`` option per API setting (default, variable and help from ApiSettings)."""
    for f in reversed(dataclasses.fields(ApiSettings)):
        kind = click.FloatRange(0) if isinstance(f.default, float) else click.IntRange(0)
        fn = click.option(f"--{f.name.replace('_', '-')}", f.name, type=kind, default=None,
                          help=f"{f.metadata['help']} [default: {f.default}; env: {ApiSettings.env_name(f.name)}]")(fn)
    return fn


def _extra_routers(ws: Any, hosts: Any) -> list[Any]:
    """The dashboard's routers, mounted at / next to the API (form Origins checked against ``hosts``)."""
    from ..web import routers

    return list(routers(ws, origin_allowed=hosts.allows_origin))


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to bind.")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME[:PORT]",
              help="Another host name requests may name in Host (and forms in Origin), besides the bound "
                   "address (loopback binds: 127.0.0.1, localhost, [::1]); without a port, any port; '*' "
                   "turns the check off. Repeatable. Others are answered 421.")
@_limit_options
@click.option("--access-log/--no-access-log", default=False, show_default=True, help="Log every request.")
@pass_state
def serve(state: State, host: str, port: int, allowed_hosts: tuple[str, ...], access_log: bool,
          **limits: Any) -> None:
    """Serve the REST API (under /v1, OpenAPI at /openapi.json) over the workspace, in one process."""
    import uvicorn

    from ..api import create_app
    from ..api.hosts import HostPolicy, is_loopback

    settings = ApiSettings.from_env(**limits)
    policy = HostPolicy.for_bind(host, port, allowed_hosts)
    ws = state.workspace()
    loopback = is_loopback(host)
    if not ws.access.keys.list(include_revoked=False):
        if loopback:
            click.echo("warning: the workspace has no API key: the dashboard is open to anyone on this machine "
                       "(open local mode, no sign-in) and every /v1 endpoint but /v1/health answers 401; "
                       "create one with `advokit apikey create --scope read|write|admin --name NAME`", err=True)
        else:
            click.echo(f"warning: serving on {host} beyond loopback and the workspace has no API key: every "
                       "endpoint but /v1/health will answer 401 and the dashboard answers only this machine; "
                       "create one with `advokit apikey create`", err=True)
    if not loopback:
        click.echo("warning: the API speaks plain HTTP; put it behind a TLS proxy when it leaves this machine",
                   err=True)
    click.echo("advokit answers requests for " + ", ".join(policy.describe())
               + " (add others with --allowed-host NAME)", err=True)
    # rollups: taken from the workspace or computed in the background, refreshed 5 s after writes pause
    ws.rollups.maintain(ws.kpis, quiet_seconds=5.0)
    extra = _extra_routers(ws, policy)
    token = serverfile.new_token()  # never printed nor logged: it lives in <workspace>.server only
    app = create_app(ws, settings=settings, extra_routers=extra, hosts=policy, local_token=token)
    click.echo(f"advokit API on http://{host}:{port}/v1 (OpenAPI: /openapi.json); workspace {ws.path}", err=True)
    click.echo(f"advokit dashboard on http://{host}:{port}/", err=True)
    _tune_gc()
    checkpoints = Checkpointer(ws.db, settings.checkpoint_minutes * 60).start()
    schedules = _due_runner(ws, host, port)

    written: list[serverfile.ServerInfo] = []

    class _Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            bound = [sock.getsockname()[1] for srv in self.servers for sock in srv.sockets]
            url = serverfile.local_url(host, bound[0] if bound else port)
            if self.started and url is not None:  # the CLI on this machine finds the server through it
                written.append(serverfile.write(ws.path, url, token))

        async def shutdown(self, sockets: Any = None) -> None:
            for info in written:  # first: a command started now opens the file once the server lets it go
                serverfile.remove(ws.path, info)
            await super().shutdown(sockets)

    def run() -> None:
        server = _Server(uvicorn.Config(app, host=host, port=port, workers=1, log_level="warning",
                                        access_log=access_log, timeout_graceful_shutdown=10))
        server.run()
        if not server.started:
            raise SystemExit(3)  # (uvicorn.run's answer to a port it could not bind; it logged why)

    def stop() -> None:  # closing the workspace checkpoints it: no WAL is left beside the file
        for info in written:
            serverfile.remove(ws.path, info)
        schedules.stop()
        checkpoints.stop()
        state.close()

    _until_signal(run, stop)


def _due_runner(ws: Any, host: str, port: int) -> Any:
    """Due report schedules sent in the background (every ADVOKIT_DELIVERY_INTERVAL seconds, first after 5 s)."""
    from ..delivery import DeliverySettings, DueRunner
    from ..reports.delivery import renderer

    shown = f"[{host}]" if ":" in host else ("127.0.0.1" if host in ("0.0.0.0", "::") else host)
    settings = DeliverySettings.from_env(public_url=f"http://{shown}:{port}")
    return DueRunner(ws.delivery, renderer(ws), settings=settings, first_delay_s=5.0).start()


class _Stopped(Exception):
    """SIGTERM or SIGINT arrived (after uvicorn's graceful shutdown)."""


def _until_signal(run: Any, cleanup: Any) -> None:
    """``run()``, then ``cleanup()``, also when a signal ends it.

    uvicorn shuts down gracefully on SIGTERM / SIGINT and then raises the signal again, with the
    handlers from before it started: under the default SIGTERM handler the process would end at
    once, before the workspace is closed. Ours is in place instead: it unwinds to ``cleanup()``,
    and the signal is raised once more afterwards so the exit status still tells what ended it.
    """
    import signal

    received: list[int] = []

    def handler(signum: int, frame: Any) -> None:
        received.append(signum)
        raise _Stopped()

    wanted = (signal.SIGTERM, signal.SIGINT)
    previous = {s: signal.signal(s, handler) for s in wanted}
    try:
        run()
    except _Stopped:
        pass
    finally:
        try:
            cleanup()
        finally:
            for s, h in previous.items():
                signal.signal(s, h)
    if received:
        signal.raise_signal(received[0])


def _tune_gc() -> None:
    """Keep Python's cycle collector off the request path of a long-lived server.

    A batch of 1,000 events makes some 10,000 short-lived objects; with the default
    thresholds they set off a collection every few hundred, and every few batches a
    full one over the whole heap (the warmed-up caches): about 6 ms a batch on
    average (docs/benchmarks.md). What exists at start is kept out of collections for
    good (``gc.freeze``), and the youngest generation is collected after 50,000 more
    objects instead of 700: requests free what they make, so cycles still go, rarely.
    """
    import gc

    gc.freeze()
    gc.set_threshold(50_000, 10, 10)


@cli.group()
def apikey() -> None:
    """Create, list and revoke API keys (stored only as hashes)."""


@apikey.command("create")
@click.option("--scope", type=click.Choice(SCOPES), required=True, help="read < write < admin.")
@click.option("--name", required=True, help="What the key is for, e.g. crm-sync.")
@format_option(("text", "json"), default="text")
@pass_state
def apikey_create(state: State, scope: str, name: str, fmt: str) -> None:
    """Create a key and print it once (it cannot be shown again)."""
    new = state.workspace().access.keys.create(name=name, scope=scope)
    if fmt == "json":
        emit(new.to_dict(), "json")
        return
    click.echo(new.key)
    click.echo(f"key {new.info.id} ({new.info.name}, scope {new.info.scope}): shown once, store it now; "
               "send it as `Authorization: Bearer KEY`", err=True)


@apikey.command("list")
@format_option()
@pass_state
def apikey_list(state: State, fmt: str) -> None:
    """List keys (never their secrets)."""
    rows = [k.to_dict() for k in state.workspace().access.keys.list()]
    emit(rows, fmt, columns=["id", "name", "scope", "created_at", "revoked_at", "active"])


@apikey.command("revoke")
@click.argument("key_id")
@format_option(("text", "json"), default="text")
@pass_state
def apikey_revoke(state: State, key_id: str, fmt: str) -> None:
    """Revoke a key by its id; it stops working at once."""
    key = state.workspace().access.keys.revoke(key_id)
    if fmt == "json":
        emit(key.to_dict(), "json")
    else:
        click.echo(f"revoked key {key.id} ({key.name}) at {key.revoked_at}")


@cli.group()
def webhook() -> None:
    """Secrets of signed webhook sources (survey and referral tools)."""


@webhook.command("secret")
@click.argument("source")
@click.option("--kind", type=click.Choice(KINDS), default=None,
              help="Payload shape of the source (default: auto-detect; kept on rotation).")
@click.option("--grace-hours", type=click.FloatRange(0, MAX_GRACE.total_seconds() / 3600), default=24.0,
              show_default=True, help="On a rotation, how long the replaced secret keeps working (0: not at all).")
@click.option("--revoke-previous", is_flag=True,
              help="Do not rotate: stop accepting the previous secret now (end the grace period).")
@format_option(("text", "json"), default="text")
@pass_state
def webhook_secret(state: State, source: str, kind: str | None, grace_hours: float, revoke_previous: bool,
                   fmt: str) -> None:
    """Set or rotate SOURCE's shared secret and print it once (the previous one works --grace-hours more)."""
    hooks = state.workspace().access.webhooks
    if revoke_previous:
        found = hooks.revoke_previous(source)
        if fmt == "json":
            emit(found.to_dict(), "json")
        else:
            click.echo(f"webhook source {source!r}: the previous secret no longer works; only the current one does")
        return
    secret, found = hooks.set_secret(source, kind=kind, grace=dt.timedelta(hours=grace_hours))
    if fmt == "json":
        emit({**found.to_dict(), "secret": secret}, "json")
        return
    click.echo(secret)
    if found.previous_until:
        click.echo(f"the previous secret works until {found.previous_until}; end that now with "
                   f"`advokit webhook secret {source} --revoke-previous`", err=True)
    click.echo(f"secret of webhook source {source!r} (kind {found.kind}): shown once. Sign each delivery: "
               f"{TIMESTAMP_HEADER}: <unix seconds>, {SIGNATURE_HEADER}: sha256=HMAC-SHA256(secret, "
               f"'<timestamp>.<body>'); POST it to /v1/webhooks/{source}", err=True)


@webhook.command("list")
@format_option()
@pass_state
def webhook_list(state: State, fmt: str) -> None:
    """List signed sources (never their secrets)."""
    rows = [s.to_dict() for s in state.workspace().access.webhooks.list()]
    emit(rows, fmt, columns=["source", "kind", "created_at", "rotated_at", "previous_until"])
