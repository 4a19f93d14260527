"""The demo team's commentary: who owns which KPI, what they are doing about it, and what they ask for.

A demo report should read like a real one: risks with an owner and a due
date, next steps the team committed to, a request for the reader. These
comments are written for the latest complete month of the demo (and, for
owners that carry over, the month before), with due dates in the month
after it. They are plain commentary, stored like any user's
(``advokit comment list`` shows them, ``--replace`` removes them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from ..commentary import Commentary
from ..engine.periods import parse_period_label

Kind = Literal["comment", "action", "request"]


@dataclass(frozen=True)
class Note:
    kpi: str
    kind: Kind
    body: str
    owner: str | None
    author: str
    due_day: int | None = None  # day of the month after the report's month
    earlier: bool = False  # written in the month before (an owner that carries over)


TEAM: tuple[Note, ...] = (
    Note("customer_churn_rate", "comment", "Churn and renewals are owned by the renewals desk.", "Marco (Renewals)",
         "Ana", earlier=True),
    Note("advocacy_actions_per_customer", "comment", "Advocacy actions are tracked by the advocacy team.",
         "Sofia (Advocacy)", "Ana", earlier=True),
    Note("referral_conversion_rate", "action",
         "Route referred leads to sales within one working day and review the hand-off every week.",
         "Priya (Referrals)", "Ana", due_day=15),
    Note("contract_renewal_rate", "action",
         "Open renewal conversations 90 days ahead for every account due next quarter.", "Marco (Renewals)", "Ana",
         due_day=10),
    Note("active_advocates_rate", "action",
         "Invite this month's promoters to one easy first action: a review or a share.", "Sofia (Advocacy)", "Ana",
         due_day=20),
    Note("csat", "action", "Review the ten lowest-rated support tickets with the support leads.", "Dana (Support)",
         "Ana", due_day=12),
    Note("nps", "request", "Approve a budget for a detractor call-back programme next quarter.", "Sofia (Advocacy)",
         "Ana", due_day=28),
    Note("nps", "comment", "The survey moved in-app this month; more customers answered.", None, "Sam"),
)


def add_team_comments(commentary: Commentary, month: str) -> int:
    """Store the demo team's comments for ``month`` (YYYY-MM); return how many were added."""
    period = parse_period_label(month)
    before = period.shift(-1).label
    following = period.shift(1).start
    count = 0
    for note in TEAM:
        due = None if note.due_day is None else dt.date(following.year, following.month, note.due_day)
        commentary.add(note.kpi, before if note.earlier else period.label, note.body, author=note.author,
                       owner=note.owner, kind=note.kind, due=due)
        count += 1
    return count
