"""The paging set-up comes from the environment; secrets are taken out of it and never shown."""

from __future__ import annotations

from bot.notify.environment import from_environment


def test_twilio_and_smtp_from_the_environment_secrets_removed():
    env = {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "secret-token-value",
           "TWILIO_FROM_NUMBER": "+15005550006", "TWILIO_API_URL": "http://127.0.0.1:9/",
           "SMTP_HOST": "127.0.0.1", "SMTP_PORT": "2525", "SMTP_FROM": "pager@example.org",
           "SMTP_PASSWORD": "smtp-password-value", "PAGING_PUBLIC_URL": "https://bot.example.org/",
           "PAGING_LINK_SECRET": "0123456789abcdef0123"}
    import os

    saved = dict(os.environ)
    try:
        os.environ.update(env)
        setup = from_environment()
        assert setup.methods == ["email", "sms", "voice"] and setup.problems == []
        assert setup.public_url == "https://bot.example.org"
        for secret in ("TWILIO_AUTH_TOKEN", "SMTP_PASSWORD", "PAGING_LINK_SECRET"):
            assert secret not in os.environ
        shown = repr(setup)
        assert "secret-token-value" not in shown and "smtp-password-value" not in shown
        assert "0123456789abcdef0123" not in shown
        assert setup.notifiers["sms"].api_url == "http://127.0.0.1:9"
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_half_a_set_up_is_reported_not_silently_ignored():
    setup = from_environment({"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "SMTP_HOST": "mail", "SMTP_FROM": "p@x.org"},
                             pop=False)
    assert "sms" not in setup.methods and "email" in setup.methods
    text = " ".join(setup.problems)
    assert "TWILIO_AUTH_TOKEN" in text and "PAGING_LINK_SECRET is not set" in text


def test_nothing_configured_means_slack_only():
    setup = from_environment({}, pop=False)
    assert setup.methods == [] and setup.problems == [] and setup.webhook_app(None, lambda: None) is None
