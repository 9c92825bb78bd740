"""`oncall --severity S` shows what declaring S would do, including the exception its playbook declares.

At 2026-12-25 02:00 Berlin anna is on call for `platform`. 25 December is a Bavarian public holiday and
the Munich works agreement (de-example-bv) forbids call-outs on it except in an ArbZG §14 emergency;
every deputy is on leave, in Portuguese protected rest or under the same holiday rule (docs/oncall.md,
"The drill story"). The sev1 playbook pages `platform-escalation` and declares the exception the
person's profile names for sev1, which for a Munich worker is ArbZG §14 `notfall`. So a sev1
declaration pages anna at level 1 under `notfall`; without the exception nobody may be paged.
"""

from __future__ import annotations

import json

import yaml

from bot.cli import main
from tests.conftest import REPO_ROOT

AT = "2026-12-25T02:00:00+01:00"
CONFIG = ["--config-dir", str(REPO_ROOT / "config"), "--playbooks-dir", str(REPO_ROOT / "playbooks")]


def oncall(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["oncall", *args, *CONFIG])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_sev1_shows_the_playbooks_exception_marked_as_the_playbooks(capsys):
    code, out, _ = oncall(capsys, "platform", "--at", AT, "--severity", "sev1", "--json")
    assert code == 0
    plan = json.loads(out)
    assert plan["declaration"] == {"pages_this_rota": True, "paged_as": "platform-escalation",
                                   "exception_source": "playbook", "exception": "notfall"}
    first = plan["plan"][0]
    assert (first["level"], first["person"], first["exception"]) == (1, "anna", "notfall")
    assert not plan["fallback_used"]
    playbook_text = yaml.safe_load((REPO_ROOT / "playbooks" / "sev1.yaml").read_text())["paging"][0]["exception"]["justification"]
    used = next(u for u in plan["exceptions_used"] if u["person"] == "anna")
    assert used["justification"].startswith(playbook_text.strip())  # the playbook's own words, as at declaration


def test_the_text_says_where_the_exception_comes_from(capsys):
    code, out, _ = oncall(capsys, "platform", "--at", AT, "--severity", "sev1")
    assert code == 0
    assert "level 1: page anna (U0ANNA001)" in out
    assert "exception (notfall): declared by the sev1 playbook, which pages platform-escalation, as a declaration would" in out


def test_without_the_playbooks_exception_nobody_may_be_paged(capsys):
    code, out, _ = oncall(capsys, "platform", "--at", AT, "--severity", "sev1", "--no-playbook-exception", "--json")
    plan = json.loads(out)
    assert plan["declaration"]["exception_source"] is None
    assert plan["fallback_used"] and plan["plan"][0]["person"] == "katrin"
    assert any(w.startswith("NOBODY ELIGIBLE") for w in plan["warnings"])


def test_sev2_declares_no_exception_so_the_fallback_is_paged(capsys):
    _, out, _ = oncall(capsys, "platform", "--at", AT, "--severity", "sev2", "--json")
    plan = json.loads(out)
    assert plan["declaration"] == {"pages_this_rota": True, "paged_as": "platform-escalation",
                                   "exception_source": None, "exception": None}
    assert plan["fallback_used"]


def test_a_typed_justification_follows_the_playbooks_rule(capsys):
    code, _, err = oncall(capsys, "platform", "--at", AT, "--severity", "sev1", "--exception", "notfall",
                          "--justification", "urgent", "--declared-by", "katrin")
    assert code == 2
    assert "at least 20 characters (as in a playbook); got 6" in err
    code, out, _ = oncall(capsys, "platform", "--at", AT, "--severity", "sev1", "--exception", "notfall",
                          "--justification", "checkout down for every customer", "--declared-by", "katrin", "--json")
    plan = json.loads(out)
    assert code == 0 and plan["declaration"]["exception_source"] == "command line"
    assert plan["plan"][0]["person"] == "anna"


def test_a_rota_the_declaration_would_not_page_says_so(capsys):
    _, out, _ = oncall(capsys, "payments", "--at", AT, "--severity", "sev1")
    assert "note: a sev1 declaration does not page this rota (its playbook pages other targets)" in out
