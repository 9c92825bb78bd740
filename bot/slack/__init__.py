"""The Slack adapter: the only package that imports slack_bolt / slack_sdk.

* ``gateway``   the :class:`bot.ports.ChatPort` on the Web API (idempotent keyed sends, retries)
* ``blocks``, ``mrkdwn``, ``modals``, ``replies``, ``home_view``, ``oncall_view``   what Slack shows
* ``app``, ``listeners/``   the bolt app: one module per surface, thin (parse, one service call, render)
* ``declare_flow``, ``delivery``, ``operations``   what listeners do after acknowledging
* ``transport``   HTTP (waitress, verified signatures) or Socket Mode
* ``double/``   a local Slack Web API for end-to-end tests, drills and benchmarks
"""
