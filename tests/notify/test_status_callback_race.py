"""Twilio may deliver the same status callback twice at once (its retry while the first is being answered): the
step fails over once.  Both requests read the step as still sent; without a row lock the second one, after
waiting for the first's update, failed the step again: a second page.method_failed on the chain and a second
"could not reach" notice in the incident channel."""

from __future__ import annotations

import threading
import time

from sqlmodel import select

from bot.audit.tables import TimelineEvent
from bot.notify.failover import delivery_report
from tests.notify.world import PHONES


def test_a_failed_status_reported_twice_at_once_fails_the_step_over_once(world):
    world.declare()
    world.run()
    world.advance(minutes=2)  # 10:02: the SMS is sent
    [sms] = world.sms_to(PHONES["anna"])
    now = world.clock.now()
    answers: list[str] = []

    def second() -> None:
        with world.store.session() as s:
            answers.append(delivery_report(s, world.config, sms.sid, "undelivered", "30003", now))

    with world.store.session() as s:
        answers.append(delivery_report(s, world.config, sms.sid, "undelivered", "30003", now))
        racing = threading.Thread(target=second)
        racing.start()
        time.sleep(0.5)  # the second request reads the step before the first commits
    racing.join(10)
    with world.store.session() as s:
        failed = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "page.method_failed")).all()
    assert sorted(answers) == ["failed over", "nothing to do"] and len(failed) == 1
