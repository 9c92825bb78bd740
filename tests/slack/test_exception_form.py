"""Confirming a labor-law exception from Slack: App Home lists the uses a person may confirm, "Confirm…" opens a
form for their own justification, and the service's segregation of duties holds behind the form too.
In-process against the Slack double with signed requests."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.oncall.tables import ExceptionUse
from bot.incidents.records import load
from bot.slack import home_view
from tests.slack.conftest import ADMIN, REPORTER
from tests.slack.harness import text_value
from tests.slack.test_followup_form import BRUNO, _submit
from tests.slack.test_listeners import button, command


def _a_page_under_an_exception(world, store, clock, applied_by: str = REPORTER) -> int:
    """INC-1, declared by the reporter, which paged carla under the ArbZG §14 emergency exception (written as the
    pager writes it: ``applied_by``'s declaration or escalation applied it)."""
    world[2].model.add_user(ADMIN, "ada", "America/New_York")
    assert command(world, "declare sev3 Search is slow") == 200
    with store.session() as s:
        incident = load(s, 1)
        use = ExceptionUse(person_id="carla", incident_id=incident.id, exception_id="arbzg_14_emergency",
                           rules_waived=["min_daily_rest"], justification="the playbook's canned text",
                           declared_by=applied_by, at=clock.now() - timedelta(minutes=5))
        s.add(use)
        s.flush()
        return int(use.id or 0)


def _section_texts(view: dict) -> list[str]:
    return [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]


def _use(store, use_id: int) -> ExceptionUse:
    with store.session() as s:
        return s.exec(select(ExceptionUse).where(ExceptionUse.id == use_id)).one()


def test_app_home_lists_an_unconfirmed_exception_only_to_those_who_may_confirm_it(world, store, clock):
    _, services, _ = world
    use_id = _a_page_under_an_exception(world, store, clock)
    # The admin may declare exceptions (config/permissions.yaml: admins) and did not apply this one.
    admin = home_view.build(services, ADMIN)
    [listed] = [b for b in admin["blocks"] if b.get("accessory", {}).get("action_id") == "exception.confirm"]
    assert listed["accessory"]["value"] == f"exception:{use_id}"
    # 09:00 UTC minus 5 minutes is 03:55 in New York (EST, UTC-5), the admin's zone.
    assert listed["text"]["text"] == ("INC-1: Carla Huber was paged under the arbzg_14_emergency exception on "
                                      f"Mon 02 Mar 03:55 EST, applied by <@{REPORTER}>.")
    # The reporter applied it (segregation of duties) and Bruno may not declare exceptions: neither sees it.
    for user in (REPORTER, BRUNO):
        view = home_view.build(services, user)
        assert not any("exceptions to confirm" in str(b.get("text", "")) for b in view["blocks"])
        assert not any(b.get("accessory", {}).get("action_id") == "exception.confirm" for b in view["blocks"])


def test_the_form_asks_for_the_confirmers_own_words_and_confirms_once(world, store, clock):
    _, services, double = world
    use_id = _a_page_under_an_exception(world, store, clock)
    assert button(world, ADMIN, "exception.confirm", f"exception:{use_id}") == 200
    form = double.wait_for(lambda: [v for v in double.model.views if v["callback_id"] == "exception.confirm"] or None,
                           what="the confirmation form")[0]
    assert form["private_metadata"] == f"exception:{use_id}"
    assert "arbzg_14_emergency" in _section_texts(form)[0]
    refused = _submit(world, ADMIN, form, {"justification": text_value("   ")})
    assert refused["response_action"] == "errors" and set(refused["errors"]) == {"justification"}
    assert _use(store, use_id).confirmed_by is None
    why = "Database outage at 02:00; carla is the only one who knows the replication setup"
    for _ in range(2):  # a double submit of the same form
        assert _submit(world, ADMIN, form, {"justification": text_value(why)}) == {}
    use = _use(store, use_id)
    assert (use.confirmed_by, use.confirmation) == (ADMIN, why)
    kinds = [e.kind for e in services.incidents.timeline(1, reader=ADMIN)]
    assert kinds.count("oncall.exception_confirmed") == 1
    assert not any(b.get("accessory", {}).get("action_id") == "exception.confirm"
                   for b in home_view.build(services, ADMIN)["blocks"])  # nothing left to confirm


def test_whoever_applied_the_exception_cannot_confirm_it_even_with_a_crafted_form(world, store, clock):
    _, _, double = world
    # The admin may declare exceptions, but an escalation of theirs applied this one.
    use_id = _a_page_under_an_exception(world, store, clock, applied_by=ADMIN)
    assert home_view.build(world[1], ADMIN)["blocks"] == [b for b in home_view.build(world[1], ADMIN)["blocks"]
                                                          if "accessory" not in b]  # not offered to them
    form = {"id": "V0CRAFTED1", "type": "modal", "callback_id": "exception.confirm",
            "private_metadata": f"exception:{use_id}", "blocks": []}
    answered = len(double.calls())
    assert _submit(world, ADMIN, form, {"justification": text_value("trust me")}) == {}
    assert _use(store, use_id).confirmed_by is None
    told = " ".join(str(c.params.get("text", "")) for c in double.calls()[answered:])
    assert "segregation of duties" in told
