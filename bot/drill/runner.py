"""Running a drill: declare, page, escalate, track deadlines, nudge, resolve, close, export.

Simulated time moves from one event to the next (the next due reminder or
the next scripted reaction), so days of an incident take seconds.  With
``speed`` > 0 the drill instead waits ``simulated gap / speed`` real seconds
between events (capped at 2 s per step), for a tabletop exercise that unfolds
in front of the room.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any, TextIO

from bot.clock import ensure_utc
from bot.config.loader import Config
from bot.deadlines.catalog import fact_names
from bot.drill import legal_story, statement_story
from bot.drill.alert_page_story import AlertPageStory
from bot.drill.alert_replay import load, post
from bot.drill.learning_story import LearningStory
from bot.drill.responders import Agenda, Responders
from bot.drill.rest_story import RestStory
from bot.drill.running import DrillOptions, DrillOutcome
from bot.drill.stories import Story, story_for
from bot.drill.summary import print_header, print_summary
from bot.drill.transcript import in_zone, render
from bot.drill.world import DrillWorld, build_world, earliest_pending, role_candidates
from bot.incidents.playbook import playbook_for
from bot.slack.replies import local

SYSTEMS_AFTER = timedelta(minutes=3)  # the commander names the systems the story says were hit
AWARE_AFTER = timedelta(minutes=10)  # legal confirms what starts the legal clocks 10 minutes in
MAX_SIMULATED = timedelta(days=10)
MAX_STEPS = 5000


class Drill:
    def __init__(self, config: Config, options: DrillOptions, out: TextIO) -> None:
        self.config = config
        self.options = options
        self.out = out
        self.story: Story = story_for(playbook_for(config, options.playbook))
        self.at = ensure_utc(options.at or self.story.at)
        self.world: DrillWorld = build_world(config, self.at, database_url=options.database_url)
        self.agenda = Agenda()
        self.printed = 0
        self.number = 0
        self.holders: dict[str, str] = {}
        self.alert_body: Any = None
        self.paged_group: int | None = None  # the alert group a page route paged (drill --alert)

    # --- the people -------------------------------------------------------------------

    def _slack(self, person: str) -> str:
        return self.world.slack_of(person)

    def _pick(self, role: str, *, avoid: set[str]) -> str | None:
        for person in role_candidates(self.config, role):
            if person not in avoid:
                return person
        return None

    def _first_paged(self) -> set[str]:
        pages = self.world.incidents.pages(self.number)
        return {min(pages, key=lambda p: (p.page_at or p.id, p.id)).slack_user} if pages else set()

    # --- steps ------------------------------------------------------------------------------

    def _from_alert(self) -> Any:
        self.alert_body = load(self.options.alert or "")
        result, dispositions, source = post(self.world, self.alert_body)
        zone = self.config.settings.timezone
        for d in dispositions:
            print(f"[{local(self.world.clock.now(), zone)}] alert from {source} -> {d.kind}: {in_zone(d.summary, zone)}",
                  file=self.out, flush=True)
        self.paged_group = next((d.group for d in dispositions if d.kind == "paged"), None)
        return result

    def _declare(self) -> bool:
        w, o = self.world, self.options
        if o.alert:
            result = self._from_alert()
            if result is None:
                return False
            reporter = w.person_of(result.incident.reporter)
            # the route picked the playbook: the rest of the drill follows that playbook's story
            self.story = story_for(playbook_for(self.config, result.incident.severity))
        else:
            reporter = o.reporter or self._pick("commander", avoid=set()) or sorted(w.config.all("people"))[0]
        actor = self._slack(reporter)
        self.actor = actor
        if not o.alert:
            result = w.incidents.declare(o.playbook, o.title or self.story.title, actor=actor, key="drill:declare",
                                         facts=self._facts(), description="Declared in a drill.")
        self.number = result.incident.number
        w.scheduler.run_pending()  # the outbox: channel, welcome, announcements, pages
        incident = w.incidents.get(self.number)
        taken = {reporter}
        for role in incident.roles:
            if role.user is None:
                person = self._pick(role.role, avoid=taken)
                if person:
                    taken.add(person)
                    self._deliver(w.incidents.assign_role(self.number, role.role, self._slack(person), actor=actor,
                                                          key=f"drill:role:{role.role}"))
        self.holders = {r.role: r.user for r in w.incidents.get(self.number).roles if r.user}
        if o.no_ack is not None:
            no_ack = {self._slack(p) for p in o.no_ack}
        else:
            no_ack = set() if self.story.first_paged_answers else self._first_paged()
        self.responders = Responders(
            agenda=self.agenda, no_ack=no_ack, person_of=w.person_of,
            acknowledge=self._acknowledge,
            notify=self._notify, complete_task=self._complete_task, post_status=self._post_status,
            obligation_due=self._obligation_due)
        start = w.clock.now()
        if self.story.legal_clocks and w.incidents.obligations(self.number):
            systems = legal_story.systems_in(self.config, self.story.systems)
            if systems:
                self.agenda.add(start + SYSTEMS_AFTER, "the commander names the affected systems",
                                lambda: self._name_systems(systems))
            if self.story.findings or self.story.confirms:
                self.agenda.add(start + AWARE_AFTER, "legal reviews the facts", self._review_facts)
            self.agenda.add(start + AWARE_AFTER, "legal records when we became aware", self._set_aware)
        if self.story.statement:
            self.agenda.add(start + statement_story.STATEMENT_AFTER, "the comms lead drafts a public statement",
                            lambda: statement_story.publish(self))
        self.agenda.add(start + self.story.resolve_after, "the commander resolves the incident", self._resolve)
        return True

    def _facts(self) -> dict[str, Any]:
        if self.options.facts is not None:
            return self.options.facts
        known = fact_names(self.config)  # a story names facts of the shipped catalog; an organisation's may differ
        return {name: value for name, value in self.story.facts.items() if name in known}

    def _acknowledge(self, page: int, user: str) -> None:
        """Where the page woke them: by SMS reply when its call has rung (bot/drill/pager.py), else in Slack."""
        w = self.world
        if w.pager.called(page) and w.pager.reply_ack(w.person_of(user), page):
            self._deliver(None)
            return
        self._deliver(w.incidents.acknowledge_page(page, actor=user, key=f"drill:ack:{page}"))

    def _authority(self) -> str:
        return self.holders.get("legal") or self.holders.get("comms_lead") or self.actor

    def _deliver(self, outcome: Any) -> Any:
        self.world.scheduler.run_pending()  # the operation's effects are in the outbox: send them now
        return outcome

    def _name_systems(self, systems: list[str]) -> None:
        legal_story.name_systems(self.world.incidents, self.number, systems,
                                 actor=self.holders.get("commander", self.actor), deliver=self._deliver)

    def _review_facts(self) -> None:
        legal_story.review_facts(self.world.incidents, self.config, self.number, self.story.findings,
                                 self.story.confirms, actor=self._authority(), deliver=self._deliver)

    def _set_aware(self) -> None:
        w = self.world
        aware = w.incidents.get(self.number).declared_at
        for trigger in self.story.legal_clocks:
            self._deliver(w.incidents.set_trigger(self.number, trigger, aware, actor=self._authority(),
                                                  key=f"drill:trigger:{trigger}", reason=self.story.legal_clock_reason))

    def _obligation_due(self, obligation_id: int) -> datetime | None:
        return next((o.due_at for o in self.world.incidents.obligations(self.number) if o.id == obligation_id), None)

    def _notify(self, obligation_id: int, *, closing: bool = False) -> None:
        w = self.world
        ob = next(o for o in w.incidents.obligations(self.number) if o.id == obligation_id)
        if ob.status not in ("open", "qualitative") or (ob.status == "qualitative" and not closing):
            return
        ref = f"{ob.regime.upper()}-{w.clock.now():%Y%m%d}-{obligation_id:04d}"
        self._deliver(w.incidents.mark_notified(obligation_id, actor=self._authority(), key=f"drill:notified:{ob.id}",
                                                reference=ref, submitted_at=w.clock.now(),
                                                evidence_url=f"https://evidence.example.org/{ref}"))

    def _complete_task(self, task_id: int) -> None:
        w = self.world
        task = next((t for t in w.incidents.tasks(self.number) if t.id == task_id), None)
        if task is None or task.done:
            return
        holder = self.holders.get(task.owner_role or "", self.actor)
        self._deliver(w.incidents.complete_task(task_id, actor=holder, key=f"drill:task:{task_id}"))

    def _post_status(self) -> None:
        w = self.world
        if w.incidents.get(self.number).status != "active":
            return
        now = w.clock.now()
        self._deliver(w.incidents.post_status(self.number, self.story.status_text,
                                              actor=self.holders.get("commander", self.actor),
                                              key=f"drill:status:{now.isoformat()}"))

    def _resolve(self) -> None:
        w = self.world
        self._deliver(w.incidents.resolve(self.number, actor=self.holders.get("commander", self.actor),
                                          key="drill:resolve", summary=self.story.resolve_summary))
        self.agenda.add(w.clock.now() + self.story.close_after_resolve, "the commander closes the incident",
                        self._close)

    def _close(self) -> None:
        w = self.world
        # Legal records the duties handled outside the nudges (e.g. the breach register entry, a 30-day
        # notice sent early) so that every legal duty is accounted for before the incident closes.
        for ob in w.incidents.open_obligations(self.number):
            self._notify(ob.id, closing=True)
        self._deliver(w.incidents.close(self.number, self.story.close_summary,
                                        actor=self.holders.get("commander", self.actor), key="drill:close"))

    # --- the loop --------------------------------------------------------------------------

    def _flush_transcript(self) -> None:
        self.world.pager.flush(self.out)
        for entry in self.world.chat.since(self.printed):
            self.printed += 1
            print(render(entry, self.world.person_of, self.world.chat.channel_label), file=self.out, flush=True)
            self.responders.react(entry)

    def run(self) -> DrillOutcome:
        w = self.world
        print_header(self, file=self.out)
        if not self._declare():
            return self._without_incident()
        self.rest_story = RestStory(self)
        self.rest_story.start()
        self.learning_story = LearningStory(self)
        self.learning_story.start(self.story.resolve_after)
        end = w.clock.now() + MAX_SIMULATED
        for _ in range(MAX_STEPS):
            w.scheduler.run_pending()
            self._flush_transcript()
            if w.incidents.get(self.number).status == "closed":
                break
            candidates = [t for t in (earliest_pending(w), self.agenda.next_at()) if t is not None]
            if not candidates:
                break
            step_to = max(min(candidates), w.clock.now())
            if step_to > end:
                break
            self._wait(step_to - w.clock.now())
            w.clock.set(step_to)
            for action in self.agenda.pop_due(step_to):
                action.run()
            self._flush_transcript()
        self.learning_story.finish()
        self._flush_transcript()
        return print_summary(self, file=self.out)

    def _without_incident(self) -> DrillOutcome:
        """The alert's route paged a rota without an incident (or nobody: silenced, held for maintenance)."""
        chain_ok = True
        if self.paged_group is not None:
            print("No incident: the route pages a rota. The story follows the page.", file=self.out)
            chain_ok = AlertPageStory(self, self.alert_body, self.paged_group).run()
        else:
            print("No incident was opened and nobody is paged; the disposition above says why.", file=self.out)
        return DrillOutcome(started_at=self.at, number=0, messages=len(self.world.chat.since(0)), closed=False,
                            chain_ok=chain_ok, export_markdown="")

    def _wait(self, gap: timedelta) -> None:
        if self.options.speed > 0 and gap.total_seconds() > 0:
            time.sleep(min(gap.total_seconds() / self.options.speed, 2.0))

    def close(self) -> None:
        self.world.close()


def run_drill(config: Config, options: DrillOptions, out: TextIO) -> DrillOutcome:
    drill = Drill(config, options, out)
    try:
        return drill.run()
    finally:
        drill.close()
