"""The workspace's secret key, kept outside the workspace file.

Erasures are recorded under a keyed hash of the customer id
(:mod:`advokit.access.privacy`); if the key sat in the workspace file, anyone
holding the file could confirm a guessed id as erased. The key therefore lives

* in ``$ADVOKIT_SECRET_KEY`` when that is set (any string of 32 or more characters), or
* in a key file beside the workspace, ``<workspace>.key``, created with owner-only
  permissions (0600) when first needed: one hex key a line, the current one first,
  older ones after it (still accepted when checking, never used to record).

Keep the key file with backups of the workspace: without it, ``was_erased``
cannot recognise earlier erasures (the erasures themselves stay done).
Workspaces whose salt was still in the file (``meta.erasure_salt``, before
this module) have it moved to the key file when opened for writing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ..errors import WorkspaceError
from ..store.database import Database
from ..store.rows import first

log = logging.getLogger(__name__)

ENV_KEY = "ADVOKIT_SECRET_KEY"
LEGACY_SALT_KEY = "erasure_salt"
_MIN_ENV_CHARS = 32
#: How a value sealed with the key starts (a Fernet token follows: AES-128-CBC with HMAC-SHA256).
SEALED_PREFIX = "sealed:v1:"


def key_path(db: Database) -> Path:
    """``<workspace>.key`` beside the workspace file."""
    return db.path.with_name(db.path.name + ".key")


def _env_key() -> bytes | None:
    raw = os.environ.get(ENV_KEY)
    if raw is None or raw == "":
        return None
    if len(raw) < _MIN_ENV_CHARS:
        raise WorkspaceError(f"${ENV_KEY} is shorter than {_MIN_ENV_CHARS} characters",
                             hint="set it to a long random value, e.g. `python -c 'import secrets; "
                                  "print(secrets.token_hex(32))'`")
    return hashlib.sha256(raw.encode()).digest()


def _read_file(path: Path) -> list[bytes]:
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkspaceError(f"cannot read the key file {path}: {exc}") from None
    keys = []
    for line in text.split():
        try:
            keys.append(bytes.fromhex(line))
        except ValueError:
            raise WorkspaceError(f"the key file {path} is damaged (not hex keys)",
                                 hint="restore it from a backup") from None
    return keys


def _write_file(path: Path, keys: list[bytes]) -> None:
    """Write ``keys`` to ``path`` (0600), atomically: a temporary file beside it, fsync, rename."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, "".join(k.hex() + "\n" for k in keys).encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)  # (whatever the umask)
    os.replace(tmp, path)


class SecretKey:
    """The secret key of one workspace (see the module's docstring)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.path = key_path(db)

    def current(self) -> bytes:
        """The key to record under: ``$ADVOKIT_SECRET_KEY``, else the key file (created when missing)."""
        env = _env_key()
        if env is not None:
            return env
        keys = _read_file(self.path)
        if not keys:
            keys = [secrets.token_bytes(32)]
            _write_file(self.path, keys)
        return keys[0]

    def all(self) -> list[bytes]:
        """Every key that may have recorded something: the current one, then older ones (none created)."""
        found = [k for k in [_env_key(), *_read_file(self.path)] if k is not None]
        legacy = self._legacy()
        return found + ([legacy] if legacy is not None and legacy not in found else [])

    def _legacy(self) -> bytes | None:
        row = first(self.db.cursor().execute("SELECT value FROM meta WHERE key = ?", [LEGACY_SALT_KEY]))
        return None if row is None else bytes.fromhex(row[0])

    def migrate(self) -> bool:
        """Move a salt still kept in the workspace file to the key file (True when one was moved)."""
        if self.db.read_only:
            return False
        legacy = self._legacy()
        if legacy is None:
            return False
        keys = _read_file(self.path)
        if legacy not in keys:
            # with no key yet, the old salt becomes the current key; else it is kept as an older one
            _write_file(self.path, [*keys, legacy])
        with self.db.transaction(data=False) as cur:
            cur.execute("DELETE FROM meta WHERE key = ?", [LEGACY_SALT_KEY])
            self.db.mark_rewrite(cur)  # (the deleted salt's bytes leave the file too)
        self.db.rewrite()
        log.info("moved the erasure salt of %s to %s", self.db.path, self.path)
        return True

    # -- values that must be recoverable (webhook secrets), sealed with the key ---------------------------
    @staticmethod
    def _fernet(key: bytes) -> Fernet:
        derived = hmac.new(key, b"advokit sealed values v1", hashlib.sha256).digest()  # not the erasure salt itself
        return Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, value: str) -> str:
        """``value`` encrypted with the current key, as stored text (see :data:`SEALED_PREFIX`)."""
        return SEALED_PREFIX + self._fernet(self.current()).encrypt(value.encode()).decode("ascii")

    def unseal(self, stored: str) -> str:
        """The value :meth:`seal` stored (any key of :meth:`all` may have sealed it); plain text is returned as is."""
        if not stored.startswith(SEALED_PREFIX):
            return stored  # written before values were sealed; :meth:`Access` seals them on open
        keys = self.all() or [self.current()]
        try:
            return MultiFernet([self._fernet(k) for k in keys]).decrypt(stored[len(SEALED_PREFIX):].encode()).decode()
        except InvalidToken:
            raise WorkspaceError("a sealed secret of the workspace cannot be opened with its key",
                                 hint=f"restore {self.path} (or ${ENV_KEY}) from the backup of this workspace") from None
