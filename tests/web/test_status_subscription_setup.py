"""Status page subscriptions are on when email and the web view are set up, in both processes: the form in
``serve`` (``web_from_env``) and the mails in the scheduler's sweep (``PagingSetup.dispatcher``)."""

from __future__ import annotations

from bot.clock import ManualClock
from bot.incidents.service import IncidentService
from bot.notify.environment import from_environment
from bot.subscriptions import subscribers
from bot.web.setup import web_from_env
from tests.notify.world import free_port
from tests.web.subscription_world import NOW

SECRET = "w" * 40


def env(**more: str) -> dict[str, str]:
    return {"WEB_LINK_SECRET": SECRET, "WEB_PUBLIC_URL": "https://bot.example.org/web", **more}


def test_the_form_is_offered_only_with_email_set_up(store, shipped_config):
    clock = ManualClock(NOW)
    incidents = IncidentService(store, lambda: shipped_config, clock)
    for smtp, shown, answer in (({"SMTP_HOST": "mail.example.org", "SMTP_FROM": "status@example.org"}, True, 202),
                                # no sender: the scheduler builds no mailer, so no form promising mail nobody sends
                                ({"SMTP_HOST": "mail.example.org"}, False, 404),
                                ({}, False, 404)):
        _, app = web_from_env(env(**smtp), store=store, config=lambda: shipped_config, clock=clock,
                              incidents=incidents)
        client = app.test_client()
        assert ('action="/status/subscribe"' in client.get("/status").get_data(as_text=True)) is shown
        assert client.post("/status/subscribe", data={"email": f"x{answer}@example.com"}).status_code == answer


def test_the_scheduler_sweep_sends_the_status_mails_when_the_web_view_is_set_up(store, shipped_config):
    clock = ManualClock(NOW)
    subscribers.subscribe(store, clock, "ann@example.com", per_hour=10)
    smtp = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(free_port()), "SMTP_FROM": "status@example.org",
            "SMTP_PASSWORD": "smtp-password"}
    setup = from_environment(env(**smtp), pop=False)
    assert SECRET not in repr(setup)
    counts = setup.dispatcher(store, lambda: shipped_config, clock).run_due()
    assert counts == {"status-mail-retry": 1}  # tried (nobody listens on that port), recorded, retried later
    without_web = from_environment(smtp, pop=False)
    assert without_web.dispatcher(store, lambda: shipped_config, clock).run_due() == {}


def test_a_short_link_secret_sends_no_status_mail_and_says_why(store, shipped_config):
    smtp = {"SMTP_HOST": "127.0.0.1", "SMTP_FROM": "status@example.org"}
    setup = from_environment({**env(**smtp), "WEB_LINK_SECRET": "short"}, pop=False)
    assert setup.status_secret == ""  # no sweep would sign links with it
    assert any("status page's subscribers are not mailed" in p and "16 characters" in p for p in setup.problems)
