"""The one pass from the domain's plain text to what a person reads (bot/slack/readable.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.ports import INCIDENT_CHANNEL, Notice, with_channel
from bot.slack.readable import _atoms, message, plain, reply, slack_date, unrender


def test_a_reply_shows_instants_in_the_readers_zone_to_the_minute_and_users_as_mentions():
    text = "U0ANNA001 set aware to 2026-03-02T08:30:15.123456+00:00 in C0INC0001 & <b>"
    # 08:30 UTC is 09:30 in Berlin (CET, UTC+1 in March before the 29th)
    assert reply(text, "Europe/Berlin") == "<@U0ANNA001> set aware to Mon 02 Mar 09:30 CET in <#C0INC0001> &amp; &lt;b&gt;"


def test_words_that_look_like_ids_are_left_alone():
    text = ("WARNING: UNKNOWN user; see https://x.example/U0ANNA001 and <@U0BRUNO01>, UTF8ENCODING is no id, "
            "nor is U0CARLA01X9-2")
    out = reply(text, "UTC")
    assert out.startswith("WARNING: UNKNOWN user")  # capitals without a digit are words
    assert "https://x.example/U0ANNA001" in out  # inside a link: not an id
    assert "&lt;@U0BRUNO01&gt;" in out  # typed: escaped, never a mention
    assert "UTF8ENCODING is no id, nor is U0CARLA01X9-2" in out


def test_a_channel_message_names_people_and_dates_for_every_reader():
    names = {"U0ANNA001": "Anna <ops>"}.get
    out = message("U0ANNA001 acknowledged at 2026-03-02T09:00:00+00:00", lambda u: names(u) or u)
    assert out == "Anna &lt;ops&gt; acknowledged at <!date^1772442000^{date_short_pretty} {time}|Mon 02 Mar 2026 09:00 UTC>"
    assert message("U0ANNA001 is here", None, ("U0ANNA001",)) == "<@U0ANNA001> is here"


def test_plain_text_has_no_markup():
    assert plain("a < b & U0ANNA001 at 2026-03-02T09:00:00Z", lambda u: "Anna") == "a < b & Anna at Mon 02 Mar 2026 09:00 UTC"


def test_cutting_never_splits_an_entity_or_a_mention():
    out = reply("&&&& U0ANNA001", "UTC", limit=12)
    assert out == "&amp;&amp;…"
    cut = reply("ab U0ANNA001 cd", "UTC", limit=10)
    assert "<@" not in cut and cut.endswith("…")


def test_unrender_gives_back_the_plain_text_once():
    rendered = reply("U0ANNA001: a &lt; b at 2026-03-02T09:00:00+00:00", "UTC")
    assert unrender(rendered) == "U0ANNA001: a &lt; b at Mon 02 Mar 09:00 UTC"


def test_the_incident_channel_is_linked_once_it_exists():
    notice = Notice(kind="announcement", title="INC-1 declared", lines=(f"Channel: {INCIDENT_CHANNEL}",))
    assert with_channel(notice, "C0INC0001").lines == ("Channel: C0INC0001",)
    assert message(with_channel(notice, "C0INC0001").lines[0]) == "Channel: <#C0INC0001>"
    assert with_channel(notice, None).lines == ("Channel: its channel (being created)",)
    assert notice.as_text().splitlines()[1] == "Channel: the incident channel"


@given(st.lists(st.sampled_from(["a", " ", "<", ">", "&", "&amp;", "U0ANNA001", "C0INC0001", "2026-03-02T09:00:00Z",
                                 "é", "\n"]), max_size=30), st.integers(min_value=1, max_value=80))
def test_whole_spans_render_like_one_character_at_a_time(parts, limit):
    # Text that fits is escaped span by span (the fast path); text that does not is cut piece by piece.
    # Both must give what escaping one character at a time gives, and a cut never exceeds the limit.
    text = "".join(parts)
    by_char = "".join(_atoms(text, on_instant=slack_date, on_user=lambda u: f"<@{u}>",
                             on_channel=lambda c: f"<#{c}>", escaping=True))
    assert message(text, None, ("U0ANNA001",)) == by_char
    cut = message(text, None, ("U0ANNA001",), limit=limit)
    assert cut == by_char if len(by_char) <= limit else (len(cut) <= limit and cut.endswith("…"))
