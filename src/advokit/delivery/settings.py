"""How deliveries go out: the SMTP server, retries and the link base, from the environment.

==========================  ===============================================  =========
variable                    meaning                                          default
==========================  ===============================================  =========
``ADVOKIT_SMTP_HOST``       the SMTP server (needed for e-mail recipients)   (none)
``ADVOKIT_SMTP_PORT``       its port                                         587 / 465 with ssl / 25 with none
``ADVOKIT_SMTP_USER``       user name for AUTH (none: no login)              (none)
``ADVOKIT_SMTP_PASSWORD``   its password                                     (none)
``ADVOKIT_SMTP_FROM``       the From address                                 the user, else advokit@localhost
``ADVOKIT_SMTP_TLS``        ``starttls``, ``ssl`` or ``none``                ``starttls``
``ADVOKIT_DELIVERY_ATTEMPTS``  tries per recipient before it is recorded failed  3
``ADVOKIT_DELIVERY_BACKOFF``   seconds before the second try (doubling after)   2
``ADVOKIT_PUBLIC_URL``      where the server is reached: the link a webhook sends  http://127.0.0.1:8000 (serve: its address)
``ADVOKIT_DELIVERY_INTERVAL``  seconds between two looks for due schedules in ``advokit serve``  300
==========================  ===============================================  =========
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import InvalidArgumentError

TLS_MODES: tuple[str, ...] = ("starttls", "ssl", "none")
_DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


def _number(env: Mapping[str, str], name: str, default: float, *, low: float, high: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        raise InvalidArgumentError(f"{name}={raw!r} is not a number from {low:g} to {high:g}")
    return value


@dataclass(frozen=True)
class SmtpSettings:
    host: str | None = None
    port: int = 587
    user: str | None = None
    password: str | None = None
    sender: str = "advokit@localhost"
    tls: str = "starttls"
    timeout_s: float = 30.0


@dataclass(frozen=True)
class DeliverySettings:
    smtp: SmtpSettings = SmtpSettings()
    attempts: int = 3
    backoff_s: float = 2.0
    public_url: str = "http://127.0.0.1:8000"
    timeout_s: float = 30.0
    interval_s: float = 300.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *,
                 public_url: str = "http://127.0.0.1:8000") -> DeliverySettings:
        """The settings from ``env`` (default: the process environment); ``public_url`` when it names none."""
        env = os.environ if env is None else env
        tls = env.get("ADVOKIT_SMTP_TLS") or "starttls"
        if tls not in TLS_MODES:
            raise InvalidArgumentError(f"ADVOKIT_SMTP_TLS={tls!r} is not a TLS mode",
                                       hint="use one of: " + ", ".join(TLS_MODES))
        user = env.get("ADVOKIT_SMTP_USER") or None
        smtp = SmtpSettings(
            host=env.get("ADVOKIT_SMTP_HOST") or None,
            port=int(_number(env, "ADVOKIT_SMTP_PORT", _DEFAULT_PORTS[tls], low=1, high=65535)),
            user=user, password=env.get("ADVOKIT_SMTP_PASSWORD") or None,
            sender=env.get("ADVOKIT_SMTP_FROM") or user or "advokit@localhost", tls=tls)
        return cls(smtp=smtp,
                   attempts=int(_number(env, "ADVOKIT_DELIVERY_ATTEMPTS", 3, low=1, high=10)),
                   backoff_s=_number(env, "ADVOKIT_DELIVERY_BACKOFF", 2.0, low=0, high=600),
                   public_url=(env.get("ADVOKIT_PUBLIC_URL") or public_url).rstrip("/"),
                   interval_s=_number(env, "ADVOKIT_DELIVERY_INTERVAL", 300.0, low=1, high=86400))
