"""Declaring an incident, and recording what the adapter did with its channel."""

from __future__ import annotations

import re
from typing import Any, Callable

from sqlmodel import Session

from bot.audit.trail import append_event
from bot.incidents import collaborators, messages
from bot.incidents.context import Context
from bot.incidents.affected import check_systems, derived_from, systems_notice
from bot.incidents.errors import Conflict, InvalidRequest
from bot.incidents.facts import normalise_facts
from bot.incidents.finish import conclude, with_notifications
from bot.incidents.idempotency import run_once
from bot.incidents.permissions import Subject, authorize
from bot.incidents.playbook import PlaybookFile, playbook_for, playbooks
from bot.incidents.records import (incident_view, label, load, load_by_id, next_number, obligation_views,
                                   page_view, subject, task_view, tasks_of)
from bot.incidents.tables import ChecklistTask, Incident, RoleAssignment
from bot.incidents.views import Bookmark, ChannelPlan, DeclareResult, Outcome, Post

MAX_TITLE = 500
MAX_DESCRIPTION = 4000
# Unicode bidirectional controls (UAX #9: LRM, RLM, ALM, the embeddings, overrides and isolates). A
# right-to-left override in a title reverses how it, and what follows it in a message, is displayed.
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def playbook_named(config: Any, severity: str) -> PlaybookFile:
    """The playbook for ``severity`` or :class:`InvalidRequest` listing the configured ones."""
    pb = playbook_for(config, severity)
    if pb is None:
        known = ", ".join(sorted(playbooks(config), key=lambda k: (playbooks(config)[k].rank, k))) or "none configured"
        raise InvalidRequest(f'unknown severity "{severity}"; choose one of: {known}')
    return pb


def _text(value: str, what: str, limit: int, *, required: bool) -> str:
    value = BIDI_CONTROLS.sub("", value or "").strip()
    if required and not value:
        raise InvalidRequest(f"expected a {what}, got nothing; describe the problem in a few words")
    if len(value) > limit:
        raise InvalidRequest(f"expected a {what} of at most {limit} characters, got {len(value)}")
    return value


def add_checklist(session: Session, incident: Incident, pb: PlaybookFile, *, at: Any) -> list[ChecklistTask]:
    """Create the playbook's checklist rows the incident does not have yet."""
    have = {t.task for t in tasks_of(session, incident.id)}
    rows = []
    for spec in pb.checklist:
        if spec.id in have:
            continue
        minutes = int(spec.nudge_after.total_seconds() // 60) if spec.nudge_after else None
        rows.append(ChecklistTask(incident_id=incident.id, task=spec.id, title=spec.title, owner_role=spec.owner,
                                  phase=spec.phase, nudge_after_minutes=minutes, created_at=at,
                                  done_when=spec.done_when.model_dump(exclude_none=True) if spec.done_when else None))
    session.add_all(rows)
    session.flush()
    return rows


def declare(ctx: Context, severity: str, title: str, *, actor: str, key: str, reporter: str, description: str,
            facts: dict[str, Any], private: bool | None, systems: list[str] | None = None,
            also: Callable[[Session, Incident], None] | None = None) -> DeclareResult:
    """``also(session, incident)``: more of the same change, in the declaration's unit of work (an alert group
    handed to the incident), so that the two happen together or not at all."""
    config = ctx.config()
    authorize(config, "declare", actor, Subject())
    pb = playbook_named(config, severity)
    title = _text(title, "title", MAX_TITLE, required=True)
    description = _text(description, "description", MAX_DESCRIPTION, required=False)
    clean_facts = normalise_facts(config, facts)
    affected_ids = check_systems(config, systems) if systems else []

    def work(session: Session) -> DeclareResult:
        at = ctx.now()
        incident = Incident(number=next_number(session), title=title, description=description, severity=pb.id,
                            playbook=pb.id, private=bool(pb.channel.private or private), reporter=reporter,
                            declared_at=at, facts=clean_facts, triggers={}, regimes=list(pb.regulations.consider),
                            paged_targets=[p.target for p in pb.paging], systems=affected_ids,
                            derived_facts=derived_from(config, affected_ids))
        session.add(incident)
        session.flush()
        append_event(session, incident_id=incident.id, actor=actor, kind="incident.declared", at=at,
                     summary=f"{label(incident.number)} declared as {pb.name}: {title}",
                     data={"before": None, "after": {"severity": pb.id, "title": title, "description": description,
                                                     "reporter": reporter, "private": incident.private,
                                                     "facts": clean_facts, "systems": affected_ids,
                                                     "derived": incident.derived_facts}})
        for spec in pb.roles:
            if spec.initial == "reporter":
                session.add(RoleAssignment(incident_id=incident.id, role=spec.id, user=reporter, assigned_at=at,
                                           assigned_by=actor, how="initial"))
                append_event(session, incident_id=incident.id, actor=actor, kind="role.assigned", at=at,
                             summary=f"{reporter} holds {spec.title} until someone is assigned",
                             data={"role": spec.id, "before": None, "after": reporter, "how": "initial"})
        tasks = add_checklist(session, incident, pb, at=at)
        if tasks:
            append_event(session, incident_id=incident.id, actor=actor, kind="checklist.created", at=at,
                         summary=f"{len(tasks)} checklist task(s) from playbook {pb.id}",
                         data={"tasks": [t.task for t in tasks]})
        pages = collaborators.page_targets(session, config, incident, list(pb.paging), actor=actor, at=at)
        obligations = collaborators.recompute(session, config, incident, actor=actor,
                                              why=f"declared as {pb.id}", at=at)
        if also is not None:
            also(session, incident)
        outcome = conclude(session, config, incident, at)
        return _result(session, config, pb, incident, outcome, key=key, tasks=tasks, pages=pages,
                       obligations=obligations, at=at)

    return run_once(ctx, key, "declare", DeclareResult, work)


def _skips(session: Session, incident_id: int) -> list[dict[str, Any]]:
    """The page plans' skips and warnings recorded on the timeline during this declaration."""
    from bot.audit.trail import events

    return [e.data for e in events(session, incident_id) if e.kind == "page.skipped"]


def _result(session: Session, config: Any, pb: PlaybookFile, incident: Incident, outcome: Outcome, *, key: str,
            tasks: list[ChecklistTask], pages: list[Any], obligations: list[Any], at: Any) -> DeclareResult:
    view = outcome.incident
    settings = config.settings
    name = messages.channel_name(pb, prefix=settings.channel_prefix, number=incident.number, title=incident.title,
                                 day=at.strftime("%Y%m%d"))
    ob_views = list(obligation_views(session, obligations))
    task_views = [task_view(t) for t in tasks]
    deputies = {r.id: [collaborators.person_name(config, p) for p in collaborators.role_deputies(config, r.id)
                       if collaborators.slack_user_of(config, p) != view.holder(r.id)]  # the holder is no deputy
                for r in pb.roles}
    who = collaborators.namer(config)
    welcome = [messages.welcome(pb, view, who), messages.roles(pb, view, deputies, who)]
    paging = messages.paging(view, pages, _skips(session, incident.id), who)
    if paging is not None:
        welcome.append(paging)
    if task_views:
        welcome.append(messages.checklist(view, task_views))
    if view.regimes:
        tally = "" if view.systems else messages.duty_tally(collaborators.obligations_of(session, incident.id))
        welcome.append(messages.regulations(pb, view, ob_views, collaborators.fact_catalog(config), tally))
    if view.systems:
        welcome.append(systems_notice(session, config, view))
    invite = [incident.reporter] + [r.user for r in view.roles if r.user and r.user != incident.reporter]
    unknown: list[str] = []
    if incident.private:  # nobody can find a private channel: the people the playbook names are invited
        for person in dict.fromkeys(p for note in pb.notifications for p in note.people):
            user = collaborators.slack_user_of(config, person)
            if user:
                invite.append(user)
            else:
                unknown.append(person)
    channel = ChannelPlan(name=name, private=incident.private, topic=messages.topic(pb, view, who),
                          invite=tuple(dict.fromkeys(invite)), welcome=tuple(welcome),
                          bookmarks=tuple(Bookmark(b.title, b.url) for b in pb.channel.bookmarks),
                          not_invitable=tuple(unknown))
    feed = messages.announcement(pb, view, headline="declared", redacted=incident.private, link_channel=True, name=who)
    posts = with_notifications(config, pb, view, [Post("channel", settings.incidents_channel, feed, f"{key}:post:0")],
                               "declared", headline="declared", key=key, name=who)
    return DeclareResult(incident=view, channel=channel, announcements=tuple(posts),
                         pages=tuple(page_view(p) for p in pages), obligations=tuple(ob_views),
                         tasks=tuple(task_views))


def channel_recorded(session: Session, config: Any, incident_id: int, channel_id: str, name: str, *, actor: str,
                     at: Any, how: str = "created") -> Outcome:
    """The incident's channel exists (created by the outbox, or attached by hand): record it, and let
    everything that waited for a channel go (same unit of work)."""
    incident = load_by_id(session, incident_id)
    if incident.channel_id and incident.channel_id != channel_id:
        append_event(session, incident_id=incident.id, actor=actor, kind="channel.unused", at=at,
                     summary=f"channel #{name} was {how}, but {label(incident.number)} already uses "
                             f"#{incident.channel_name}; archive #{name}",
                     data={"id": channel_id, "name": name, "kept": incident.channel_id})
        return conclude(session, config, incident, at, message=f"{label(incident.number)} keeps #{incident.channel_name}")
    before = {"id": incident.channel_id, "name": incident.channel_name}
    incident.channel_id, incident.channel_name = channel_id, name[:80]
    append_event(session, incident_id=incident.id, actor=actor, kind="channel.recorded", at=at,
                 summary=f"channel #{name} {how}", data={"before": before, "after": {"id": channel_id, "name": name}})
    collaborators.wake_effects(session, incident.id, at)
    return conclude(session, config, incident, at, message=f"{label(incident.number)} uses #{name}")


def record_channel(ctx: Context, incident_id: int, channel_id: str, name: str, *, key: str, actor: str) -> Outcome:
    if not channel_id or not name:
        raise InvalidRequest("expected the created channel's id and name, got an empty value")

    def work(session: Session) -> Outcome:
        return channel_recorded(session, ctx.config(), incident_id, channel_id, name, actor=actor, at=ctx.now())

    return run_once(ctx, key, "record_channel", Outcome, work)


def attach_channel(ctx: Context, number: int, channel_id: str, name: str, *, actor: str, key: str) -> Outcome:
    """Use a channel made by hand (the bot could not create one): everything that waited for a channel is
    delivered there, starting with the invitations and the welcome."""
    if not channel_id:
        raise InvalidRequest('expected a channel like #inc-4-db-down (pick it from the list as you type "#"), '
                             "got nothing")

    def work(session: Session) -> Outcome:
        config, at = ctx.config(), ctx.now()
        incident = load(session, number)
        authorize(config, "attach_channel", actor, subject(session, incident))
        if incident.channel_id == channel_id:
            raise Conflict(f"{label(number)} already uses #{incident.channel_name}")
        if incident.channel_id:
            raise Conflict(f"{label(number)} already has its channel #{incident.channel_name}; "
                           "the bot attaches a channel only when it could not create one")
        return channel_recorded(session, config, incident.id, channel_id, name or channel_id, actor=actor, at=at,
                                how=f"attached by {actor}")

    return run_once(ctx, key, "attach_channel", Outcome, work)


def record_side_effect_failure(ctx: Context, incident_id: int, step: str, error: str, *, actor: str,
                               key: str | None) -> Outcome:
    def work(session: Session) -> Outcome:
        config, at = ctx.config(), ctx.now()
        incident = load_by_id(session, incident_id)
        append_event(session, incident_id=incident.id, actor=actor, kind="side_effect.failed", at=at,
                     summary=f"{step} failed: {error[:500]}", data={"step": step, "error": error[:2000]})
        session.add(incident)
        session.flush()
        return Outcome(incident=incident_view(session, config, incident), message=f"{step} failure recorded")

    if key is None:
        with ctx.store.session() as session:
            return work(session)
    return run_once(ctx, key, "record_side_effect_failure", Outcome, work)
