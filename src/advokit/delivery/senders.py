"""The two ways a report goes out: an e-mail over SMTP and a JSON POST to a webhook.

Both raise :class:`DeliveryFailed` with a one-line reason; the service retries and records it.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from .settings import SmtpSettings

_MEDIA = {"pdf": ("application", "pdf"), "html": ("text", "html"), "md": ("text", "markdown")}


class DeliveryFailed(Exception):
    """One try of one delivery did not go through (the message says why, in one line)."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    fmt: str
    data: bytes


@dataclass(frozen=True)
class Rendered:
    """What the renderer gives the service: a subject, the summary text, the files."""

    subject: str
    summary: str
    files: Sequence[Attachment]


def send_email(settings: SmtpSettings, to: str, rendered: Rendered, *, link: str) -> None:
    if not settings.host:
        raise DeliveryFailed("no SMTP server is set (ADVOKIT_SMTP_HOST)")
    msg = EmailMessage()
    msg["Subject"] = rendered.subject
    msg["From"] = settings.sender
    msg["To"] = to
    msg.set_content(f"{rendered.summary}\n\nThe full report: {link}\n")
    for f in rendered.files:
        maintype, subtype = _MEDIA[f.fmt]
        msg.add_attachment(f.data, maintype=maintype, subtype=subtype, filename=f.filename)
    try:
        smtp: smtplib.SMTP
        if settings.tls == "ssl":
            smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout_s,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s)
        with smtp:
            if settings.tls == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.user:
                smtp.login(settings.user, settings.password or "")
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(f"SMTP {settings.host}:{settings.port}: {_one_line(exc)}") from exc


def webhook_payload(rendered: Rendered, *, link: str, kind: str, period: str) -> dict[str, Any]:
    """Slack-compatible: ``text`` is what a Slack or Teams incoming webhook shows; the rest is for programs."""
    return {"text": f"*{rendered.subject}*\n{rendered.summary}\n<{link}|Open the report>",
            "title": rendered.subject, "summary": rendered.summary, "link": link, "kind": kind, "period": period,
            "formats": [f.fmt for f in rendered.files]}


def post_webhook(url: str, payload: dict[str, Any], *, timeout_s: float) -> None:
    body = json.dumps(payload).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "advokit"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            response.read(65536)
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"POST {url}: HTTP {exc.code} {exc.reason}") from exc
    except (OSError, ValueError) as exc:
        raise DeliveryFailed(f"POST {url}: {_one_line(exc)}") from exc


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
