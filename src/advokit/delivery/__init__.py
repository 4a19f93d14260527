"""Report cadence and delivery: schedules stored in the workspace, sent by e-mail or webhook.

Owns the ``schedules`` and ``deliveries`` tables (through :class:`~advokit.store.Database`),
the periods a schedule owes (:mod:`.due`), the SMTP and webhook senders (:mod:`.senders`,
stdlib only) and their settings (:mod:`.settings`). It builds no report: ``Delivery.run_due``
takes a ``render(kind, period, formats)`` callable, which ``advokit.reports.delivery`` supplies.
May import: ``store``, ``errors``. The shells reach it as ``ws.delivery``.
"""

from .due import due_period
from .schedules import FORMATS, KINDS, check_recipient
from .senders import Attachment, DeliveryFailed, Rendered
from .service import Delivery, DueRunner, Render
from .settings import DeliverySettings, SmtpSettings

__all__ = [
           "FORMATS",
           "KINDS",
           "Attachment",
           "Delivery",
           "DeliveryFailed",
           "DeliverySettings",
           "DueRunner",
           "Render",
           "Rendered",
           "SmtpSettings",
           "check_recipient",
           "due_period",
]
