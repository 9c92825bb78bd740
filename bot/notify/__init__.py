"""Paging channels beyond Slack: SMS, voice and email, by per-person notification rules, acknowledgement by reply.

The rules themselves are part of the people model (:mod:`bot.oncall.notification_rules`). The core of this
package (``plan``, ``tables``, ``delivery``, ``inbound``, ``messages``,
``links``, ``ports``) imports no provider library.  The adapters (``twilio_rest``, ``smtp``,
``webhooks``), their set-up from the environment (``environment``) and the Twilio double
(``double/``) live beside it and are only imported by the command line, the drill and the tests;
``tests/test_architecture.py`` enforces it.
"""
