"""Parsing /incident and /oncall text: commands, incident references, specific usage errors."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.slack.command_parser import UsageError, parse_incident, parse_oncall, user_reference

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def test_declare_with_severity_and_title():
    cmd = parse_incident("declare sev2 Checkout is  down", NOW)
    assert (cmd.name, cmd.args) == ("declare", {"severity": "sev2", "title": "Checkout is down"})


def test_declare_without_arguments_means_the_form():
    assert parse_incident("declare", NOW).args == {}


def test_explicit_incident_reference_in_front():
    for ref in ("INC-42", "inc-42", "#42", "42"):
        cmd = parse_incident(f"{ref} status  db  recovered, watching", NOW)
        assert cmd.incident == 42 and cmd.args == {"text": "db  recovered, watching"}


def test_status_keeps_the_text_as_typed():
    assert parse_incident("status  a  <b>  c", NOW).args["text"] == "a  <b>  c"


def test_role_takes_an_escaped_mention_or_a_user_id():
    assert parse_incident("role comms_lead <@U012AB3CD|jane>", NOW).args == {"role": "comms_lead", "user": "U012AB3CD"}
    assert parse_incident("role scribe U0ABCDEF1", NOW).args["user"] == "U0ABCDEF1"
    with pytest.raises(UsageError, match="is not a person") as err:
        parse_incident("role scribe jane", NOW)
    assert "/incident role <role> @person" in str(err.value)


def test_trigger_needs_an_offset_or_now():
    assert parse_incident("trigger aware now", NOW).at == NOW
    cmd = parse_incident("trigger aware 2026-03-02T09:30+01:00", NOW)
    assert cmd.at == datetime(2026, 3, 2, 8, 30, tzinfo=timezone.utc)  # 09:30 at +01:00 is 08:30 UTC
    with pytest.raises(UsageError, match="no UTC offset"):
        parse_incident("trigger aware 2026-03-02T09:30", NOW)
    with pytest.raises(UsageError, match="is not a time"):
        parse_incident("trigger aware yesterday", NOW)


@pytest.mark.parametrize("text, problem, usage", [
    ("sev", "Say which severity", "/incident sev <severity>"),
    ("status", "Write what is happening", "/incident status"),
    ("fact breach", "Give a fact name and a value", "/incident fact <name> <value>"),
    ("notified gdpr.authority", "Give the obligation and the reference", "/incident notified"),
    ("close", "post-incident summary", "/incident close <post-incident summary>"),
    ("timeline now", "takes no arguments", "/incident timeline"),
])
def test_errors_say_what_is_wrong_and_show_the_usage(text, problem, usage):
    with pytest.raises(UsageError) as err:
        parse_incident(text, NOW)
    assert problem in str(err.value) and f"Usage: `{usage}" in str(err.value)


def test_unknown_subcommand_lists_the_commands():
    with pytest.raises(UsageError) as err:
        parse_incident("explode", NOW)
    assert 'Unknown subcommand "explode"' in str(err.value) and "/incident declare" in str(err.value)


def test_empty_text_is_help():
    assert parse_incident("   ", NOW).name == "help"


def test_a_number_in_a_title_is_not_an_incident_reference():
    cmd = parse_incident("declare sev3 500 errors on checkout", NOW)
    assert cmd.incident is None and cmd.args["title"] == "500 errors on checkout"


def test_oncall_takes_at_most_one_rota():
    assert parse_oncall("") is None
    assert parse_oncall(" Platform ") == "platform"
    with pytest.raises(UsageError, match="at most one rota"):
        parse_oncall("a b")


def test_user_reference_refuses_special_mentions():
    assert user_reference("<!channel>") is None and user_reference("<@U1|x>") is None  # too short to be an id


def test_channel_takes_one_channel_as_slack_sends_it():
    command = parse_incident("INC-4 channel <#C0WARROOM|checkout-war-room>", NOW)
    assert (command.name, command.incident, command.args) == ("channel", 4, {"channel": "C0WARROOM",
                                                                           "name": "checkout-war-room"})
    with pytest.raises(UsageError, match="pick it from the list"):
        parse_incident("INC-4 channel checkout-war-room", NOW)  # typed, not picked: Slack sends no id


def test_affects_confirm_and_delay():
    from datetime import datetime, timezone

    from bot.slack.command_parser import UsageError, parse_incident

    now = datetime(2026, 7, 7, 12, tzinfo=timezone.utc)
    cmd = parse_incident("affects billing-db crm", now)
    assert (cmd.name, cmd.args) == ("affects", {"systems": "billing-db crm", "remove": ""})
    assert parse_incident("affects -crm", now).args == {"systems": "crm", "remove": "yes"}
    with pytest.raises(UsageError, match="not both"):
        parse_incident("affects billing-db -crm", now)
    assert parse_incident("INC-3 confirm residents", now).args == {"facts": "residents"}
    assert parse_incident("confirm residents gdpr_in_scope", now).args == {"facts": "residents gdpr_in_scope"}
    with pytest.raises(UsageError, match="at least one derived fact"):
        parse_incident("confirm", now)
    delay = parse_incident("delay sec_8k.item_1_05 attorney_general 2026-08-07T17:30-04:00 DOJ letter 17", now)
    assert delay.args == {"obligation": "sec_8k.item_1_05", "delay": "attorney_general", "reference": "DOJ letter 17"}
    assert delay.at == datetime(2026, 8, 7, 21, 30, tzinfo=timezone.utc)
    with pytest.raises(UsageError, match="Usage: `/incident delay"):
        parse_incident("delay sec_8k.item_1_05 attorney_general 2026-08-07T17:30 DOJ-1", now)  # no offset
