"""`serve` survives every kind of bad configuration edit on reload (SIGHUP) and keeps serving.

The bot runs as a real process against the Slack double. Each bad edit is reloaded with SIGHUP; the
process must stay up, answer Slack, log why the edit was refused and keep the configuration it had.
"""

from __future__ import annotations

import os
import signal
import time
import urllib.request
from pathlib import Path

import pytest

from bot.slack.double import SlackDouble
from tests.slack.harness import BotProcess, SlackSender, make_config

pytestmark = pytest.mark.slow

REPORTER = "U0REPORT1"
BOMB = "organisation: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"level{n}: &{chr(98 + n)} [*{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, "
    f"*{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}]\n" for n in range(9))


def _log(bot: BotProcess) -> str:
    return bot.log_path.read_text(errors="replace")


def _hangup_and_wait(bot: BotProcess, marker: str, timeout: float = 60.0) -> str:
    """Send SIGHUP; wait until the log shows one more ``marker``; return the log written since."""
    before = _log(bot)
    os.kill(bot.proc.pid, signal.SIGHUP)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = _log(bot)
        if now.count(marker) > before.count(marker):
            return now[len(before):]
        assert bot.proc.poll() is None, f"the bot died on reload:\n{now[-4000:]}"
        time.sleep(0.1)
    raise AssertionError(f"no {marker!r} in the log after SIGHUP:\n{_log(bot)[-4000:]}")


def _still_serving(bot: BotProcess, slack: SlackSender) -> None:
    assert bot.proc.poll() is None, f"the bot exited:\n{_log(bot)[-4000:]}"
    with urllib.request.urlopen(f"{bot.url}/healthz", timeout=5) as resp:
        assert resp.status == 200
    assert slack.command("help", user=REPORTER).status == 200


@pytest.fixture
def running(tmp_path, database_url):
    with SlackDouble() as double:
        double.model.lenient_users = True
        double.model.add_user(REPORTER, "riley", "Europe/Berlin")
        for name in ("incidents", "support-escalations", "exec-updates"):
            double.model.add_channel(name)
        # only SIGHUP reloads here: the file watcher polls once an hour
        config_dir, playbooks_dir = make_config(tmp_path, admins=[], settings={"reload_poll_seconds": 3600})
        # alert routes name playbooks too (removing one they name is a reference error, checked elsewhere);
        # here only the open incident may hold the playbook
        (config_dir / "alerts.yaml").unlink(missing_ok=True)
        bot = BotProcess(api_url=double.api_url, database_url=database_url, config_dir=config_dir,
                         playbooks_dir=playbooks_dir, log_path=tmp_path / "bot.log", scheduler=True)  # it delivers the outbox
        try:
            bot.wait_ready()
            yield bot, SlackSender(f"{bot.url}/slack/events", f"{double.url}/webhook"), double, config_dir, playbooks_dir
        finally:
            bot.stop()


def test_every_bad_edit_is_refused_on_sighup_and_the_bot_keeps_serving(running):
    bot, slack, double, config_dir, playbooks_dir = running
    assert slack.command("declare sev2 Checkout is down", user=REPORTER).status == 200
    double.wait_for(lambda: any(c.name.startswith("inc-1-") for c in double.model.channels.values()),
                    what="INC-1's channel")
    settings: Path = config_dir / "settings.yaml"
    good_settings = settings.read_text()

    settings.write_text(BOMB)
    refused = _hangup_and_wait(bot, "configuration edit rejected")
    assert "settings.yaml:" in refused and "expand to more than 100,000 values" in refused
    _still_serving(bot, slack)

    settings.write_text("organisation: &org [Acme, *org]\n")
    refused = _hangup_and_wait(bot, "configuration edit rejected")
    assert "settings.yaml:1:27: alias *org refers to the value that contains it" in refused
    _still_serving(bot, slack)

    settings.write_text(good_settings + "# padding\n" * (1024 * 1024))  # about 10 MiB of comments
    refused = _hangup_and_wait(bot, "configuration edit rejected")
    assert "settings.yaml:1:1: file is larger than 8 MiB" in refused
    _still_serving(bot, slack)
    settings.write_text(good_settings)

    # standing facts are typed like every other fact: an unreadable value and an unknown name are refused
    # (never read as "no", which would switch a legal duty off)
    organisation = config_dir / "organisation.yaml"
    organisation.write_text("facts:\n  personal_data_breach: ja\n  personal_data: true\n")
    refused = _hangup_and_wait(bot, "configuration edit rejected")
    assert "organisation.yaml:2:" in refused and "fact personal_data_breach: expected true or false" in refused
    assert 'no regulation asks about fact "personal_data" (did you mean "personal_data_breach"?)' in refused
    _still_serving(bot, slack)
    organisation.unlink()

    sev2 = playbooks_dir / "sev2.yaml"
    kept = sev2.read_text()
    sev2.unlink()
    refused = _hangup_and_wait(bot, "configuration edit rejected")
    assert 'playbook "sev2" cannot be removed: INC-1 (active) still uses it' in refused
    _still_serving(bot, slack)
    sev2.write_text(kept)

    settings.write_text(good_settings.replace("organisation: Example Org", "organisation: Reloaded Org"))
    _hangup_and_wait(bot, "configuration reloaded")
    _still_serving(bot, slack)
