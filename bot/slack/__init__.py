"""The Slack adapter: the only package that imports slack_bolt / slack_sdk.

* ``gateway``, ``channels``   the :class:`bot.ports.ChatPort` on the Web API (idempotent, repeatable operations)
* ``blocks``, ``mrkdwn``, ``readable``, ``modals``, ``replies``, ``home_view``, ``oncall_view``   what Slack shows
* ``people``   Slack users' names and zones (users.info, cached)
* ``app``, ``listeners/``   the bolt app: one module per surface, thin (parse, one service call, render)
* ``operations``   what listeners do after acknowledging (one service call; the outbox does the rest)
* ``transport``, ``request_gate``   HTTP (waitress; size, signature and shape checked first) or Socket Mode
* ``log_privacy``   bolt's log lines without request bodies
* ``double/``   a local Slack Web API for end-to-end tests, drills and benchmarks
"""
