"""``drill --alert FILE`` when the alert's route pages a rota without an incident.

The alert has gone through the real intake and triage (:mod:`bot.drill.alert_replay`); its disposition says who
is paged, or held until when. The story goes on from there on the simulated clock: the page goes out (at once
for high urgency, at the start of the person's working hours for low), the paged person acknowledges it in
Slack a few minutes later, and the source sends ``resolved`` when the problem is gone, which resolves the group
and ends the call-out. Every message is shown as its reader saw it; the group's record on the audit chain and
the chain's verification close the drill.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable

from sqlmodel import select

from bot.alerts.answers import AlertPages
from bot.alerts.tables import AlertGroup
from bot.audit.evidence import verify_incident
from bot.audit.tables import TimelineEvent
from bot.drill.alert_replay import post, resolved
from bot.drill.running import RunningDrill
from bot.drill.transcript import in_zone, render
from bot.drill.world import earliest_pending
from bot.oncall.tables import Page
from bot.slack.replies import local

ACK_AFTER = timedelta(minutes=4)  # the paged person reads the page and acknowledges it
RESOLVED_AFTER = timedelta(minutes=40)  # after the acknowledgement the problem is fixed and the source says so
MAX_SIMULATED = timedelta(days=4)  # a low-urgency page held over a weekend goes out within this
MAX_STEPS = 500


class AlertPageStory:
    def __init__(self, drill: RunningDrill, body: Any, group_id: int) -> None:
        self.drill, self.world, self.body, self.group_id = drill, drill.world, body, group_id
        self.zone = drill.config.settings.timezone
        self.answers = AlertPages(self.world.store, lambda: drill.config, self.world.clock, self.world.incidents)
        self.printed = 0
        self.agenda: list[tuple[Any, str, Callable[[], None]]] = []  # (when, what, action)
        self.acked = False

    def run(self) -> bool:
        """Play the story to the group's end; True if the global chain verifies afterwards."""
        w = self.world
        end = w.clock.now() + MAX_SIMULATED
        for _ in range(MAX_STEPS):
            w.scheduler.run_pending()
            self._flush()
            if self._group().status == "resolved" and not self.agenda:
                break
            self._plan_ack()
            candidates = [t for t in (earliest_pending(w), min((a[0] for a in self.agenda), default=None))
                          if t is not None]
            if not candidates or min(candidates) > end:
                break
            w.clock.set(max(min(candidates), w.clock.now()))
            due = [a for a in self.agenda if a[0] <= w.clock.now()]
            self.agenda = [a for a in self.agenda if a[0] > w.clock.now()]
            for _, what, action in due:
                self._say(what)
                action()
        w.scheduler.run_pending()
        self._flush()
        return self._summary()

    # --- the people and the source ---------------------------------------------------------

    def _plan_ack(self) -> None:
        """Once the group's page has reached its person, they acknowledge it a few minutes later."""
        if self.acked:
            return
        with self.world.store.session() as s:
            page = s.exec(select(Page).where(Page.alert_group_id == self.group_id, Page.status == "sent")
                          .order_by(Page.id)).first()
            if page is None:
                return
            page_id, user, sent_at = page.id, page.slack_user, page.sent_at or self.world.clock.now()
        self.acked = True
        name = self.world.person_of(user)
        self.agenda.append((sent_at + ACK_AFTER, f"{name} acknowledges the page in Slack",
                            lambda: self._acknowledge(page_id, user)))

    def _acknowledge(self, page_id: int, user: str) -> None:
        answer = self.answers.acknowledge(page_id, actor=user)
        self._say(f"the bot answers {self.world.person_of(user)}: {answer.text}")
        self.agenda.append((self.world.clock.now() + RESOLVED_AFTER, "the problem is fixed; the source sends resolved",
                            self._source_resolves))

    def _source_resolves(self) -> None:
        _, dispositions, source = post(self.world, resolved(self.body, self.world.clock.now(), self._group().key))
        for d in dispositions:
            self._say(f"alert from {source} -> {d.kind}: {d.summary}")

    # --- output -------------------------------------------------------------------------------

    def _group(self) -> AlertGroup:
        with self.world.store.session() as s:
            group = s.get(AlertGroup, self.group_id)
            assert group is not None
            s.expunge(group)
            return group

    def _say(self, what: str) -> None:
        print(f"[{local(self.world.clock.now(), self.zone)}] {in_zone(what, self.zone)}", file=self.drill.out,
              flush=True)

    def _flush(self) -> None:
        w = self.world
        w.pager.flush(self.drill.out)
        for entry in w.chat.since(self.printed):
            self.printed += 1
            print(render(entry, w.person_of, w.chat.channel_label), file=self.drill.out, flush=True)

    def _summary(self) -> bool:
        out, group = self.drill.out, self._group()
        with self.world.store.session() as s:
            events = [e for e in s.exec(select(TimelineEvent).where(TimelineEvent.chain == "global")
                                        .order_by(TimelineEvent.seq)).all()
                      if e.kind.startswith("alert") and (e.data or {}).get("group") == self.group_id]
            check = verify_incident(s, None)  # the chain, and the group's pages and call-outs against it
        print(f"\nAlert group {group.id} ({group.source}, key {group.key}): {group.status}"
              + (f" by {group.resolved_by}" if group.resolved_by else ""), file=out)
        print(f"Its record on the audit chain ({len(events)} event(s)):", file=out)
        for e in events:
            print(f"  #{e.seq} {e.kind}: {in_zone(e.summary, self.zone)}", file=out)
        verdict = "verifies" if check.ok else "DOES NOT VERIFY: " + "; ".join(check.problems[:3])
        print(f"The global chain ({check.events} events) {verdict}.", file=out)
        return check.ok
