"""The on-call report is checked against the audit chain: a call-out, page or rest owed changed by plain SQL is named
at the report's top and on stderr, and the command exits 1 without writing the CSV payroll would read."""

from __future__ import annotations

from sqlalchemy import text

from bot.cli import main
from bot.reports.oncall_report import build_report
from bot.reports.report_format import to_markdown
from tests.reports.test_oncall_report import FIRST, LAST, NOW, config, filled_store  # noqa: F401  (fixtures)


def _args(config):  # noqa: F811
    return ["report", "--config-dir", str(config.paths.config_dir), "--playbooks-dir", str(config.paths.playbooks_dir),
            "--from", str(FIRST), "--to", str(LAST)]


def test_untouched_rows_verify(config, filled_store):  # noqa: F811
    with filled_store.session() as s:
        assert build_report(config, s, FIRST, LAST, now=NOW).chain_problems == []


def test_a_call_out_lengthened_by_sql_is_flagged_and_the_cli_exits_1(config, filled_store, database_url,  # noqa: F811
                                                                     monkeypatch, capsys):
    with filled_store.engine.begin() as conn:  # bea's first call-out (2 h) made 20 h: paid hours
        conn.execute(text('UPDATE engagement SET "end" = (SELECT "end" FROM engagement WHERE id = 2) WHERE id = 1'))
        conn.execute(text("DELETE FROM page WHERE id = 3"))
    with filled_store.session() as s:
        report = build_report(config, s, FIRST, LAST, now=NOW)
    assert len(report.chain_problems) == 2
    assert report.chain_problems[0].startswith("global engagement row 1: edited outside the bot: end is ")
    assert report.chain_problems[1] == ("global page row 3: on the chain but missing from the table (deleted "
                                        "outside the bot)")
    assert "NOT VERIFIED" in to_markdown(report) and report.chain_problems[0] in to_markdown(report)
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(_args(config) + ["--format", "csv"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "global engagement row 1: edited outside the bot" in captured.err
    assert main(_args(config)) == 1
    assert "NOT VERIFIED" in capsys.readouterr().out


def test_the_report_page_says_it_is_not_verified(config, filled_store):  # noqa: F811
    from bot.pictures.report_page import report_page

    with filled_store.session() as s:
        assert "NOT VERIFIED" not in report_page(build_report(config, s, FIRST, LAST, now=NOW))
    with filled_store.engine.begin() as conn:
        conn.execute(text("UPDATE exception_use SET compensatory_rest_hours = 0"))
    with filled_store.session() as s:
        page = report_page(build_report(config, s, FIRST, LAST, now=NOW))
    assert "NOT VERIFIED" in page and "global exception_use row 1: edited outside the bot: compensatory_rest_hours" in page
