"""A realistic, reproducible demo dataset in the canonical format (data contract v1).

Customers carry a latent satisfaction that drifts month by month. Survey
answers are drawn from it; promoters refer, review and share far more than
detractors; a detractor answer raises the churn hazard for the next months;
larger accounts churn less; renewals come due on signup anniversaries;
advocacy makes expansion likelier; requests for advocacy are fulfilled after
days or weeks; promoters are asked for a review after their answer; detractors
get a follow-up (its ref is the answer's event_id). Every customer signs up
inside the event months (an initial base in the first two), and its events lie
between its signup_at and its churned_at. Each referral_converted event is a new
customer whose referred_by names the referrer, dated at its signup. Everything is
vectorised with
numpy over customers (the loop runs over months), so a million customers
take seconds. The same arguments always give the same tables.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa

SEGMENTS = np.array(["SMB", "Mid-Market", "Enterprise"])
SEGMENT_P = [0.55, 0.30, 0.15]
INDUSTRIES = np.array(["Retail", "Technology", "Healthcare", "Financial Services", "Manufacturing", "Education"])
INDUSTRY_SHIFT = np.array([-0.1, 0.25, -0.15, 0.0, -0.05, 0.1])
REGIONS = np.array(["NAM", "EMEA", "APAC", "LATAM"])
PLANS = np.array(["Basic", "Pro", "Enterprise"])
ARR_MEDIAN = np.array([9_000.0, 42_000.0, 180_000.0])
SATISFACTION_MEAN = np.array([0.05, 0.3, 0.55])
CHURN_FACTOR = np.array([1.35, 0.9, 0.5])
# survey waves and a December dip (index 0 = January)
SURVEY_SEASON = np.array([1.0, 0.8, 1.4, 0.9, 0.8, 1.4, 0.7, 0.6, 1.4, 1.0, 1.3, 0.5])
ADVOCACY_SEASON = np.array([0.9, 1.0, 1.1, 1.1, 1.2, 1.0, 0.8, 0.8, 1.1, 1.2, 1.1, 0.6])

ACTION_TYPES = np.array(["referral_sent", "review", "testimonial", "case_study", "reference_call", "social_share",
                         "community_post", "ugc_post", "speaking"])
ACTION_P = np.array([0.22, 0.16, 0.05, 0.02, 0.04, 0.25, 0.16, 0.07, 0.03])
REQUEST_KINDS = np.array(["review", "testimonial", "case_study", "reference_call", "referral"])
REQUEST_FULFIL = {"review": "review", "testimonial": "testimonial", "case_study": "case_study",
                  "reference_call": "reference_call", "referral": "referral_sent"}

NAME_A = np.array(["Acme", "Birch", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Iris", "Juniper",
                   "Kestrel", "Lumen", "Maple", "Nimbus", "Onyx", "Pioneer", "Quartz", "Ridge", "Summit", "Tidal",
                   "Umber", "Vertex", "Willow", "Xenon", "Yarrow", "Zephyr"])
NAME_B = np.array(["Labs", "Systems", "Health", "Foods", "Logistics", "Analytics", "Retail", "Works", "Partners",
                   "Capital", "Energy", "Studios", "Networks", "Bank", "Clinic", "Academy", "Motors", "Goods"])
NAME_C = np.array(["Ltd", "Inc", "GmbH", "Co", "LLC", "SA", "BV", "Group"])

POSITIVE = np.array([
    "Great support, they answer fast and actually fix things.",
    "Onboarding was smooth and the team felt like partners.",
    "Reliable every single day, we never worry about it.",
    "The new reporting features save us hours each week.",
    "Excellent value for the price, would recommend to any peer.",
    "Love how easy it is to use, the whole team adopted it quickly.",
    "Our account manager is brilliant and always helpful.",
    "Fantastic product, it keeps getting better with every release.",
])
NEUTRAL = np.array([
    "It does the job, nothing special.",
    "Decent tool, a few features are still missing.",
    "Fine overall, onboarding took a little longer than planned.",
    "Okay value, support is usually responsive.",
])
NEGATIVE = np.array([
    "Too expensive for what we get, the price keeps rising.",
    "Support is slow and tickets stay open for weeks.",
    "Onboarding was confusing and took far too long.",
    "Frequent outages, reliability is a real problem for us.",
    "Missing features we were promised, very disappointing.",
    "The interface is clunky and hard to use.",
    "Billing errors again, frustrating experience.",
    "Poor documentation and slow answers from the team.",
])
MENTION_POS = np.array([
    "Just rolled out {b} across the team and everyone loves it",
    "Shout-out to {b} support, quick and helpful as always",
    "{b} keeps impressing us, great release this month",
    "Recommending {b} to anyone who asked me this week",
])
MENTION_NEG = np.array([
    "Another outage from {b} today, not great",
    "{b} pricing change is hard to justify",
    "Waiting days for {b} support to reply, frustrating",
])
PLATFORMS = np.array(["g2", "capterra", "trustpilot"])
CHANNELS = np.array(["email", "in-app", "sms"])
SOCIAL = np.array(["linkedin", "x", "youtube", "community"])
BRAND = "Advokit Cloud"


@dataclass(frozen=True)
class DemoData:
    """The generated customers and events, as Arrow tables in the canonical format."""

    customers: pa.Table
    events: pa.Table


def last_complete_month(today: dt.date | None = None) -> dt.date:
    today = today or dt.datetime.now(dt.timezone.utc).date()
    first = today.replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


#: A 0-d object array of None: the 'missing' branch of ``np.where`` on text columns.
_NONE = np.array(None, dtype=object)


def _us(day: dt.date) -> np.int64:
    return np.int64((day - dt.date(1970, 1, 1)).days) * 86_400_000_000


DAY_US = 86_400_000_000


@dataclass
class _Events:
    """Column buffers of generated events (numpy arrays appended per chunk)."""

    cols: dict[str, list[np.ndarray]] = field(default_factory=lambda: {k: [] for k in (
        "customer", "type", "at", "score", "amount", "text", "channel", "ref", "properties")})
    count: int = 0

    def add(self, customer: np.ndarray, type_: np.ndarray | str, at: np.ndarray, *, score: np.ndarray | None = None,
            amount: np.ndarray | None = None, text: np.ndarray | None = None, channel: np.ndarray | str | None = None,
            ref: np.ndarray | None = None, properties: np.ndarray | None = None) -> np.ndarray:
        n = len(at)
        ids = np.arange(self.count, self.count + n, dtype=np.int64)
        self.count += n

        def full(value: object, dtype: npt.DTypeLike = object) -> np.ndarray:
            if value is None:
                return np.full(n, None, dtype=object)
            if isinstance(value, np.ndarray):
                return value
            out: np.ndarray = np.full(n, value, dtype=dtype)
            return out

        self.cols["customer"].append(customer.astype(np.int64))
        self.cols["type"].append(full(type_))
        self.cols["at"].append(at.astype(np.int64))
        self.cols["score"].append(score.astype(np.float64) if score is not None else np.full(n, np.nan))
        self.cols["amount"].append(amount.astype(np.float64) if amount is not None else np.full(n, np.nan))
        self.cols["text"].append(full(text))
        self.cols["channel"].append(full(channel))
        self.cols["ref"].append(full(ref))
        self.cols["properties"].append(full(properties))
        return ids


#: Referral funnel of the demo: a referral_sent brings a referral_signup (the prospect tries the product) with
#: this probability, and a signed-up prospect becomes a paying customer with the next one.
REFERRAL_SIGNUP_P = 0.4
REFERRAL_CONVERT_P = 0.5
#: The longest wait, after the conversion the funnel drew, for a new customer record to stand for it.
REFERRAL_MATCH_DAYS = 10


@dataclass
class _Referrals:
    """Coherent referral chains: every referral_converted event is a new customer whose referred_by is the referrer.

    A conversion is matched with a customer that signs up soon after it and is not part of the initial base nor
    already referred; the referral_converted event is then dated at that customer's signup_at, carries
    properties.new_customer_id and an amount (its first-year ARR). A conversion with no such customer is not
    generated: the prospect signed up (referral_signup) but never became a customer.
    """

    signup: np.ndarray
    open: np.ndarray
    referred_by: np.ndarray
    sat: np.ndarray
    arr0: np.ndarray
    chains: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)

    def convert(self, rng: np.random.Generator, ev: _Events, referrer: np.ndarray, sent: np.ndarray,
                code: np.ndarray, t_end: np.int64) -> None:
        signed = rng.random(len(referrer)) < REFERRAL_SIGNUP_P
        s_at = sent[signed] + rng.integers(2, 21, signed.sum()) * DAY_US
        keep = s_at < t_end
        c, s_at, code = referrer[signed][keep], s_at[keep], code[signed][keep]
        ev.add(c, "referral_signup", s_at, ref=code, channel="referral")
        wants = rng.random(len(c)) < REFERRAL_CONVERT_P
        c_at = s_at[wants] + rng.integers(7, 40, wants.sum()) * DAY_US
        c, code = c[wants], code[wants]
        pool = np.nonzero(self.open)[0]  # ids follow signup order, so the pool is sorted by signup
        if len(c) == 0 or len(pool) == 0:
            return
        by_time = np.argsort(c_at, kind="stable")
        c, code, c_at = c[by_time], code[by_time], c_at[by_time]
        pos = np.minimum(np.searchsorted(self.signup[pool], c_at), len(pool) - 1)
        new = pool[pos]
        ok = (self.signup[new] >= c_at) & (self.signup[new] - c_at <= REFERRAL_MATCH_DAYS * DAY_US)
        first = np.zeros(len(new), bool)
        first[np.unique(new, return_index=True)[1]] = True  # one referrer per new customer
        ok &= first
        c, code, new = c[ok], code[ok], new[ok]
        if len(new) == 0:
            return
        ids = ev.add(c, "referral_converted", self.signup[new], amount=self.arr0[new], ref=code, channel="referral",
                     properties=np.array([f'{{"new_customer_id": "{x}"}}' for x in _customer_ids(new).tolist()],
                                         dtype=object))
        self.open[new] = False
        self.referred_by[new] = c
        self.sat[new] += 0.3  # referred customers start happier
        self.chains.append((ids, new))


def _lifetime_mask(ev: _Events, signup: np.ndarray, churned: np.ndarray) -> np.ndarray:
    """True for each buffered event inside its customer's lifetime: from signup_at on, before churned_at."""
    if not ev.cols["customer"]:
        return np.zeros(0, bool)
    cust = np.concatenate(ev.cols["customer"])
    at = np.concatenate(ev.cols["at"])
    who = np.maximum(cust, 0)
    gone = churned[who]
    inside: np.ndarray = (cust < 0) | ((at >= signup[who]) & ((gone < 0) | (at < gone)))
    return inside


def _event_ids(ids: np.ndarray) -> np.ndarray:
    if len(ids) == 0:  # np.char.zfill fails on an empty array
        return np.empty(0, dtype=object)
    return np.char.add("E", np.char.zfill(ids.astype(str), 9)).astype(object)


def _customer_ids(idx: np.ndarray) -> np.ndarray:
    if len(idx) == 0:
        return np.empty(0, dtype=object)
    return np.char.add("C", np.char.zfill((idx + 1).astype(str), 7)).astype(object)


def _comment(rng: np.random.Generator, sentiment: np.ndarray) -> np.ndarray:
    """A comment whose wording matches the sentiment (-1, 0, 1)."""
    out = np.empty(len(sentiment), dtype=object)
    for value, pool in ((1, POSITIVE), (0, NEUTRAL), (-1, NEGATIVE)):
        mask = sentiment == value
        out[mask] = pool[rng.integers(0, len(pool), mask.sum())]
    return out


def _json_objects(key: str, values: np.ndarray) -> np.ndarray:
    if values.dtype == bool:
        return np.where(values, f'{{"{key}": true}}', f'{{"{key}": false}}').astype(object)
    return np.array([f'{{"{key}": {json.dumps(v)}}}' for v in values.tolist()], dtype=object)


def generate(*, customers: int = 5000, months: int = 24, seed: int = 42,
             end_month: dt.date | None = None) -> DemoData:
    """Generate ``customers`` accounts and their events over ``months`` months ending with ``end_month``."""
    if customers < 1:
        raise ValueError("customers must be at least 1")
    if not 1 <= months <= 240:
        raise ValueError("months must be between 1 and 240")
    end_month = (end_month or last_complete_month()).replace(day=1)
    start = _add_months(end_month, -(months - 1))
    window_end = _add_months(end_month, 1)
    t0, t_end = _us(start), _us(window_end)
    rng = np.random.default_rng(seed)
    n = customers

    # -- customers ------------------------------------------------------------------
    # Every customer signs up inside the event months: an initial base in the first two months, the rest
    # spread over the whole window, so each customer's history starts at its own signup.
    base = rng.random(n) < 0.4
    width = max(int(t_end - t0) - 15 * DAY_US, DAY_US)
    signup = np.where(base, t0 + rng.integers(0, min(60 * DAY_US, width), n), t0 + rng.integers(0, width, n))
    order = np.argsort(signup, kind="stable")
    signup, base = signup[order] // 1_000_000 * 1_000_000, base[order]  # whole seconds; ids follow signup order
    seg = rng.choice(3, n, p=SEGMENT_P)
    ind = rng.integers(0, len(INDUSTRIES), n)
    reg = rng.choice(4, n, p=[0.45, 0.3, 0.15, 0.1])
    plan = np.clip(seg + rng.choice([-1, 0, 0, 1], n), 0, 2)
    arr = np.round(ARR_MEDIAN[seg] * rng.lognormal(0, 0.45, n), -2)
    sat = SATISFACTION_MEAN[seg] + INDUSTRY_SHIFT[ind] + rng.normal(0, 0.9, n)
    # referred_by is filled in as referrals convert (see _Referrals): the customer a referral_converted
    # event stands for is a customer record whose referred_by names the referrer
    refs = _Referrals(signup=signup, open=~base, referred_by=np.full(n, -1, dtype=np.int64), sat=sat,
                      arr0=arr.copy())

    churned = np.full(n, -1, dtype=np.int64)
    last_detractor = np.full(n, -10, dtype=np.int64)  # month index of the last detractor answer
    last_nps = np.full(n, -1.0)
    promoter_answers: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    ev = _Events()

    # one-off lifecycle events
    act = signup + rng.integers(3, 45, n) * DAY_US
    m = act < t_end
    ev.add(np.nonzero(m)[0], "activation", act[m], channel="in-app")
    joined = signup + rng.integers(10, 400, n) * DAY_US
    m = (joined < t_end) & (rng.random(n) < 0.35 + 0.1 * np.clip(sat, -1, 2))
    ev.add(np.nonzero(m)[0], "community_joined", joined[m], channel="community")

    for mi in range(months):
        m_start = _us(_add_months(start, mi))
        m_end = _us(_add_months(start, mi + 1))
        month_of_year = _add_months(start, mi).month - 1
        active = (signup < m_end) & (churned < 0)
        idx = np.nonzero(active)[0]
        if len(idx) == 0:
            continue
        sat[idx] = 0.93 * sat[idx] + 0.07 * (SATISFACTION_MEAN[seg[idx]] + INDUSTRY_SHIFT[ind[idx]]) \
            + rng.normal(0, 0.22, len(idx))
        lo = np.maximum(signup[idx], m_start)
        span = np.maximum(m_end - lo, 1)

        def when(sel: np.ndarray) -> np.ndarray:
            out: np.ndarray = lo[sel] + (rng.random(sel.sum()) * span[sel]).astype(np.int64)
            return out

        s = sat[idx]
        # surveys -------------------------------------------------------------------
        p_nps = 0.15 * SURVEY_SEASON[month_of_year]
        sel = rng.random(len(idx)) < p_nps
        score = np.clip(np.round(7.9 + 1.9 * s[sel] + rng.normal(0, 1.5, sel.sum())), 0, 10)
        sentiment = np.where(score >= 9, 1, np.where(score <= 6, -1, 0))
        has_text = rng.random(sel.sum()) < 0.45
        text = np.where(has_text, _comment(rng, sentiment), _NONE)
        at = when(sel)
        ids = ev.add(idx[sel], "nps_response", at, score=score, text=text,
                     channel=CHANNELS[rng.integers(0, 3, sel.sum())])
        last_nps[idx[sel]] = score
        pro = score >= 9  # promoters are asked for a review afterwards (drawn after the loop, see _review_asks)
        promoter_answers.append((idx[sel][pro], at[pro], s[sel][pro]))
        det = score <= 6
        last_detractor[idx[sel][det]] = mi
        fu = det & (rng.random(sel.sum()) < 0.7)
        ev.add(idx[sel][fu], "follow_up", at[fu] + rng.integers(1, 10, fu.sum()) * DAY_US,
               ref=_event_ids(ids[fu]), channel="email")

        sel = rng.random(len(idx)) < 0.1 * SURVEY_SEASON[month_of_year]
        cs = np.clip(np.round(3.9 + 0.9 * s[sel] + rng.normal(0, 0.8, sel.sum())), 1, 5)
        text = np.where(rng.random(sel.sum()) < 0.3, _comment(rng, np.where(cs >= 4, 1, np.where(cs <= 2, -1, 0))),
                        _NONE)
        ev.add(idx[sel], "csat_response", when(sel), score=cs, text=text, channel="in-app")
        sel = rng.random(len(idx)) < 0.04
        ev.add(idx[sel], "advocacy_rating", when(sel),
               score=np.clip(np.round(3.8 + 0.9 * s[sel] + rng.normal(0, 0.7, sel.sum())), 1, 5), channel="email")
        sel = rng.random(len(idx)) < 0.04
        ev.add(idx[sel], "ces_response", when(sel),
               score=np.clip(np.round(3.2 - 1.0 * s[sel] + rng.normal(0, 1.0, sel.sum())), 1, 7), channel="in-app")

        # advocacy actions: promoters act far more than detractors -------------------
        promoter = last_nps[idx] >= 9
        detractor = (last_nps[idx] >= 0) & (last_nps[idx] <= 6)
        rate = 0.075 * np.exp(0.9 * s) * np.where(promoter, 2.2, np.where(detractor, 0.3, 1.0))
        rate *= ADVOCACY_SEASON[month_of_year]
        k = rng.poisson(rate)
        rep = np.repeat(np.arange(len(idx)), k)
        kinds = rng.choice(len(ACTION_TYPES), len(rep), p=ACTION_P)
        boost = promoter[rep] & (rng.random(len(rep)) < 0.25)
        kinds = np.where(boost, 0, kinds)  # promoters favour referrals
        at = lo[rep] + (rng.random(len(rep)) * span[rep]).astype(np.int64)
        _actions(rng, ev, idx[rep], ACTION_TYPES[kinds], at, s[rep], t_end, refs)
        acted = np.zeros(len(idx), bool)
        acted[rep] = True

        # requests for advocacy and their fulfilment ------------------------------------
        sel = rng.random(len(idx)) < 0.03 * (1 + promoter)
        at = when(sel)
        kind = REQUEST_KINDS[rng.integers(0, len(REQUEST_KINDS), sel.sum())]
        ev.add(idx[sel], "request_sent", at, properties=_json_objects("kind", kind), channel="email")
        ok = rng.random(sel.sum()) < 0.35 + 0.25 * (s[sel] > 0.5)
        due = at[ok] + rng.integers(3, 41, ok.sum()) * DAY_US
        fulfil = np.array([REQUEST_FULFIL[x] for x in kind[ok].tolist()], dtype=object)
        inside = due < t_end
        _actions(rng, ev, idx[sel][ok][inside], fulfil[inside], due[inside], s[sel][ok][inside], t_end, refs)

        # QBRs for larger accounts, quarterly ----------------------------------------
        if month_of_year % 3 == 1:
            sel = (seg[idx] > 0) & (rng.random(len(idx)) < 0.45)
            intent = (s[sel] + rng.normal(0, 0.5, sel.sum())) > 0.7
            ev.add(idx[sel], "qbr", when(sel), properties=_json_objects("referral_intent", intent), channel="meeting")

        # ambassador programme -------------------------------------------------------
        sel = promoter & (rng.random(len(idx)) < 0.02)
        ev.add(idx[sel], "ambassador_joined", when(sel), channel="community")
        sel = detractor & (rng.random(len(idx)) < 0.01)
        ev.add(idx[sel], "ambassador_left", when(sel), channel="community")

        # renewals on the signup anniversary --------------------------------------
        months_since = (m_start - signup[idx]) // (DAY_US * 30)
        anniversary = (months_since >= 11) & (_month_of(signup[idx]) == month_of_year)
        sel = anniversary
        at = when(sel)
        ev.add(idx[sel], "renewal_due", at, amount=arr[idx[sel]], channel="crm")
        renew = rng.random(sel.sum()) < np.clip(0.82 + 0.08 * s[sel], 0.4, 0.98)
        ev.add(idx[sel][renew], "renewal", at[renew] + rng.integers(0, 20, renew.sum()) * DAY_US,
               amount=arr[idx[sel][renew]], channel="crm")
        lost = idx[sel][~renew]
        churned[lost] = np.minimum(at[~renew] + 20 * DAY_US, m_end - 1)

        # expansion and contraction ----------------------------------------------
        sel = (churned[idx] < 0) & (rng.random(len(idx)) < 0.012 * (1 + 2 * acted) * np.exp(0.3 * s))
        amount = np.round(arr[idx[sel]] * rng.uniform(0.05, 0.3, sel.sum()), -1) + 100
        ev.add(idx[sel], "expansion", when(sel), amount=amount, channel="crm")
        arr[idx[sel]] += amount
        sel = (churned[idx] < 0) & (rng.random(len(idx)) < 0.006 * np.exp(-0.4 * s))
        amount = np.round(arr[idx[sel]] * rng.uniform(0.05, 0.25, sel.sum()), -1) + 100
        ev.add(idx[sel], "contraction", when(sel), amount=amount, channel="crm")
        arr[idx[sel]] = np.maximum(arr[idx[sel]] - amount, 0)

        # churn: detractors in the last quarter churn much more ----------------------
        recent_det = (mi - last_detractor[idx]) <= 3
        hazard = 0.009 * CHURN_FACTOR[seg[idx]] * np.exp(-0.45 * s) * np.where(recent_det, 3.0, 1.0)
        hazard *= np.where(promoter, 0.5, 1.0)
        sel = (churned[idx] < 0) & (rng.random(len(idx)) < hazard)
        churned[idx[sel]] = when(sel)

    _mentions(rng, ev, n, signup, t0, t_end, sat)
    _review_asks(np.random.default_rng([seed, 1]), ev, promoter_answers, churned, t_end, refs)
    keep = _lifetime_mask(ev, signup, churned)
    referred_by = refs.referred_by
    for converted, new in refs.chains:  # a conversion dropped with its churned referrer takes its customer's link
        referred_by[new[~keep[converted]]] = -1
    return DemoData(customers=_customer_table(rng, n, signup, churned, seg, ind, reg, plan, arr, referred_by),
                    events=_event_table(ev, t_end, n, keep))


def _month_of(ts_us: np.ndarray) -> np.ndarray:
    return ts_us.astype("datetime64[us]").astype("datetime64[M]").astype(np.int64) % 12


def _actions(rng: np.random.Generator, ev: _Events, cust: np.ndarray, types: np.ndarray, at: np.ndarray,
             sat: np.ndarray, t_end: np.int64, refs: _Referrals) -> None:
    """Advocacy actions of the given types; referrals bring sign-ups and conversions later."""
    for t in ACTION_TYPES:
        sel = types == t
        if not sel.any():
            continue
        c, a = cust[sel], at[sel]
        if t == "review":
            stars = np.clip(np.round(4.0 + 0.8 * sat[sel] + rng.normal(0, 0.6, sel.sum())), 1, 5)
            text = _comment(rng, np.where(stars >= 4, 1, np.where(stars <= 2, -1, 0)))
            props = _json_objects("platform", PLATFORMS[rng.integers(0, 3, sel.sum())])
            ev.add(c, t, a, score=stars, text=text, channel="review-site", properties=props)
        elif t == "referral_sent":
            ids = ev.add(c, t, a, channel="email")
            code = np.char.add("R-", ids.astype(str)).astype(object)
            ev.cols["ref"][-1] = code
            refs.convert(rng, ev, c, a, code, t_end)
        elif t in ("social_share", "ugc_post"):
            ev.add(c, t, a, channel=SOCIAL[rng.integers(0, len(SOCIAL), sel.sum())])
        elif t == "testimonial":
            ev.add(c, t, a, text=_comment(rng, np.ones(sel.sum(), dtype=int)), channel="website")
        else:
            ev.add(c, t, a, channel="community" if t == "community_post" else "events")


def _review_asks(rng: np.random.Generator, ev: _Events, answers: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
                 churned: np.ndarray, t_end: np.int64, refs: _Referrals) -> None:
    """Review requests to promoters a few days after their NPS answer, about half fulfilled within weeks.

    Drawn from their own random stream and appended last, so the other events (and their ids) stay as
    they were without them.
    """
    if not answers:
        return
    cust = np.concatenate([a[0] for a in answers])
    at = np.concatenate([a[1] for a in answers])
    sat = np.concatenate([a[2] for a in answers])
    ask = rng.random(len(cust)) < 0.3
    cust, sat = cust[ask], sat[ask]
    req = at[ask] + rng.integers(1, 6, ask.sum()) * DAY_US
    gone = churned[cust]
    ok = (req < t_end) & ((gone < 0) | (req < gone))
    cust, sat, req = cust[ok], sat[ok], req[ok]
    ev.add(cust, "request_sent", req, properties=np.full(len(cust), '{"kind": "review"}', dtype=object),
           channel="email")
    done = rng.random(len(cust)) < 0.5
    due = req[done] + rng.integers(1, 22, done.sum()) * DAY_US + rng.integers(0, DAY_US, done.sum())
    gone = churned[cust[done]]
    inside = (due < t_end) & ((gone < 0) | (due < gone))
    _actions(rng, ev, cust[done][inside], np.full(inside.sum(), "review", dtype=object), due[inside],
             sat[done][inside], t_end, refs)


def _mentions(rng: np.random.Generator, ev: _Events, n: int, signup: np.ndarray, t0: np.int64, t_end: np.int64,
              sat: np.ndarray) -> None:
    count = max(int(n * 0.08 * (t_end - t0) / (DAY_US * 365)), 1)
    at = t0 + (rng.random(count) * (t_end - t0)).astype(np.int64)
    author = rng.integers(0, n, count)
    is_customer = (rng.random(count) < 0.4) & (signup[author] <= at)
    positive = np.where(is_customer, sat[author] > 0, rng.random(count) < 0.65)
    text = np.where(positive, MENTION_POS[rng.integers(0, len(MENTION_POS), count)],
                    MENTION_NEG[rng.integers(0, len(MENTION_NEG), count)])
    text = np.char.replace(text.astype(str), "{b}", BRAND).astype(object)
    reach = np.round(rng.lognormal(6, 1.6, count)).astype(np.int64)
    influencer = reach > 20_000
    props = np.array([f'{{"reach": {r}, "influencer": {"true" if i else "false"}}}'
                      for r, i in zip(reach.tolist(), influencer.tolist())], dtype=object)
    ev.add(np.where(is_customer, author, -1), "mention", at, text=text,
           channel=SOCIAL[rng.integers(0, len(SOCIAL), count)], properties=props)


def _customer_table(rng: np.random.Generator, n: int, signup: np.ndarray, churned: np.ndarray, seg: np.ndarray,
                    ind: np.ndarray, reg: np.ndarray, plan: np.ndarray, arr: np.ndarray,
                    referred_by: np.ndarray) -> pa.Table:
    idx = np.arange(n)
    a, b, c = (rng.integers(0, len(x), n) for x in (NAME_A, NAME_B, NAME_C))
    name = np.char.add(np.char.add(np.char.add(NAME_A[a], " "), NAME_B[b]), np.char.add(" ", NAME_C[c]))
    slug = np.char.add(np.char.lower(NAME_A[a]), np.char.lower(NAME_B[b]))
    email = np.char.add(np.char.add("cx@", slug), np.char.add(idx.astype(str), ".example"))
    churn_ts = pa.array(np.where(churned >= 0, churned, 0).astype("datetime64[us]"), pa.timestamp("us"),
                        mask=churned < 0)
    ref = pa.array(np.where(referred_by >= 0, _customer_ids(np.maximum(referred_by, 0)), _NONE), pa.string())
    return pa.table({
        "customer_id": pa.array(_customer_ids(idx), pa.string()),
        "name": pa.array(name.astype(object), pa.string()),
        "email": pa.array(email.astype(object), pa.string()),
        "segment": pa.array(SEGMENTS[seg].astype(object), pa.string()),
        "industry": pa.array(INDUSTRIES[ind].astype(object), pa.string()),
        "region": pa.array(REGIONS[reg].astype(object), pa.string()),
        "plan": pa.array(PLANS[plan].astype(object), pa.string()),
        "signup_at": pa.array(signup.astype("datetime64[us]"), pa.timestamp("us")),
        "churned_at": churn_ts,
        "arr": pa.array(arr, pa.float64()),
        "referred_by": ref,
    })


def _event_table(ev: _Events, t_end: np.int64, n_customers: int, alive: np.ndarray) -> pa.Table:
    import pyarrow.compute as pc

    cols = {k: np.concatenate(v) if v else np.array([]) for k, v in ev.cols.items()}
    ev.cols.clear()
    keep = (cols["at"] < t_end) & alive
    order = np.nonzero(keep)[0][np.argsort(cols["at"][keep], kind="stable")]
    c = {k: v[order] for k, v in cols.items()}
    del cols
    cust = c["customer"]
    event_id = pc.binary_join_element_wise(
        "E", pc.utf8_lpad(pc.cast(pa.array(order, pa.int64()), pa.string()), 9, "0"), "")
    names = pa.array(_customer_ids(np.arange(n_customers)), pa.string())
    customer_id = pa.DictionaryArray.from_arrays(pa.array(cust.astype(np.int32), mask=cust < 0), names)
    return pa.table({
        "event_id": event_id,
        "customer_id": customer_id.cast(pa.string()),
        "type": pa.array(c["type"], pa.string()),
        "occurred_at": pa.array(c["at"].astype("datetime64[us]"), pa.timestamp("us")),
        "score": pa.array(c["score"], pa.float64(), from_pandas=True),
        "amount": pa.array(c["amount"], pa.float64(), from_pandas=True),
        "text": pa.array(c["text"], pa.string()),
        "channel": pa.array(c["channel"], pa.string()),
        "ref": pa.array(c["ref"], pa.string()),
        "properties": pa.array(c["properties"], pa.string()),
    })
