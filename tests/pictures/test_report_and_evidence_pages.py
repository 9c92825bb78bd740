"""The on-call report with charts and the evidence pack, as pages rendered by Chromium."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bs4 import BeautifulSoup

from bot.audit.export import evidence_pack
from bot.clock import ManualClock
from bot.incidents.service import IncidentService
from bot.pictures.evidence_page import evidence_page
from bot.pictures.report_page import report_page
from bot.reports.oncall_report import build_report
from tests.browser import dump_dom
from tests.pictures.conftest import FIRST, LAST
from tests.reports.conftest import load

UTC = timezone.utc


def bars(dom: BeautifulSoup, chart: str) -> dict[str, tuple[float, float]]:
    """person -> (value, drawn bar width) of one chart."""
    out = {}
    for g in dom.select(f"figure#chart-{chart} g.bar"):
        out[g["data-person"]] = (float(g["data-value"]), float(g.select_one("rect")["width"]))
    return out


def test_report_charts_show_each_persons_hours(easter, store, tmp_path):
    config = load(easter[0])
    with store.session() as s:
        report = build_report(config, s, FIRST, LAST, now=datetime(2026, 4, 10, tzinfo=UTC))
    page = tmp_path / "report.html"
    page.write_text(report_page(report), encoding="utf-8")
    dom = BeautifulSoup(dump_dom(page.as_uri()), "html.parser")
    # bea: 20:00-23:00 Berlin on the weekdays 30, 31 March and 1, 2, 3, 6 April = 6 x 3 h = 18 h.
    # kai: 03:00-06:00 Berlin = 21:00-24:00 New York on his own days 30 March .. 6 April = 8 x 3 h = 24 h.
    oncall = bars(dom, "oncall")
    assert {p: v for p, (v, _) in oncall.items()} == {"bea": 18.0, "kai": 24.0}
    # bars are drawn to scale: the largest full length, bea's 18/24 of it
    assert oncall["bea"][1] / oncall["kai"][1] == 18 / 24
    # kai's night (23:00-06:00 New York) holds 23:00-24:00 of each of the 8 shifts = 8 h; bea's none.
    assert {p: v for p, (v, _) in bars(dom, "night").items()} == {"bea": 0.0, "kai": 8.0}
    # kai's local Saturday 4 and Sunday 5 April: 2 x 3 h; bea has no weekend standby.
    assert {p: v for p, (v, _) in bars(dom, "weekend").items()} == {"bea": 0.0, "kai": 6.0}
    # DE-BY holidays: Good Friday 3 April and Easter Monday 6 April, 3 h each, for both.
    assert {p: v for p, (v, _) in bars(dom, "holiday").items()} == {"bea": 6.0, "kai": 6.0}
    # the numbers are written, not only drawn (readable without colour or shape)
    assert "24 h" in dom.select_one("figure#chart-oncall").get_text()
    svg = dom.select_one("figure#chart-oncall svg")
    assert svg["role"] == "img" and svg.select_one("title").get_text() == "On-call hours"
    total = dom.select_one("table.data tfoot").get_text()
    assert "42" in total  # 18 + 24 on-call hours


def test_evidence_pack_page_shows_the_verified_chain_and_escapes_user_text(store, shipped_config, tmp_path):
    clock = ManualClock(datetime(2026, 12, 22, 8, 0, tzinfo=UTC))
    svc = IncidentService(store, lambda: shipped_config, clock)
    svc.declare("sev2", "Checkout <script>alert(1)</script> & fails", actor="U0KATRIN1", key="d")
    clock.advance(timedelta(minutes=5))
    svc.post_status(1, "Rolled back <b>v2</b>", actor="U0KATRIN1", key="s")
    with store.session() as s:
        pack = evidence_pack(s, 1, now=clock.now())
    page = tmp_path / "evidence.html"
    page.write_text(evidence_page(pack), encoding="utf-8")
    dom = BeautifulSoup(dump_dom(page.as_uri()), "html.parser")
    assert dom.select_one("h1").get_text() == "Evidence pack: INC-1 Checkout <script>alert(1)</script> & fails"
    assert dom.find("script") is None and dom.find("b") is None
    assert dom.select_one(".ok").get_text() == "verified" and pack["audit"]["head_hash"] in dom.get_text()
    rows = dom.select("section#timeline tbody tr")
    assert len(rows) == pack["audit"]["events"] and any("Rolled back <b>v2</b>" in r.get_text() for r in rows)


def test_cli_writes_the_report_and_the_evidence_pack_as_pages(easter, store, shipped_config, database_url,
                                                               monkeypatch, tmp_path, capsys):
    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", database_url)
    svc = IncidentService(store, lambda: shipped_config, ManualClock(datetime(2026, 12, 22, 8, tzinfo=UTC)))
    svc.declare("sev2", "Checkout fails", actor="U0KATRIN1", key="d")
    page = tmp_path / "pack.html"
    assert main(["export", "1", "--format", "html", "-o", str(page)]) == 0
    assert "<h1>Evidence pack: INC-1 Checkout fails</h1>" in page.read_text(encoding="utf-8")
    report = tmp_path / "out" / "report.html"
    assert main(["report", "--config-dir", str(easter[0]), "--playbooks-dir", str(easter[2]), "--from", "2026-03-30",
                 "--to", "2026-04-06", "--html", str(report)]) == 0
    captured = capsys.readouterr()
    assert f"HTML page written to {report}" in captured.err and "| bea |" in captured.out
    assert 'id="chart-oncall"' in report.read_text(encoding="utf-8")
