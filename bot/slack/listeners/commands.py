"""Slash commands ``/incident`` and ``/oncall``: parse, acknowledge, call one service, reply.

Usage errors are answered in the acknowledgement itself (parsing is pure and
instant); everything else is acknowledged first and queued
(:mod:`bot.slack.after_ack`); a form opens at once.  Domain errors are answered
ephemerally by :mod:`bot.slack.errors` (bolt's handler for the listener, the
queue's report for the queued work).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.slack import (approvals_reply, calendar_command, legal_commands, modals, oncall_requests, oncall_view,
                       operations, replies, web_command)
from bot.slack.blocks import Rendered
from bot.slack.command_parser import (LEGAL, IncidentCommand, UsageError, help_text, parse_incident, parse_oncall,
                                      unknown_severity)
from bot.slack.mrkdwn import escape
from bot.slack.services import SlackServices

log = logging.getLogger(__name__)


def register(app: App, services: SlackServices) -> None:
    def incident_command(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        if web_command.wants_web(body.get("text")):
            ack(response_type="ephemeral", text=web_command.answer(services.web_links, body.get("user_id", ""),
                                                                   body.get("text")))
            return
        try:
            command = parse_incident(body.get("text") or "", services.now())
        except UsageError as exc:
            ack(response_type="ephemeral", text=escape(str(exc)))
            return
        if command.name == "help":
            ack(response_type="ephemeral", text=escape(help_text()))
            return
        if command.name == "declare" and command.args.get("severity"):
            problem = unknown_severity(command.args["severity"], [o.id for o in services.incidents.severities()])
            if problem:  # "declare sev9 …" says so instead of opening the form as if sev9 were a title
                ack(response_type="ephemeral", text=escape(problem))
                return
        ack()
        form = form_for(services, command, body)
        if form is not None:  # a trigger_id expires 3 s after the request: the form opens now, not queued
            services.open_form(lambda: client.views_open(trigger_id=body["trigger_id"], view=form), body)
            return

        def work() -> None:
            reply = run_incident_command(services, command, body, client)
            if reply:  # read-only answers (some with buttons); changes answer through the outbox
                text, blocks = (reply.text, reply.blocks) if isinstance(reply, Rendered) else (reply, None)
                operations.answer_once(services, body, lambda: respond(text=text, blocks=blocks,
                                                                       response_type="ephemeral"))

        services.after_ack(work, body)

    def oncall_command(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        if (body.get("text") or "").strip().lower() == "test-page":  # every paging method: bot/notify/test_page.py
            ack()
            from bot.notify.test_page import answer_test_page

            def test_page() -> None:
                text = answer_test_page(services.incidents.ctx.store, services.config(), body.get("user_id", ""),
                                        key=operations.command_key(body), at=services.now())
                respond(text=escape(text), response_type="ephemeral")

            services.after_ack(test_page, body)
            return
        if oncall_requests.is_request(body.get("text") or ""):  # worked / cover: bot/slack/oncall_requests.py
            oncall_requests.handle_command(services, ack, body, respond)
            return
        if web_command.wants_web(body.get("text")):
            ack(response_type="ephemeral", text=web_command.answer(services.web_links, body.get("user_id", ""),
                                                                   body.get("text")))
            return
        if calendar_command.wants_calendar(body.get("text")):
            ack(response_type="ephemeral", text=calendar_command.answer(services.web_links, services.config,
                                                                        body.get("user_id", ""), body.get("text")))
            return
        try:
            rota = parse_oncall(body.get("text") or "")
        except UsageError as exc:
            ack(response_type="ephemeral", text=escape(str(exc)))
            return
        ack()

        def describe() -> None:
            zone = services.reader_zone(body.get("user_id", ""))
            options = services.incidents.severities()
            severity = options[0].id if options else None  # skip reasons as for the most urgent page
            respond(text=oncall_view.describe(oncall_requests.config_with_covers(services), rota, services.now(),
                                              zone, severity),
                    response_type="ephemeral")

        services.after_ack(describe, body)

    def declare_shortcut(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        services.open_form(lambda: client.views_open(trigger_id=body["trigger_id"], view=modals.declare_modal(
            services.incidents.severities(), systems=services.incidents.systems())), body)

    app.command("/incident")(incident_command)
    app.command("/oncall")(oncall_command)
    app.shortcut("declare_incident")(declare_shortcut)


def _severity_and_title(services: SlackServices, command: IncidentCommand) -> tuple[str, str]:
    severity, title = command.args.get("severity", ""), command.args.get("title", "")
    if severity not in {o.id for o in services.incidents.severities()}:
        # "/incident declare db is down": the first word is part of the title
        title, severity = " ".join(w for w in (severity, title) if w), ""
    return severity, title


def form_for(services: SlackServices, command: IncidentCommand, body: dict[str, Any]) -> dict[str, Any] | None:
    """The form ``command`` asks for, else None: the declare form for a declaration without a severity or
    a title, the follow-up form for a bare ``/incident followup``."""
    if command.name == "followup" and command.args.get("action") == "form":
        from bot.slack.followup_form import followup_view

        user, channel = body.get("user_id", ""), body.get("channel_id")
        return followup_view(operations.incident_for(services, command.incident, channel, reader=user).number)
    if command.name != "declare":
        return None
    severity, title = _severity_and_title(services, command)
    if severity and title:
        return None
    return modals.declare_modal(services.incidents.severities(), title=title, severity=severity,
                                channel=body.get("channel_id") or "", systems=services.incidents.systems())


def run_incident_command(services: SlackServices, command: IncidentCommand, body: dict[str, Any],
                         client: WebClient) -> str | Rendered | None:
    user, channel = body.get("user_id", ""), body.get("channel_id")
    key = operations.command_key(body)
    args = command.args
    if command.name == "declare":
        severity, title = _severity_and_title(services, command)
        return operations.declare(services, body, severity=severity, title=title, actor=user, key=key)
    incidents = operations.service_for(services, body)
    incident = operations.incident_for(services, command.incident, channel, reader=user)
    number = incident.number
    if command.name == "timeline":
        return replies.timeline(incident, incidents.timeline(number, reader=user), services.reader_zone(user),
                                everything=bool(args.get("all")))
    if command.name == "deadlines":
        return replies.deadlines(incident, incidents.obligations(number, reader=user), services.reader_zone(user),
                                services.now())
    if command.name == "approvals":
        return approvals_reply.approvals(incident, incidents.approvals_to_decide(number, reader=user),
                                         services.reader_zone(user))
    if command.name == "sev":
        outcome = incidents.change_severity(number, args["severity"], actor=user, key=key, reason=args["reason"])
    elif command.name == "role":
        outcome = incidents.assign_role(number, args["role"], args["user"], actor=user, key=key)
    elif command.name == "status":
        outcome = incidents.post_status(number, args["text"], actor=user, key=key)
    elif command.name == "statement":
        outcome = incidents.draft_statement(number, args["status"], args["text"], actor=user, key=key)
    elif command.name == "fact":
        outcome = incidents.set_fact(number, args["name"], args["value"], actor=user, key=key,
                                     reason=args.get("reason", ""))
    elif command.name == "trigger":
        outcome = incidents.set_trigger(number, args["name"], command.at, actor=user, key=key)  # type: ignore[arg-type]
    elif command.name == "notified":
        obligation_id = _obligation_id(services, number, args["obligation"], user)
        outcome = incidents.mark_notified(obligation_id, actor=user, key=key, reference=args["reference"],
                                          submitted_at=services.now(), incident=number)
    elif command.name == "channel":
        outcome = incidents.attach_channel(number, args["channel"], args["name"], actor=user, key=key)
    elif command.name in LEGAL:
        outcome = legal_commands.run(incidents, command, number, user, key,
                                     lambda n, given, sub: _obligation_id(services, n, given, user, sub))
    elif command.name == "resolve":
        outcome = incidents.resolve(number, actor=user, key=key, summary=args.get("summary", ""))
    elif command.name == "close":
        outcome = incidents.close(number, args["summary"], actor=user, key=key)
    elif command.name in ("mitigated", "milestone", "followup", "review"):
        from bot.slack.learning_commands import run

        run(services, command.name, args, number, body)
        return None
    else:  # parse_incident only returns known names
        raise UsageError(f'Unknown subcommand "{command.name}".\n' + help_text())
    return operations.finish(services, outcome)


def _obligation_id(services: SlackServices, number: int, given: str, reader: str,
                   subcommand: str = "notified") -> int:
    """A number as given (the service refuses one of another incident), or the id of the incident's one
    open obligation of that name."""
    ref = given.lstrip("#")
    if ref.isdigit():
        return int(ref)
    obligations = services.incidents.open_obligations(number, reader=reader)
    matches = [o.id for o in obligations if o.obligation == ref.lower()]
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(f"{o.obligation} (#{o.id})" for o in obligations) or "none"
    raise UsageError(f'No single open obligation "{given}" on this incident. Open obligations: {names}.', subcommand)
