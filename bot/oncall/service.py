"""What people do about their own on-call duty from chat: record work, ask for and answer covers, schedule rest.

The chat adapter parses a request and calls one method here with the
requester's chat user id; this service resolves the person, checks they may
do it, changes the store in one unit of work (with its audit events) and
returns the reply for the requester and the messages others must get
(:class:`Message`: to whom, what, with which buttons).  It imports no chat
library and takes an injected clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from bot.audit.config_versions import decide_under
from bot.clock import Clock, ensure_utc
from bot.oncall import covers, rest_ledger, work_records
from bot.oncall.history import load_history
from bot.oncall.tables import RestDebt
from bot.oncall.team import Team, team_of
from bot.oncall.wallclock import describe_local, local_naive_to_utc
from bot.ports import Button, Notice

_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}")


class RequestRefused(ValueError):
    """The request was understood but may not be done: what was wrong and how to fix it."""


@dataclass(frozen=True)
class Message:
    """A direct message someone else must get because of the request (delivered by the adapter)."""

    to: str  # chat user id
    notice: Notice
    key: str  # stable: a replay of the request finds the same message


@dataclass(frozen=True)
class Answer:
    reply: str  # for the requester
    messages: tuple[Message, ...] = ()


def parse_instant(text: str, zone: str) -> datetime:
    """``2027-01-05T18:00`` in ``zone`` (DST policy of :mod:`bot.oncall.wallclock`), or an instant with its offset."""
    value = text.strip()
    if not _LOCAL.match(value):
        raise RequestRefused(f'expected a local date and time like "2027-01-05T18:00", got "{text}"')
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError:
        raise RequestRefused(f'expected a local date and time like "2027-01-05T18:00", got "{text}"') from None
    return local_naive_to_utc(parsed, zone, edge="start")


class OnCallService:
    def __init__(self, store, config: Callable[[], object], clock: Clock) -> None:
        self.store, self.config, self.clock = store, config, clock

    def _person(self, team: Team, chat_user: str) -> str:
        pid = next((p.id for p in team.people.values() if p.slack == chat_user), None)
        if pid is None:
            raise RequestRefused("you are not in people.yaml, so the bot has no working hours or labor rules for you; "
                                 "ask whoever keeps the on-call configuration to add you")
        return pid

    def _slack(self, team: Team, person_id: str | None) -> str | None:
        return team.people[person_id].slack if person_id in team.people else None

    # --- work done outside the bot ------------------------------------------------------------

    def record_worked(self, chat_user: str, span: str, note: str, *, key: str) -> Answer:
        """``/oncall worked 22:30-01:15 note``: the requester's own work, in their own zone."""
        config, now = self.config(), ensure_utc(self.clock.now())
        team = team_of(config)
        pid = self._person(team, chat_user)
        person = team.people[pid]
        try:
            start, end = work_records.parse_span(span, person.zone, now)
            with self.store.session() as session:
                decide_under(session, config, now)  # the chain says which rules decided
                recorded = work_records.record_work(session, team, person_id=pid, start=start, end=end, now=now,
                                                    recorded_by=pid, note=note)
                debts = [(d.id, d.hours, d.citation) for d in recorded.debts]
                rid = recorded.engagement.id
        except (work_records.WorkRecordError, ValueError) as exc:
            raise RequestRefused(str(exc)) from None
        reply = f"Recorded: {recorded.summary}."
        reply += "".join(f" {h:g} h of compensatory rest are now owed to you ({c}, rest ledger #{i})." for i, h, c in debts)
        messages = []
        manager = rest_ledger.manager_of(team, pid)
        to = self._slack(team, manager)
        if to and to != chat_user:
            lines = (recorded.summary + ".",) + tuple(f"{h:g} h of compensatory rest owed ({c}), rest ledger #{i}."
                                                       for i, h, c in debts)
            messages.append(Message(to, Notice(kind="work_recorded", title=f"{person.name} recorded work", lines=lines,
                                               metadata={"person": pid, "engagement": str(rid)}), f"{key}:manager"))
        return Answer(reply, tuple(messages))

    # --- covers and swaps ---------------------------------------------------------------------

    def propose_cover(self, chat_user: str, rotation: str, start_text: str, end_text: str, taker_user: str,
                      reason: str, *, key: str) -> Answer:
        config, now = self.config(), ensure_utc(self.clock.now())
        team = team_of(config)
        pid = self._person(team, chat_user)
        if rotation not in team.rotations:
            raise RequestRefused(f'unknown rotation "{rotation}"; rotations: {", ".join(sorted(team.rotations))}')
        taker = next((p.id for p in team.people.values() if p.slack == taker_user), None)
        if taker is None:
            raise RequestRefused("the person you named is not in people.yaml; only people with working hours and labor "
                                 "rules can take a rotation")
        zone = team.rotations[rotation].timezone
        start, end = parse_instant(start_text, zone), parse_instant(end_text, zone)
        try:
            with self.store.session() as session:
                decide_under(session, config, now)  # the chain says which rules decided
                cover = covers.propose(session, team, rotation=rotation, taker=taker, start=start, end=end,
                                       proposed_by=pid, now=now, reason=reason)
                cid, replaces = cover.id, cover.replaces
        except covers.CoverError as exc:
            raise RequestRefused(str(exc)) from None
        span = f"{describe_local(start, team.people[taker].zone)} to {describe_local(end, team.people[taker].zone)}"
        notice = Notice(kind="cover_request", title=f"{team.people[pid].name} asks you to take {rotation}",
                        lines=(f"From {span}" + (f", instead of {replaces}" if replaces else "") + ".",
                               *((f"Why: {reason}",) if reason.strip() else ()),
                               "Accepting checks your rest, leave, hours and contact rules over the whole span first."),
                        buttons=(Button("cover.accept", "Accept", f"cover:{cid}", "primary"),
                                 Button("cover.decline", "Decline", f"cover:{cid}")),
                        metadata={"cover": str(cid)})
        return Answer(f"Asked {team.people[taker].name} to take {rotation} from {span} (cover #{cid}).",
                      (Message(taker_user, notice, f"{key}:taker"),))

    def answer_cover(self, chat_user: str, cover_id: int, *, accept: bool, key: str) -> Answer:
        config, now = self.config(), ensure_utc(self.clock.now())
        team = team_of(config)
        pid = self._person(team, chat_user)
        try:
            with self.store.session() as session:
                decide_under(session, config, now)  # the chain says which rules decided
                if accept:
                    history = load_history(session, [pid], now)
                    cover, check = covers.accept(session, team, history, cover_id, by=pid, now=now)
                else:
                    cover, check = covers.decline(session, cover_id, by=pid, now=now), None
                status, proposer, rotation, replaced = cover.status, cover.proposed_by, cover.rotation, cover.replaces
                span = (cover.start, cover.end)
        except covers.CoverError as exc:
            raise RequestRefused(str(exc)) from None
        if status == "accepted":
            reply = f"Done: you hold {rotation} for cover #{cover_id}." + "".join(f" Note: {n}" for n in check.notes)
        elif status == "refused":
            reply = f"Cover #{cover_id} was not written: you may not take it.\n" + "\n".join(f"• {r}" for r in check.refusals)
        else:
            reply = f"Cover #{cover_id} {status}."
        to = self._slack(team, proposer)
        messages = ()
        if to and to != chat_user:
            lines = (reply.replace("you hold", f"{team.people[pid].name} holds").replace("you may", f"{pid} may"),)
            messages = (Message(to, Notice(kind="cover_answer", title=f"Cover #{cover_id}: {status}", lines=lines,
                                           metadata={"cover": str(cover_id)}), f"{key}:proposer"),)
        holder = self._slack(team, replaced) if replaced and status == "accepted" and replaced not in (proposer, pid) \
            else None
        if holder:  # someone else asked for it: the one who held the shift learns they no longer do
            messages += (self._replaced_notice(team, holder, cover_id, rotation, span, replaced=replaced, taker=pid,
                                               proposer=proposer, key=key),)
        return Answer(reply, messages)

    @staticmethod
    def _replaced_notice(team: Team, to: str, cover_id: int, rotation: str, span: tuple[datetime, datetime], *,
                         replaced: str, taker: str, proposer: str, key: str) -> Message:
        zone = team.people[replaced].zone
        lines = (f"{team.people[taker].name} now holds {rotation} instead of you from {describe_local(span[0], zone)} "
                 f"to {describe_local(span[1], zone)}: {team.people[proposer].name} asked for it and "
                 f"{team.people[taker].name} accepted.",
                 "You are not paged for it. If you did not agree, tell your manager: the cover is on the audit trail.")
        return Message(to, Notice(kind="cover_answer", title=f"Cover #{cover_id}: you no longer hold {rotation}",
                                  lines=lines, metadata={"cover": str(cover_id)}), f"{key}:replaced")

    # --- the rest ledger ----------------------------------------------------------------------

    def schedule_rest_now(self, chat_user: str, debt_id: int, *, key: str) -> Answer:
        """The manager (or the person) takes owed rest from now, for its hours."""
        config, now = self.config(), ensure_utc(self.clock.now())
        team = team_of(config)
        pid = self._person(team, chat_user)
        try:
            with self.store.session() as session:
                decide_under(session, config, now)  # the chain says which rules decided
                debt = session.get(RestDebt, debt_id)
                if debt is None:
                    raise rest_ledger.LedgerError(f"no owed rest #{debt_id}")
                if pid not in (debt.person_id, rest_ledger.manager_of(team, debt.person_id)):
                    raise rest_ledger.LedgerError(f"only {debt.person_id} or their manager can schedule rest #{debt_id}")
                start = max(now, ensure_utc(debt.owed_since))
                debt = rest_ledger.schedule(session, team, debt_id, start=start, end=start + timedelta(hours=debt.hours),
                                            by=pid, now=now)
                owner, end = debt.person_id, ensure_utc(debt.scheduled_end)
        except rest_ledger.LedgerError as exc:
            raise RequestRefused(str(exc)) from None
        zone = team.people[owner].zone
        reply = f"Scheduled: {owner} rests from {describe_local(start, zone)} to {describe_local(end, zone)}."
        to = self._slack(team, owner)
        messages = () if to in (None, chat_user) else (
            Message(to, Notice(kind="rest_scheduled", title="Your compensatory rest is scheduled",
                               lines=(f"From {describe_local(start, zone)} to {describe_local(end, zone)}; you will "
                                      "not be paged in it.",)), f"{key}:person"),)
        return Answer(reply, messages)
