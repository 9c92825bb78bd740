"""The App Home tab shows an incident's title as the person typed it, escaped exactly once.

A title is person-typed text. In mrkdwn ``<!channel>`` notifies a whole channel, ``<https://x|y>``
disguises a link and ``&`` starts an entity; Slack's three control characters must come out as
``&lt;``, ``&gt;`` and ``&amp;`` (docs/slack.md, "Escaping"), and only once: ``&amp;lt;`` would show the
reader a literal ``&lt;``.
"""

from __future__ import annotations

import json

from bot.slack import home_view
from tests.slack.conftest import REPORTER  # the world fixture comes from tests/slack/conftest.py

TITLE = "Checkout <!channel> & <https://evil.example|runbook> down"
# each control character replaced by its entity, by hand: & -> &amp;, < -> &lt;, > -> &gt;
ESCAPED = "Checkout &lt;!channel&gt; &amp; &lt;https://evil.example|runbook&gt; down"


def test_the_home_tab_escapes_the_incident_title_once(world):
    _, services, _ = world
    services.incidents.declare("sev2", TITLE, actor=REPORTER, reporter=REPORTER, key="home-escape")
    view = home_view.build(services, REPORTER)
    shown = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]
    listed = next(text for text in shown if "INC-1" in text)
    assert ESCAPED in listed
    everything = json.dumps(view["blocks"], ensure_ascii=False)
    assert "<!channel>" not in everything and "<https://evil.example" not in everything
    assert "&amp;lt;" not in everything and "&amp;amp;" not in everything  # escaped once, not twice
