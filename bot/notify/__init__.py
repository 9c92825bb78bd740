"""Paging channels beyond Slack: SMS, voice and email, per-person notification rules, acknowledgement by reply.

The core of this package (``rules``, ``plan``, ``tables``, ``delivery``, ``inbound``, ``messages``,
``links``, ``ports``) imports no provider library.  The adapters (``twilio_rest``, ``smtp``,
``webhooks``) and the Twilio double (``double/``) live beside it and are only imported by the
command line and the tests; ``tests/test_architecture.py`` enforces it.
"""
