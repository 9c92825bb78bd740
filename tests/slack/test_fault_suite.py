"""Fault injection against the Slack double: nothing lost, nothing repeated, nothing reported done early.

The bot runs as a real process (``python -m bot serve``, its scheduler and outbox worker inside)
against the Slack double, with the shipped configuration.  Slack misbehaves on purpose:

* the bot is killed with SIGKILL at every Web API call (and the answer) of a declaration, the
  restarted bot finishes it;
* Slack is down for 60 seconds while a page escalates, a status update is given and a nudge is due;
* Slack answers 429 for three minutes while an incident is declared;
* ``conversations.create`` answers 500 three times, the last time after creating the channel.

Afterwards every effect the outbox recorded as done is compared with what the double holds
(:mod:`tests.slack.outbox_audit`); the counts of lost and duplicated effects are printed and
must both be 0.  The second scenario runs on the bot's accelerated clock (``--clock-speed 10``):
its 60-second outage is 60 s for the bot and 6 s of the test's time, like every back-off.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from bot.clock import SystemClock
from tests.slack.conftest import ADMIN, REPORTER
from tests.slack.harness import BotProcess, SlackSender, make_config
from tests.slack.outbox_audit import audit, row_count, settle

pytestmark = pytest.mark.slow

SPEED = 10.0


class Bot:
    """The bot process, restartable on the same database and Slack double."""

    def __init__(self, double, database_url: str, tmp_path, *, extra_args: list[str] | None = None,
                 first_nudge: str | None = None) -> None:
        self.double, self.database_url, self.tmp_path = double, database_url, tmp_path
        self.config_dir, self.playbooks_dir = make_config(tmp_path, admins=[ADMIN])
        if first_nudge:  # the first checklist task of sev2 is nudged this soon
            path = self.playbooks_dir / "sev2.yaml"
            data = yaml.safe_load(path.read_text())
            data["checklist"][0]["nudge_after"] = first_nudge
            path.write_text(yaml.safe_dump(data))
        self.extra_args = extra_args or []
        self.runs = 0
        self.proc: BotProcess | None = None

    def start(self) -> BotProcess:
        self.runs += 1
        self.proc = BotProcess(api_url=self.double.api_url, database_url=self.database_url,
                               config_dir=self.config_dir, playbooks_dir=self.playbooks_dir,
                               log_path=self.tmp_path / f"bot-{self.runs}.log", scheduler=True,
                               extra_args=self.extra_args)
        self.proc.wait_ready(timeout=60)
        return self.proc

    @property
    def slack(self) -> SlackSender:
        assert self.proc is not None
        return SlackSender(f"{self.proc.url}/slack/events", f"{self.double.url}/webhook")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()


def _send(slack: SlackSender, body: bytes, retry: int = 0) -> bool:
    """Send a slash command as Slack does; False when the bot died before acknowledging it."""
    headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
    try:
        return slack.post(body, "application/x-www-form-urlencoded", headers=headers).status == 200
    except OSError:  # connection reset or closed without an answer
        return False


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


IN_FLIGHT = 1.0  # seconds between the bot sending a request and the double reading it, on a loaded machine


def test_kill_9_at_every_step_of_a_declaration_loses_and_repeats_nothing(double, store, database_url, tmp_path):
    now = SystemClock().now
    bot = Bot(double, database_url, tmp_path)
    bot.start()
    kills: list[tuple[int, bool, str]] = []
    try:
        # How many calls does one declaration make, from a freshly started process?
        calls, answers, rows = len(double.calls()), len(double.webhooks()), row_count(store)
        bot.slack.command("declare sev2 Reference run", user=REPORTER)
        settle(store, now=now, after=rows)
        made = [c.method for c in double.calls()[calls:]] + ["response_url"] * (len(double.webhooks()) - answers)
        steps = len(made)
        # Each call of the declaration by method and occurrence (the 2nd chat.postMessage, ...): other lanes
        # (the page's DM, the feed) run in parallel, so "the nth call" would hit a different call each run.
        targets = [(method, k) for method in dict.fromkeys(made) for k in range(1, made.count(method) + 1)]
        rows = row_count(store)
        bot.slack.command("INC-1 resolve reference done", user=REPORTER)
        settle(store, now=now, after=rows)
        bot.stop()
        bot.start()
        assert steps >= 12, f"a declaration made only {steps} calls"
        for step, (method, occurrence) in enumerate(targets, start=1):
            processed = step % 2 == 1  # odd steps: Slack did it, then the bot died; even: died first
            number = step + 1
            double.faults.kill_on_call(bot.proc.proc.pid, nth=occurrence, method=method, processed=processed)
            body = bot.slack.command_body(f"declare sev2 Killed at step {step}", user=REPORTER)
            rows = row_count(store)
            answered = _send(bot.slack, body)
            if _wait(lambda: len(double.faults.killed) > len(kills), 20):
                kills.append((step, processed, double.faults.killed[-1][1]))
                bot.proc.proc.wait(10)
                bot.stop()
                bot.start()
                if not answered:  # the bot died before answering Slack's request: Slack sends it again
                    assert _send(bot.slack, body, retry=1)
            else:
                double.faults.clear()  # this declaration made fewer calls; nothing to kill at this step
            settle(store, now=now, timeout=90, after=rows)
            rows = row_count(store)
            bot.slack.command(f"INC-{number} resolve done", user=REPORTER)  # no page escalates meanwhile
            settle(store, now=now, timeout=90, after=rows)
    finally:
        bot.stop()
    tally = audit(store, double, now=now())
    print("\n" + tally.report(f"kill -9 at each of {steps} steps of a declaration ({len(kills)} kills: "
                              + ", ".join(f"{c}{'' if p else ' (before Slack did it)'}" for _, p, c in kills) + ")"))
    assert len(kills) >= steps * 3 // 4  # a declaration's calls vary a little (lookups, parallel sends)
    killed_in = {c for _, _, c in kills}
    assert killed_in >= {"conversations.create", "conversations.invite", "chat.postMessage", "response_url"}
    assert len(killed_in) >= 6, killed_in
    assert tally.lost == [] and tally.duplicated == []
    assert tally.out_of_order == [] and tally.early == []
    # An answer through a response_url cannot be looked up: if the bot died after Slack took it and before
    # recording that, it is sent again (at least once, never lost). Only then: between any two copies of an
    # answer the bot died. (Not "within n seconds of the first copy": on a loaded machine the bot may wait
    # seconds for the database to record the answer, and the kill aimed at a parallel lane lands meanwhile.)
    # A copy is stamped when the double's thread for it reads the request; the kill is stamped when another
    # of its threads has sent SIGKILL. An answer the bot sent just before it was killed (its lane runs in
    # parallel with the call that killed it) can be read after that stamp, so a death up to IN_FLIGHT
    # before the first copy still lies between the two copies as the bot sent them (seen: the first copy
    # from the killed process, the second from its successor's recovery 1.8 s later).
    deaths = [at for _, _, at in double.faults.killed]
    # Or the bot recorded a failed attempt and retried: Slack took the answer but the bot never heard so.
    for answer, sent, attempts in tally.repeated_answers:
        for earlier, later in zip(sent, sent[1:]):
            before = [round(earlier - death, 3) for death in deaths if death <= later]
            assert any(earlier - IN_FLIGHT <= death <= later for death in deaths) or attempts > 1, \
                (f"{answer}: sent again {later - earlier:.1f} s later with no crash in between and no failed "
                 f"attempt (the nearest deaths before the second copy were {sorted(before)[:3]} s before the first)")


def test_an_outage_rate_limits_and_failing_channel_creation_lose_and_repeat_nothing(double, store, database_url,
                                                                                        tmp_path):
    started = datetime.now(timezone.utc).replace(microsecond=0)
    origin = time.monotonic()

    def bot_now() -> datetime:
        return started + timedelta(seconds=(time.monotonic() - origin) * SPEED)

    def until(instant: datetime) -> None:
        time.sleep(max(0.0, (instant - bot_now()).total_seconds() / SPEED))

    bot = Bot(double, database_url, tmp_path, first_nudge="5m",
              extra_args=["--clock-start", started.isoformat(), "--clock-speed", str(SPEED)])
    try:
        bot.start()
        # 1. An incident: the channel is set up, anna is paged (ack timeout 5 minutes, level 1), the commander
        #    will be nudged about the first checklist task after 5 minutes.
        declared, rows = bot_now(), row_count(store)
        bot.slack.command("declare sev2 Checkout is down", user=REPORTER)
        settle(store, now=bot_now, after=rows)
        channel = next(c for c in double.model.channels.values() if c.name.startswith("inc-1-"))
        # 2. Slack is down for 60 s around 5 minutes in: the page escalates, the checklist nudge is due, and
        #    the commander gives a status update, all while every call fails.
        until(declared + timedelta(minutes=4, seconds=30))
        double.faults.outage(60 / SPEED)
        until(declared + timedelta(minutes=5, seconds=5))
        bot.slack.command("status Rolled back the deploy; watching error rates", user=REPORTER, channel=channel.id)
        until(declared + timedelta(minutes=5, seconds=40))
        settle(store, now=bot_now, timeout=90)
        keys = {((m.metadata or {}).get("event_payload") or {}).get("key") for m in double.model.messages}
        assert any(k and k.endswith(":escalate") for k in keys), "the escalation notice"
        assert any(k and k.startswith("task:") and k.endswith(":nudge") for k in keys), "the checklist nudge"
        assert any(k and k.endswith(":post:0") and "status" not in k for k in keys)  # the status update
        assert len([p for p in _pages(store) if p.level == 2]) == 1  # the deputy, paged once
        # 3. Slack answers 429 (Retry-After 30 s) for three minutes while a second incident is declared.
        double.faults.rate_limited_for(180 / SPEED, retry_after=30)
        rows = row_count(store)
        bot.slack.command("declare sev2 Search is down", user=REPORTER)
        time.sleep(180 / SPEED)
        settle(store, now=bot_now, timeout=90, after=rows)
        # 4. conversations.create fails three times; the third time Slack had created the channel.
        double.faults.server_error("conversations.create", times=2)
        double.faults.server_error("conversations.create", times=1, processed=True)
        rows = row_count(store)
        bot.slack.command("declare sev2 Payments are slow", user=REPORTER)
        settle(store, now=bot_now, timeout=120, after=rows)  # back-off 10 s, 30 s, 60 s of the bot's time
    finally:
        bot.stop()
    tally = audit(store, double, now=bot_now())
    print("\n" + tally.report("60 s outage with an escalation, a status update and a nudge; 429 for 3 minutes; "
                              "3 failed conversations.create"))
    third = [c.status for c in double.calls("conversations.create") if c.params.get("name", "").startswith("inc-3-")]
    assert third == [500, 500, 500]  # the third created it: adopted, not created again
    assert len([c for c in double.model.channels.values() if c.name.startswith("inc-3-")]) == 1
    assert tally.lost == [] and tally.duplicated == [] and tally.repeated_answers == []
    assert tally.out_of_order == [] and tally.early == []


def _pages(store):
    from sqlmodel import select

    from bot.oncall.tables import Page

    with store.session() as s:
        return list(s.exec(select(Page)).all())
