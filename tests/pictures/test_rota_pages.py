"""Rota calendars as HTML, rendered by a real headless Chromium: findings on the right local day."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bs4 import BeautifulSoup

from bot.cli import main
from tests.browser import DESKTOP, PHONE, dump_dom, keep_for_docs, screenshot

# Keyboard and phone checks run inside Chromium on a copy of the page: the page itself has no script.
PROBE = """<script>
let tries = 0;
function probe() {
  if (!document.hasFocus() && tries++ < 100) { setTimeout(probe, 20); return; }  // :focus needs a focused page
  const out = {overflow: document.documentElement.scrollWidth - window.innerWidth, findings: []};
  for (const a of document.querySelectorAll('a.finding')) {
    a.focus();
    const tip = a.querySelector('.tip');
    out.findings.push({focused: document.activeElement === a, tabIndex: a.tabIndex,
                       tip: getComputedStyle(tip).display !== 'none', target: !!document.querySelector(a.getAttribute('href'))});
  }
  document.body.setAttribute('data-probe', JSON.stringify(out));
}
probe();
</script>"""


def preview_html(easter, tmp_path, *extra) -> Path:
    current, edited, playbooks = easter
    out = tmp_path / "page.html"
    code = main(["rota", "preview", "--config-dir", str(current if not extra else current), "--playbooks-dir",
                 str(playbooks), "--from", "2026-03-30", "--to", "2026-04-06", "--html", str(out), *extra])
    assert code in (0, 1) and out.exists()
    return out


def cell(dom: BeautifulSoup, calendar: str, day: str):
    found = dom.select_one(f'section#{calendar} td[data-date="{day}"]')
    assert found is not None, f"no day {day} in {calendar}"
    return found


def findings_in(td) -> list[tuple[str, str]]:
    return [(a["data-rule"], a["data-severity"]) for a in td.select("a.finding")]


def test_edit_review_marks_the_new_rest_violation_on_annas_day_in_chromium(easter, tmp_path, capsys):
    current, edited, _ = easter
    page = preview_html(easter, tmp_path, "--diff", str(edited))
    dom = BeautifulSoup(dump_dom(page.as_uri()), "html.parser")
    # anna (09:00-17:00 Berlin) stands by on site 20:00-23:00 on Wednesday 1 April and starts again at 09:00
    # on Thursday: in the 24 h from Wednesday 09:00 the longest rest is 23:00 -> 09:00 = 10 h < 11 h, so the
    # rule "TEST rest §5" is broken, dated at the start of that 24 h: 1 April 09:00 CEST, anna's own day 1 April.
    anna = cell(dom, "edited-person-anna", "2026-04-01")
    assert findings_in(anna) == [("min_daily_rest", "block")]
    assert "TEST rest §5" in anna.select_one("a.finding .tip").get_text()
    assert "+ On call late 20:00-23:00" in anna.get_text()
    assert findings_in(cell(dom, "edited-person-anna", "2026-04-02")) == []
    assert findings_in(cell(dom, "current-person-anna", "2026-04-01")) == []
    # the edited rota shows anna instead of bea that evening; the current one shows bea, struck as lost.
    assert "+ On call: anna 20:00-23:00" in cell(dom, "edited-rota-late", "2026-04-01").get_text()
    lost = cell(dom, "current-rota-late", "2026-04-01").select_one("li.loses")
    assert lost is not None and "- On call: bea 20:00-23:00" in lost.get_text()
    new = dom.select("section#new-findings ol.findings li")
    assert len(new) == 1 and "min_daily_rest" in new[0].get_text() and "TEST rest §5" in new[0].get_text()
    # the override reason is user text: escaped once (not twice, not raw), shown as typed in the shift's tooltip
    assert anna.find(title=re.compile(r"override: swap <b>$")) is not None
    raw = page.read_text(encoding="utf-8")
    assert "swap &lt;b&gt;" in raw and "&amp;lt;" not in raw and "swap <b>" not in raw


def test_leave_finding_lands_on_the_persons_own_local_day_not_the_rotations(easter, tmp_path):
    page = preview_html(easter, tmp_path)
    dom = BeautifulSoup(dump_dom(page.as_uri()), "html.parser")
    # kai (New York, EDT since 8 March) covers 03:00-06:00 Berlin (CEST since 29 March) = 21:00-24:00 of the
    # previous day in New York.  He is on leave on 1 April (his day): the shift Berlin 2 April 03:00 =
    # 1 April 21:00 EDT breaks "TEST leave §1".  His calendar marks 1 April; the rotation's (Berlin) marks 2 April.
    assert findings_in(cell(dom, "person-kai", "2026-04-01")) == [("leave", "block")]
    assert findings_in(cell(dom, "person-kai", "2026-04-02")) == []
    assert findings_in(cell(dom, "rota-night", "2026-04-02")) == [("leave", "block")]
    kai_day = cell(dom, "person-kai", "2026-04-01").get_text()
    assert "Leave (vacation)" in kai_day and "On call night 21:00-24:00" in kai_day
    # public holidays of kai's site calendar (DE-BY), and bea's on call on Good Friday evening
    assert "Holiday: Good Friday" in cell(dom, "person-bea", "2026-04-03").get_text()
    assert "Holiday for bea: Good Friday" in cell(dom, "rota-late", "2026-04-03").get_text()
    # the finding's link leads to the list entry with the citation
    link = cell(dom, "person-kai", "2026-04-01").select_one("a.finding")["href"]
    assert "TEST leave §1" in dom.select_one(link).get_text()
    # a person's name is user text: escaped exactly once
    assert dom.select_one("#person-kai-title").get_text() == "Kai <Ops> & Co (kai)"


def test_page_is_self_contained_and_works_by_keyboard_on_a_phone(easter, tmp_path):
    page = preview_html(easter, tmp_path)
    html = page.read_text(encoding="utf-8")
    assert page.stat().st_mode & 0o777 == 0o600  # names people and their leave: owner only
    # nothing is fetched: no scripts, stylesheets, images or fonts from anywhere
    assert not re.search(r"<script|<link|<img|<iframe|url\(\s*['\"]?http|@import", html, re.I)
    assert not re.search(r"""(src|href)\s*=\s*["'](https?:)?//""", html, re.I)
    probe = tmp_path / "probe.html"
    probe.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    for size in (PHONE, DESKTOP):
        dom = BeautifulSoup(dump_dom(probe.as_uri(), size=size, wait_ms=5000), "html.parser")
        result = json.loads(dom.body["data-probe"])
        assert result["overflow"] <= 0, f"the page scrolls sideways at {size}"
        assert len(result["findings"]) == 2  # rota calendar + person calendar for the one leave finding
        # every finding is reached by Tab, shows its rule and citation on focus, and leads to the list
        assert all(f["focused"] and f["tabIndex"] >= 0 and f["tip"] and f["target"] for f in result["findings"]), result
    shot = tmp_path / "calendar-phone.png"
    width, _ = screenshot(page.as_uri(), shot, size=PHONE)
    assert width == PHONE[0]
    edited_page = preview_html(easter, tmp_path, "--diff", str(easter[1]))
    desk = tmp_path / "calendar.png"
    assert screenshot(edited_page.as_uri(), desk, size=(1280, 2200))[0] == 1280
    keep_for_docs(desk, "rota-review.png")
    keep_for_docs(shot, "rota-calendar-phone.png")
