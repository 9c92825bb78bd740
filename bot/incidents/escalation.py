"""Changing an incident's severity.

Moving to a playbook with a lower rank number is an escalation: the new
playbook's extra page targets are paged.  In both directions the incident
gains what the new playbook adds (roles, checklist tasks, regimes) and keeps
what it had: regimes only ever grow, so obligations already started are
never cancelled by a downgrade (the tracker never deletes them either).
"""

from __future__ import annotations

from sqlmodel import Session

from bot.audit.trail import append_event
from bot.incidents import collaborators, messages
from bot.incidents.context import Context
from bot.incidents.declare import add_checklist, playbook_named
from bot.incidents.errors import Conflict
from bot.incidents.finish import conclude, with_notifications
from bot.incidents.idempotency import run_once
from bot.incidents.permissions import authorize
from bot.incidents.records import label, load, obligation_views, page_view, playbook_of, require_active, subject, task_view
from bot.incidents.views import Outcome, Post


def change_severity(ctx: Context, number: int, severity: str, *, actor: str, key: str, reason: str) -> Outcome:
    def work(session: Session) -> Outcome:
        config, at = ctx.config(), ctx.now()
        incident = load(session, number)
        authorize(config, "change_severity", actor, subject(session, incident, ctx.members))
        require_active(incident, "change the severity")
        old, new = playbook_of(config, incident), playbook_named(config, severity)
        if new.id == incident.severity:
            raise Conflict(f"{label(number)} is already {new.name}")
        direction = "escalated" if new.rank < old.rank else "downgraded" if new.rank > old.rank else "severity_changed"
        before = {"severity": old.id, "private": incident.private, "regimes": list(incident.regimes)}
        incident.severity = incident.playbook = new.id
        incident.private = incident.private or new.channel.private
        incident.regimes = list(dict.fromkeys([*incident.regimes, *new.regulations.consider]))
        new_targets = [p for p in new.paging if p.target not in incident.paged_targets] if direction == "escalated" else []
        incident.paged_targets = [*incident.paged_targets, *(p.target for p in new_targets)]
        append_event(session, incident_id=incident.id, actor=actor, kind="incident.severity_changed", at=at,
                     summary=f"{direction.replace('_', ' ')} from {old.name} to {new.name}" + (f": {reason}" if reason else ""),
                     data={"before": before, "after": {"severity": new.id, "private": incident.private,
                                                       "regimes": list(incident.regimes)},
                           "direction": direction, "reason": reason})
        tasks = add_checklist(session, incident, new, at=at)
        if tasks:
            append_event(session, incident_id=incident.id, actor=actor, kind="checklist.extended", at=at,
                         summary=f"{len(tasks)} task(s) added by playbook {new.id}", data={"tasks": [t.task for t in tasks]})
        pages = collaborators.page_targets(session, config, incident, new_targets, actor=actor, at=at)
        obligations = collaborators.recompute(session, config, incident, actor=actor,
                                              why=f"{direction.replace('_', ' ')} to {new.id}", at=at)
        outcome = conclude(session, config, incident, at)
        view = outcome.incident
        who = collaborators.namer(config)
        headline = f"{direction.replace('_', ' ')} to {new.name}"
        lines = [f"From {old.name} to {new.name}." + (f" Reason: {reason}" if reason else "")]
        if new_targets:
            lines.append("Paging: " + ", ".join(p.target for p in new_targets))
        if set(view.regimes) - set(before["regimes"]):
            lines.append("Now also considering: " + ", ".join(sorted(set(view.regimes) - set(before["regimes"]))))
        if new.channel.private and not before["private"] and incident.channel_id:
            lines.append("The new severity calls for a private channel but this one is public: "
                         "move sensitive details to a private channel.")
        posts = [Post("incident_channel", "", messages.in_channel(view, "severity_change", f"{view.label} {headline}",
                                                                  *lines), f"{key}:post:0"),
                 Post("channel", config.settings.incidents_channel,
                      messages.announcement(new, view, headline=headline, redacted=view.private, name=who,
                                            link_channel=True), f"{key}:post:1")]
        posts = with_notifications(config, new, view, posts, direction, headline=headline, key=key, name=who)
        return Outcome(incident=view, posts=tuple(posts), pages=tuple(page_view(p) for p in pages),
                       obligations=obligation_views(session, obligations),
                       tasks=tuple(task_view(t) for t in tasks), message=f"{view.label} {headline}")

    return run_once(ctx, key, "change_severity", Outcome, work)
