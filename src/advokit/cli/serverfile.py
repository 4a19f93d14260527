"""``<workspace>.server``: how the command line finds the ``advokit serve`` that holds a workspace.

While a server holds the workspace file, DuckDB lets no other process open it,
not even read-only. So ``advokit serve`` writes, once it answers, a small JSON
file beside the workspace::

    {"url": "http://127.0.0.1:8000", "pid": 1234, "started_at": "...", "token": "...", "workspace": "..."}

created owner-only (mode 0600, written to a temporary file and renamed into
place, so no reader sees half of it), and removes it when it stops (normal
exit, SIGTERM, SIGINT). The ``token`` is random per start and opens the API
as an admin key from this machine only (:func:`advokit.api.auth.authorize`).

:func:`find` gives the server a command should talk to, or None. A file whose
process is gone, or whose address answers as no advokit server of that pid, is
stale (a server killed with SIGKILL leaves one): it is removed and ignored.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

#: seconds the CLI waits for the server to say who it is before it opens the file itself
PROBE_TIMEOUT = 3.0


@dataclass(frozen=True)
class ServerInfo:
    url: str
    pid: int
    started_at: str
    token: str
    workspace: str

    def __repr__(self) -> str:  # never the token, not even in a traceback
        return f"ServerInfo(url={self.url!r}, pid={self.pid}, workspace={self.workspace!r})"


def path_for(db: Path) -> Path:
    """``<workspace>.server`` beside the workspace file."""
    return db.with_name(db.name + ".server")


def local_url(host: str, port: int) -> str | None:
    """The address this machine reaches a server bound to ``host`` at; None beyond loopback."""
    from ..api.hosts import is_loopback

    if host in ("", "0.0.0.0"):
        return f"http://127.0.0.1:{port}"
    if host == "::":
        return f"http://[::1]:{port}"
    if is_loopback(host):
        bare = host.strip("[]")
        return f"http://[{bare}]:{port}" if ":" in bare else f"http://{bare}:{port}"
    return None  # bound to one outside address only: the CLI could not reach it from loopback


def new_token() -> str:
    return secrets.token_urlsafe(32)


def write(db: Path, url: str, token: str) -> ServerInfo:
    """Write ``<workspace>.server`` for this process (owner-only, atomically); return what it holds."""
    info = ServerInfo(url=url, pid=os.getpid(), started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                      token=token, workspace=str(db.resolve()))
    target = path_for(db)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(asdict(info), fh)
        os.chmod(tmp, 0o600)  # whatever the umask
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return info


def remove(db: Path, info: ServerInfo) -> None:
    """Remove ``<workspace>.server`` if it is still the one ``info`` wrote."""
    found = read(db)
    if found is not None and found.pid == info.pid and found.token == info.token:
        path_for(db).unlink(missing_ok=True)


def read(db: Path) -> ServerInfo | None:
    """What ``<workspace>.server`` says, or None (absent or unreadable)."""
    try:
        data = json.loads(path_for(db).read_text(encoding="utf-8"))
        return ServerInfo(url=str(data["url"]), pid=int(data["pid"]), started_at=str(data["started_at"]),
                          token=str(data["token"]), workspace=str(data["workspace"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def _probe(info: ServerInfo) -> bool | None:
    """True: the server of ``info`` answers; False: something else (or nothing) is there; None: no answer in time."""
    request = urllib.request.Request(info.url + "/v1/local", headers={"Authorization": f"Bearer {info.token}"})
    try:
        with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT) as response:
            data: Any = json.loads(response.read())
    except urllib.error.HTTPError:
        return False
    except urllib.error.URLError as exc:
        return None if isinstance(exc.reason, TimeoutError) else False
    except (TimeoutError, ValueError, OSError):
        return None
    return isinstance(data, dict) and data.get("pid") == info.pid


def find(db: Path) -> ServerInfo | None:
    """The running server that holds ``db``, or None; a stale ``<workspace>.server`` is removed."""
    info = read(db)
    if info is None:
        return None
    if not _pid_alive(info.pid):
        remove(db, info)
        return None
    answer = _probe(info)
    if answer is True:
        return info
    if answer is False:  # refused, or another server: the pid is a different process by now
        remove(db, info)
    return None

