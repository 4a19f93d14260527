"""The HTML report never falls back to a serif: every computed font stack in Chromium ends in sans-serif."""

from __future__ import annotations

from typing import Any


from advokit.reports.model import Report

# the last family of every element's computed font stack, grouped; code may be monospace, nothing may be serif
LAST_FAMILIES = """() => {
  const last = el => getComputedStyle(el).fontFamily.split(',').pop().trim().replace(/^["']|["']$/g, '');
  const pick = sel => [...document.querySelectorAll(sel)].map(last);
  return {body: pick('body'), headings: pick('h1, h2, h3, h4, h5'), cells: pick('th, td'),
          svg: pick('svg text'), all: [...new Set(pick('*'))]};
}"""


def test_html_report_fonts_end_in_sans_serif(browser: Any, monthly: Report) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.route("**/*", lambda route: route.abort())  # self-contained: nothing may be fetched
        page.set_content(monthly.render("html").decode(), wait_until="load")
        got = page.evaluate(LAST_FAMILIES)
    finally:
        context.close()
    for group in ("body", "headings", "cells", "svg"):
        assert got[group] and set(got[group]) == {"sans-serif"}, (group, set(got[group]))
    assert set(got["all"]) <= {"sans-serif", "monospace"}, got["all"]
