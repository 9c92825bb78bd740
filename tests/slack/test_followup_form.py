"""The "Add follow-up" form (``/incident followup`` alone, or the button on the review notice) and the nudge's buttons,
in-process against the Slack double with signed requests."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from urllib.parse import urlencode

from slack_bolt import BoltRequest

from bot.learning.service import LearningService
from tests.slack.conftest import REPORTER
from tests.slack.harness import TEAM, select_value, sign, text_value
from tests.slack.test_listeners import button, command, interaction

BRUNO = "U0BRUNO01"  # an engineer of config/people.yaml (Lisbon)


def _learning(world, store) -> LearningService:
    _, services, _ = world
    return LearningService(store, services.config, services.clock)


def _submit(world, user: str, view: dict, values: dict) -> dict:
    """Submit the form; the acknowledgement's body (``response_action: errors`` when refused), or {}."""
    app, _, double = world
    payload = {"type": "view_submission", "team": {"id": TEAM}, "api_app_id": "A1", "token": "t",
               "user": {"id": user}, "view": {**view, "state": {"values": values}}}
    body = urlencode({"payload": json.dumps(payload)}).encode()
    ts = int(time.time())
    response = app.dispatch(BoltRequest(body=body.decode(), headers={
        "content-type": ["application/x-www-form-urlencoded"], "x-slack-request-timestamp": [str(ts)],
        "x-slack-signature": [sign(body, ts)]}))
    assert response.status == 200
    return json.loads(response.body) if response.body else {}


def _form(double, count: int = 1) -> dict:
    views = double.wait_for(lambda: [v for v in double.model.views if v["callback_id"] == "followup.add"][count - 1:]
                            or None, what="the follow-up form")
    return views[0]


def _values(*, owner: str | None = BRUNO, due: str | None, horizon: str = "12m", likelihood: str | None = "likely",
            title: str = "Warm the cache on deploy") -> dict:
    values = {"title": text_value(title), "cost": text_value("2 days"),
              "impact": text_value("search is slow after every deploy"), "horizon": text_value(horizon)}
    if owner:
        values["owner"] = {"value": {"type": "users_select", "selected_user": owner}}
    if due:
        values["due"] = {"value": {"type": "datepicker", "selected_date": due}}
    if likelihood:
        values["likelihood"] = select_value(likelihood)
    return values


def test_the_form_has_the_commands_fields_and_refuses_bad_input_next_to_each_field(world, store, clock):
    _, _, double = world
    learning = _learning(world, store)
    assert command(world, "declare sev3 Search is slow") == 200
    assert command(world, "INC-1 followup") == 200
    form = _form(double)
    elements = {b["block_id"]: b["element"] for b in form["blocks"] if b["type"] == "input"}
    assert (elements["owner"]["type"], elements["due"]["type"]) == ("users_select", "datepicker")
    assert [o["value"] for o in elements["likelihood"]["options"]] == ["rare", "unlikely", "possible", "likely",
                                                                      "almost-certain"]
    assert form["private_metadata"] == "incident:1"
    # The clock is 2026-03-02 09:00 UTC; Bruno is in Lisbon (WET, UTC+0): 1 March is yesterday for him.
    refused = _submit(world, REPORTER, form, _values(owner=None, due="2026-03-01", horizon="soon", likelihood=None))
    assert refused["response_action"] == "errors"
    assert set(refused["errors"]) == {"owner", "horizon", "likelihood"}  # no owner: the due day waits for one
    refused = _submit(world, REPORTER, form, _values(due="2026-03-01", title=" "))
    assert set(refused["errors"]) == {"due", "title"}
    assert "2026-03-02 in Europe/Lisbon" in refused["errors"]["due"]
    assert learning.followups_of(1) == []  # nothing was added by a refused form


def test_a_submitted_form_adds_one_follow_up_however_often_it_is_sent(world, store, clock):
    _, _, double = world
    learning = _learning(world, store)
    assert command(world, "declare sev3 Search is slow") == 200
    assert command(world, "INC-1 followup") == 200
    form = _form(double)
    due = (clock.now() + timedelta(days=14)).date().isoformat()
    for _ in range(2):  # a double click on Add: the view id is the request key
        assert _submit(world, REPORTER, form, _values(due=due, horizon="6m")) == {}
    [added] = learning.followups_of(1)
    assert (added.title, added.owner, added.due, added.cost, added.likelihood_name, added.horizon,
            added.proposed_by) == ("Warm the cache on deploy", BRUNO, due, "2 days", "likely", "6m", REPORTER)


def test_the_review_notice_has_an_add_follow_up_button_and_the_nudge_buttons_move_it(world, store, clock):
    _, services, double = world
    learning = _learning(world, store)
    assert command(world, "declare sev3 Search is slow") == 200
    incident = services.incidents.get(1)
    command(world, "INC-1 resolve latency normal")  # sev3 requires a review: its notice goes to the channel

    def add_button():
        for message in double.model.messages_in(incident.channel_id):
            for block in message.blocks:
                for element in block.get("elements") or []:
                    if element.get("action_id", "").startswith("followup.add"):
                        return element
        return None

    element = double.wait_for(add_button, what="the Add follow-up button on the review notice")
    assert element["value"] == "incident:1"
    assert button(world, REPORTER, element["action_id"], element["value"]) == 200
    form = _form(double)
    due = (clock.now() + timedelta(days=7)).date().isoformat()
    assert _submit(world, REPORTER, form, _values(due=due)) == {}
    [added] = learning.followups_of(1)
    # The owner's nudge carries "Working on it" and "Done" (update_followup: the owner, the commander, admins).
    assert button(world, BRUNO, "followup.start", f"followup:{added.id}") == 200
    assert learning.followups_of(1)[0].state == "in_progress"
    assert button(world, BRUNO, "followup.done", f"followup:{added.id}", message_ts="1700000000.000200") == 200
    assert learning.followups_of(1)[0].state == "done"
    assert interaction(world, {"type": "block_actions", "user": {"id": BRUNO},
                               "actions": [{"action_id": "followup.nope", "value": "followup:1", "type": "button"}]}) \
        == 404  # the check can fail: an unknown button has no listener
