"""What the lifecycle says in chat, as :class:`bot.ports.Notice` objects (plain text; the adapter escapes).

Private incidents never leak details beyond their own channel: announcements
and notifications to channels and user groups carry only the number and
severity (``redacted=True``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from typing import Any, Callable

from bot.incidents.playbook import PlaybookFile
from bot.incidents.views import IncidentView, ObligationView, Post, TaskView
from bot.ports import INCIDENT_CHANNEL, Button, Notice

Names = Callable[[str], str]  # Slack user id -> display name
MAX_CHANNEL = 80
MAX_TOPIC = 250
MAX_DUTY_LINES = 10


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9]+", "-", ascii_text.lower())).strip("-")


def channel_name(pb: PlaybookFile, *, prefix: str, number: int, title: str, day: str) -> str:
    """Fill the playbook's template; lowercase ``[a-z0-9-_]``, at most 80 characters (the slug is cut first)."""
    values = {"prefix": slug(prefix) or "inc", "number": str(number), "severity": slug(pb.id), "date": day, "slug": ""}
    skeleton = _clean(pb.channel.name.format(**values))
    room = max(0, MAX_CHANNEL - len(skeleton))
    values["slug"] = slug(title)[:room].strip("-")
    name = _clean(pb.channel.name.format(**values))
    return name[:MAX_CHANNEL].strip("-_") or f"inc-{number}"


def _clean(name: str) -> str:
    name = re.sub(r"[^a-z0-9_\-]+", "-", name.lower())
    return re.sub(r"-{2,}", "-", name).strip("-_")


def _who(name: Names, user: str | None, empty: str = "unassigned") -> str:
    return name(user) if user else empty


def topic(pb: PlaybookFile, view: IncidentView, name: Names = str) -> str:
    text = pb.channel.topic.format(label=view.label, title=view.title, severity=view.severity,
                                   severity_name=view.severity_name, commander=_who(name, view.holder("commander")),
                                   status=view.status)
    return text if len(text) <= MAX_TOPIC else text[:MAX_TOPIC - 1] + "…"


def _meta(view: IncidentView) -> dict[str, str]:
    return {"incident": str(view.number)}


def welcome(pb: PlaybookFile, view: IncidentView, name: Names = str) -> Notice:
    lines = [f"Severity: {pb.name}", *(f"Criteria: {c}" for c in pb.criteria[:3])]
    if view.description:
        lines.append(view.description)
    if view.private:
        lines.append("This is a private incident: keep details in this channel.")
    lines.append(f"Status updates are due every {int(pb.cadence.total_seconds() // 60)} minutes "
                 f"(owner: {pb.status_updates.owner.replace('_', ' ')}).")
    return Notice(kind="incident_welcome", title=f"{view.label}: {view.title}", lines=tuple(lines),
                  fields=(("Reporter", name(view.reporter)), ("Commander", _who(name, view.holder("commander")))),
                  mention_users=(view.reporter,), metadata=_meta(view))


def roles(pb: PlaybookFile, view: IncidentView, deputies: dict[str, list[str]], name: Names = str) -> Notice:
    lines = []
    for role in view.roles:
        holder = _who(name, role.user, "unfilled")
        backup = deputies.get(role.role) or []
        lines.append(f"{role.title}: {holder}" + (f" (deputies: {', '.join(backup)})" if backup else ""))
    open_required = [r.title for r in pb.roles if r.required and not view.holder(r.id)]
    if open_required:
        lines.append("Needed now: " + ", ".join(open_required) + " (use /incident role <role> @person)")
    def title(role_id: str) -> str:
        spec = pb.role(role_id)
        return spec.title if spec else role_id.replace("_", " ")

    lines.append(f"External communication is owned by the {title(pb.communications.external_owner)} "
                 "(public statements: /incident statement <status> <text>).")
    if pb.communications.authority_owner:
        lines.append(f"Notifications to authorities are owned by the {title(pb.communications.authority_owner)}.")
    if pb.communications.approval_needed_from:
        lines.append("External statements need sign-off from: "
                     + ", ".join(title(r) for r in pb.communications.approval_needed_from) + ".")
    holders = tuple(sorted({r.user for r in view.roles if r.user}))
    return Notice(kind="incident_roles", title="Roles", lines=tuple(lines), mention_users=holders, metadata=_meta(view))


def checklist(view: IncidentView, tasks: list[TaskView], phase: str = "declared") -> Notice:
    todo = [t for t in tasks if t.phase == phase]
    lines = tuple(f"{'[x]' if t.done else '[ ]'} {t.title} ({(t.owner_role or 'anyone').replace('_', ' ')})" for t in todo)
    buttons = tuple(Button("task.complete", f"Done: {t.title}", f"task:{t.id}") for t in todo if not t.done)[:20]
    return Notice(kind="checklist", title=f"Checklist ({phase})", lines=lines, buttons=buttons, metadata=_meta(view))


def duty_tally(rows: list[Any]) -> str:
    """How far the duty list has shrunk, from stored obligation rows (status, missing_facts, reason):
    "12 duties apply (3 on derived facts, to be confirmed), 40 assumed until facts are known, 51 do not apply".

    A duty whose facts are unknown is *assumed* (it may apply); one whose regime is not in force yet is
    informational and counted apart, never as a duty that applies."""
    live = [r for r in rows if r.status not in ("not_applicable", "informational")]
    assumed = [r for r in live if r.missing_facts]
    derived = [r for r in live if not r.missing_facts and "derived, not confirmed" in (r.reason or "")]
    applies = len(live) - len(assumed)
    off = sum(1 for r in rows if r.status == "not_applicable")
    later = sum(1 for r in rows if r.status == "informational")
    return (f"{applies} {'duty applies' if applies == 1 else 'duties apply'}"
            + (f" ({len(derived)} on derived facts, to be confirmed)" if derived else "")
            + f", {len(assumed)} assumed until facts are known, {off} do not apply"
            + (f", {later} informational (not in force)" if later else ""))


def regulations(pb: PlaybookFile, view: IncidentView, obligations: list[ObligationView],
                fact_questions: dict[str, str], tally: str = "") -> Notice:
    lines = [f"Regimes to consider: {', '.join(view.regimes) or 'none'}"]
    if tally:
        lines.append(f"Legal duties now: {tally}.")
    missing = [f for f in pb.regulations.ask_facts if f not in view.facts]
    for fact in missing:
        question = fact_questions.get(fact) or fact.replace("_", " ")
        lines.append(f"Fact needed: {fact} - {question} (/incident fact {fact} <value>)")
    dated = sorted((o for o in obligations if o.due_at is not None and o.status == "open"), key=lambda o: o.due_at)
    for ob in dated[:MAX_DUTY_LINES]:
        lines.append(f"{ob.obligation} to {ob.recipient}: due {ob.due_at.strftime('%Y-%m-%d %H:%M UTC')}"
                     + (" (estimated)" if ob.estimated else ""))
    undated = [o for o in obligations if o.due_at is None and o.status in ("open", "qualitative")]
    if undated or len(dated) > MAX_DUTY_LINES:
        regimes_left = sorted({o.regime for o in undated})
        lines.append(f"{len(undated) + max(0, len(dated) - MAX_DUTY_LINES)} duties still to assess"
                     + (f" ({', '.join(regimes_left)})" if regimes_left else "") + ": see /incident deadlines")
    if not view.triggers:
        lines.append("No legal clock started yet: record when you became aware (/incident trigger aware <time>).")
    return Notice(kind="incident_obligations", title="Notification duties", lines=tuple(lines),
                  footer="Deadlines are computed from reviewable data; this is not legal advice.", metadata=_meta(view))


def announcement(pb: PlaybookFile, view: IncidentView, *, headline: str, redacted: bool,
                 link_channel: bool = False, extra: str = "", name: Names = str) -> Notice:
    """A feed or notification message; ``redacted`` keeps only number, severity and status.  The severity
    is named once: a headline like "escalated to SEV1 Critical" names it already."""
    about = [] if pb.name in headline else [pb.name]
    if redacted:
        about.append("private incident")
        return Notice(kind="announcement", title=f"{view.label} {headline} ({', '.join(about)})",
                      lines=("Details are restricted to the response team.",), metadata=_meta(view))
    lines = [view.title]
    if link_channel:
        lines.append(f"Channel: {INCIDENT_CHANNEL}")
    if extra:
        lines.append(extra)
    return Notice(kind="announcement", title=f"{view.label} {headline}" + (f" ({about[0]})" if about else ""),
                  lines=tuple(lines),
                  fields=(("Commander", _who(name, view.holder("commander"))), ("Status", view.status)),
                  metadata=_meta(view))


def notifications(pb: PlaybookFile, view: IncidentView, moment: str, *, headline: str, key: str,
                  slack_user_of: Any, start: int = 0, name: Names = str) -> list[Post]:
    """Posts for the playbook's internal notifications that fire at ``moment``."""
    posts: list[Post] = []
    for spec in pb.notifications:
        if moment not in spec.when and not (moment in ("escalated", "downgraded") and "severity_changed" in spec.when):
            continue
        redacted_notice = announcement(pb, view, headline=headline, redacted=view.private, link_channel=True,
                                       extra=spec.message, name=name)
        full_notice = announcement(pb, view, headline=headline, redacted=False, link_channel=True,
                                   extra=spec.message, name=name)
        for channel in spec.channels:
            posts.append(Post("channel", channel, redacted_notice, f"{key}:post:{start + len(posts)}"))
        for group in spec.user_groups:
            posts.append(Post("user_group", group, redacted_notice, f"{key}:post:{start + len(posts)}"))
        for person in spec.people:  # named people chosen by the playbook author get the details
            user = slack_user_of(person)
            if user:
                posts.append(Post("user", user, full_notice, f"{key}:post:{start + len(posts)}"))
    return posts


def address_groups(posts: list[Post], feed_channel: str) -> list[Post]:
    """User groups are told in the feed channel. When the feed already gets the announcement of the same
    moment, name the groups on it instead of posting the same announcement a second time."""
    groups = [p for p in posts if p.target == "user_group"]
    feed = next((i for i, p in enumerate(posts) if p.target == "channel" and p.to.lstrip("#") == feed_channel.lstrip("#")),
                None)
    if not groups or feed is None:
        return posts
    handles = tuple(dict.fromkeys(g.to.lstrip("@") for g in groups))
    merged = posts[feed]
    notice = replace(merged.notice, mention_groups=merged.notice.mention_groups + handles)
    out = [p for p in posts if p.target != "user_group"]
    out[out.index(merged)] = replace(merged, notice=notice)
    return out


def in_channel(view: IncidentView, kind: str, title: str, *lines: str, buttons: tuple[Button, ...] = (),
               footer: str = "", mention: tuple[str, ...] = ()) -> Notice:
    return Notice(kind=kind, title=title, lines=tuple(x for x in lines if x), buttons=buttons, footer=footer,
                  mention_users=mention, metadata=_meta(view))


def legal_clocks(view: IncidentView, obligations: tuple[ObligationView, ...], *, zone: str, why: str) -> Notice | None:
    """The deadlines a trigger or fact change set or moved, for everyone in the channel (None if none)."""
    from zoneinfo import ZoneInfo

    dated = sorted((o for o in obligations if o.status == "open" and o.due_at is not None), key=lambda o: o.due_at)
    if not dated:
        return None
    lines = tuple(
        f"{o.obligation} to {o.recipient}: due {o.due_at.astimezone(ZoneInfo(zone)):%a %d %b %H:%M %Z} "
        f"({o.due_at:%Y-%m-%d %H:%M} UTC)" + (" (estimated until the previous stage is submitted)" if o.estimated else "")
        for o in dated[:MAX_DUTY_LINES])
    return Notice(kind="legal_clocks", title=f"{view.label}: legal deadlines {why}", lines=lines,
                  footer="Computed from reviewable data with citations (/incident deadlines); not legal advice.",
                  metadata=_meta(view))


def paging(view: IncidentView, pages: list[Any], plans: list[dict[str, Any]], name: Names = str) -> Notice | None:
    """Who was paged, who may not be paged and why (rule and citation); a nobody-eligible plan says so loudly."""
    warnings = [w for plan in plans for w in plan.get("warnings", [])]
    paged = {page.person_id for page in pages}  # e.g. the fallback, paged although a rule advises against it
    skipped = {(s["person"], s["reason"]) for plan in plans for s in plan.get("skipped", []) if s["person"] not in paged}
    if not pages and not skipped and not warnings:
        return None
    lines = [f"WARNING: {w}" for w in dict.fromkeys(warnings)]
    for page in pages:
        when = f", held until {page.page_at:%Y-%m-%d %H:%M} UTC (outside working hours)" if page.status == "held" else ""
        under = f", under the {page.exception_id} exception" if page.exception_id else ""
        lines.append(f"Paged: {name(page.slack_user)} ({page.role.replace('_', ' ')}, level {page.level}{under}){when}")
    lines += [f"Not paged: {person}: {reason.removeprefix('skipped: ')}" for person, reason in sorted(skipped)]
    title = "Paging: nobody eligible, the fallback was paged" if any("NOBODY ELIGIBLE" in w for w in warnings) \
        else "Paging"
    return Notice(kind="paging", title=title, lines=tuple(lines), metadata=_meta(view))
