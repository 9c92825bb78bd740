"""Escaping and Block Kit limits of rendered notices."""

from __future__ import annotations

import json

import pytest

from bot.ports import Button, Notice
from bot.slack import channel_names
from bot.slack.blocks import render, topic
from bot.slack.mrkdwn import escape, escaped_within, mention


def test_escape_only_the_three_control_characters_ampersand_first():
    # Slack's formatting guide: & -> &amp;, < -> &lt;, > -> &gt; and nothing else.
    # "&lt;" typed by a person must stay visible as "&lt;", so & is replaced first.
    assert escape("a & b <!channel> > &lt;") == "a &amp; b &lt;!channel&gt; &gt; &amp;lt;"
    assert escape('quotes "stay" \'as\' they are') == 'quotes "stay" \'as\' they are'


def test_a_channel_ping_in_a_title_pings_nobody():
    notice = Notice(kind="announcement", title="db down <!channel>", lines=("see <https://evil.example|Runbook>",),
                    fields=(("Reporter", "<@U999>"),), footer="<!here>")
    rendered = render(notice)
    # Slack interprets control sequences only in mrkdwn objects and in the fallback text;
    # plain_text (the header) is shown literally and never pings.
    interpreted = [rendered.text] + list(_mrkdwn_texts(rendered.blocks))
    for control in ("<!channel>", "<!here>", "<https://evil", "<@U999>"):
        assert not any(control in text for text in interpreted)
    assert "&lt;!channel&gt;" in rendered.text
    assert rendered.blocks[0]["text"] == {"type": "plain_text", "text": "db down <!channel>", "emoji": True}


def _mrkdwn_texts(node):
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            yield node["text"]
        for value in node.values():
            yield from _mrkdwn_texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _mrkdwn_texts(item)


def test_mentions_only_from_valid_user_ids():
    assert mention("U012AB3CD") == "<@U012AB3CD>"
    with pytest.raises(ValueError, match="expected a Slack user id"):
        mention("<!channel>")
    rendered = render(Notice(kind="page", title="t", mention_users=("U012AB3CD", "!channel")))
    assert "<@U012AB3CD>" in rendered.text and "!channel" not in json.dumps(rendered.blocks)


def test_people_are_mentions_when_the_notice_mentions_them_anyway_and_names_otherwise():
    names = {"U0OTHER01": "Olga <Ops> & Co", "U0REPORT1": "Riley"}.get
    rendered = render(Notice(kind="incident_welcome", title="U0OTHER01 took over from U0REPORT1",
                             mention_users=("U0REPORT1",), lines=("Commander: U0OTHER01, reporter U0REPORT1",),
                             fields=(("Reporter", "U0REPORT1"), ("Commander", "U0OTHER01"), ("Note", "see U0REPORT1"))),
                      names=lambda u: names(u) or u)
    texts = [f["text"] for b in rendered.blocks if b["type"] == "section" for f in b.get("fields", [])]
    # a channel message names people (a mention would notify them), escaped once; the reporter is
    # mentioned by the notice anyway, so they are shown as that mention wherever they appear
    assert texts == ["*Reporter*\n<@U0REPORT1>", "*Commander*\nOlga &lt;Ops&gt; &amp; Co", "*Note*\nsee <@U0REPORT1>"]
    lines = next(b["text"]["text"] for b in rendered.blocks if b["type"] == "section" and "Commander:" in
                 b["text"]["text"])
    assert lines == "Commander: Olga &lt;Ops&gt; &amp; Co, reporter <@U0REPORT1>"
    # the header is plain text: names (a mention cannot be shown there), never an id, never markup
    assert rendered.blocks[0]["text"]["text"] == "Olga <Ops> & Co took over from Riley"


def test_long_texts_are_cut_to_block_kit_limits():
    notice = Notice(kind="status_update", title="T" * 500, lines=tuple("x" * 2500 for _ in range(80)),
                    fields=tuple((f"k{i}", "v" * 3000) for i in range(25)),
                    buttons=tuple(Button(f"a{i}", "L" * 100, f"v:{i}") for i in range(30)))
    blocks = render(notice).blocks
    assert len(blocks) <= 50
    assert len(blocks[0]["text"]["text"]) <= 150
    for block in blocks:
        if block["type"] == "section":
            assert len(block.get("text", {}).get("text", "")) <= 3000
            assert len(block.get("fields", [])) <= 10
            assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
        if block["type"] == "actions":
            assert len(block["elements"]) <= 25
            assert all(len(e["text"]["text"]) <= 75 for e in block["elements"])
    assert "more part(s) not shown" in blocks[-2]["text"]["text"]  # just before the buttons


def test_escaping_never_cuts_an_entity_in_half():
    cut = escaped_within("&" * 10, 12)  # "&amp;" is 5 characters: two fit with room for the ellipsis
    assert cut == "&amp;&amp;…"


def test_buttons_keep_action_ids_and_opaque_values():
    rendered = render(Notice(kind="page", title="Page", buttons=(Button("page.ack", "Acknowledge", "page:42", "primary"),
                                                               Button("page.decline", "Can't take it", "page:42"))))
    actions = [b for b in rendered.blocks if b["type"] == "actions"][0]
    assert [(e["action_id"], e["value"]) for e in actions["elements"]] == [("page.ack", "page:42"), ("page.decline", "page:42")]
    assert actions["elements"][0]["style"] == "primary"


def test_repeated_action_ids_are_numbered_because_slack_needs_them_unique_per_block():
    tasks = tuple(Button("task.complete", f"Done: task {i}", f"task:{i}") for i in (1, 2, 3))
    actions = [b for b in render(Notice(kind="checklist", title="Checklist", buttons=tasks)).blocks
               if b["type"] == "actions"][0]
    assert [e["action_id"] for e in actions["elements"]] == ["task.complete", "task.complete~2", "task.complete~3"]
    assert [e["value"] for e in actions["elements"]] == ["task:1", "task:2", "task:3"]


def test_topic_fits_250_characters():
    assert len(topic("word " * 100)) == 250


@pytest.mark.parametrize("raw, expected", [
    ("INC-12 Checkout Down!", "inc-12-checkout-down"),
    ("inc-7-café ünïcode", "inc-7-cafe-unicode"),
    ("a" * 100, "a" * 80),
])
def test_channel_names_are_normalised(raw, expected):
    assert channel_names.normalise(raw) == expected


def test_suffix_keeps_names_within_80_characters():
    assert channel_names.with_suffix("b" * 80, 12) == "b" * 77 + "-12"
    assert channel_names.with_suffix("inc-1-db", 2) == "inc-1-db-2"


def test_ids_of_mentioned_users_in_lines_become_mentions_and_others_stay_text():
    from bot.ports import Notice
    from bot.slack.blocks import render

    notice = Notice(kind="escalation", title="Escalating INC-3",
                    lines=("Paging next: U0CARLA01.", "Not mentioned: U0OTHER01 <!channel>"),
                    mention_users=("U0CARLA01",))
    text = "\n".join(b["text"]["text"] for b in render(notice).blocks if b["type"] == "section")
    assert "Paging next: <@U0CARLA01>." in text
    assert "<@U0OTHER01>" not in text and "U0OTHER01" in text  # only ids the notice mentions anyway
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text  # user text stays escaped
