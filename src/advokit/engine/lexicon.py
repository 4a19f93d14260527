"""A small English sentiment lexicon for comments, reviews and mentions.

Deliberately simple (a later issue replaces it with a proper model): a text
is positive when it holds more positive than negative words.
"""

from __future__ import annotations

POSITIVE: frozenset[str] = frozenset("""
love loved loving great excellent fantastic amazing awesome brilliant helpful fast quick easy smooth
reliable recommend recommended recommending happy pleased delighted impressed impressive intuitive
valuable value best better improved improving useful friendly responsive outstanding superb wonderful
perfect seamless efficient saves saving thanks thank good nice enjoy enjoyed partners shoutout
""".split())

NEGATIVE: frozenset[str] = frozenset("""
bad poor terrible awful horrible slow expensive overpriced pricey price pricing costly outage outages
down broken bug bugs buggy crash crashes error errors confusing confused clunky hard difficult
frustrating frustrated frustration disappointing disappointed disappointment annoying useless missing
problem problems issue issues complaint unreliable waiting worse worst hate hated cancel cancelled
""".split())
