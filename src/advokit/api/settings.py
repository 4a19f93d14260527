"""The API's settings: one typed object feeding defaults, environment variables and ``serve --help``."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidArgumentError

ENV_PREFIX = "ADVOKIT_API_"
_AT_LEAST_ONE = ("max_body_bytes", "max_batch", "burst", "auth_fail_burst")


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class ApiSettings:
    """Limits of ``advokit serve``; each can be set as ``ADVOKIT_API_<NAME>`` or ``--<name>``."""

    max_body_bytes: int = _setting(16 * 1024 * 1024, "Largest request body in bytes; larger is answered 413.")
    max_batch: int = _setting(10_000, "Most customers or events in one batch; more is answered 413.")
    rate: float = _setting(100.0, "Requests per second each API key (or webhook source) may sustain; 0: no limit.")
    burst: int = _setting(200, "Requests a key may send at once before the rate applies (token bucket size).")
    auth_fail_rate: float = _setting(1.0, "Failed authentications (bad or missing API keys, bad webhook signatures) "
                                          "per second one client address may sustain; beyond, 429. 0: no limit.")
    auth_fail_burst: int = _setting(20, "Failed authentications one client address may make at once before "
                                        "auth_fail_rate applies.")
    body_timeout: float = _setting(10.0, "Seconds a request body may stall (no bytes arriving) before the request "
                                         "is answered 408 and its connection closed.")
    max_discard_bytes: int = _setting(64 * 1024 * 1024, "Most bytes of a refused body (401, 403, 413, 429) read "
                                                        "and discarded so the client can read the answer; beyond "
                                                        "them the connection is closed.")
    checkpoint_minutes: float = _setting(5.0, "Minutes between checkpoints of the workspace (its WAL written into "
                                              "the file); 0: only on shutdown.")

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value < 0 or (f.name in _AT_LEAST_ONE and value < 1) or (f.name == "body_timeout" and value <= 0):
                raise InvalidArgumentError(f"setting {f.name} = {value} is out of range",
                                           hint=f"{f.metadata['help']}")

    @classmethod
    def env_name(cls, name: str) -> str:
        return ENV_PREFIX + name.upper()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> "ApiSettings":
        """Defaults, then ``ADVOKIT_API_*`` variables, then explicit ``overrides`` (None is ignored)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(cls.env_name(f.name))
            if raw is not None:
                try:
                    values[f.name] = float(raw) if f.type in (float, "float") else int(raw)
                except ValueError:
                    raise InvalidArgumentError(f"{cls.env_name(f.name)}={raw!r} is not a number") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @classmethod
    def describe(cls) -> list[dict[str, Any]]:
        """Every setting with its default, variable and help (for --help and the docs)."""
        return [{"name": f.name, "default": f.default, "env": cls.env_name(f.name), "help": f.metadata["help"]}
                for f in dataclasses.fields(cls)]
