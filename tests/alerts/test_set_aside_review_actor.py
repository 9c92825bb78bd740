"""Who deals with a set-aside receipt is a person of people.yaml: ``alerts retriage|dismiss --by`` records the
person's id on the global chain (also when given their Slack user id), and refuses a name people.yaml does not
hold with exit 2, the closest ids, and nothing written.  (The configuration is the shipped one: anna is U0ANNA001.)"""

from __future__ import annotations

import pytest

from tests.alerts.test_set_aside import events_of, poison, receipt_states  # noqa: F401 (poison: a fixture)
from tests.alerts.test_set_aside_review import chain_length, cli, set_aside_one  # noqa: F401 (cli: a fixture)


@pytest.mark.parametrize("command, event, state", [("retriage", "alert.retriaged", "accepted"),
                                                   ("dismiss", "alert.dismissed", "dismissed")])
def test_the_person_is_recorded_and_a_name_people_yaml_does_not_hold_is_refused(inbox, triage, store, poison, cli,
                                                                                alerts_config, command, event, state):
    bad = set_aside_one(inbox, triage, store)
    poison["on"] = False
    where = ("--config-dir", str(alerts_config.paths.config_dir))
    before, states = chain_length(store), receipt_states(store)

    code, out, err = cli("alerts", command, str(bad), "--by", "ana", "--reason", "fixed", *where)
    assert (code, out) == (2, "")
    assert err.startswith('--by: "ana" is not a person in people.yaml (did you mean "anna"') and \
        "nothing was written" in err, err
    assert chain_length(store) == before and receipt_states(store) == states

    code, out, err = cli("alerts", command, str(bad), "--by", "U0ANNA001", "--reason", "fixed", *where)
    assert (code, err) == (0, "")
    [dealt] = events_of(store, event)
    assert (dealt.actor, dealt.data["by"]) == ("anna", "anna")
    assert receipt_states(store)[bad] == state
