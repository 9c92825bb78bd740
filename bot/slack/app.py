"""Building the bolt ``App``: one sync app, listeners registered per surface, one error handler.

The app runs with ``process_before_response=True``: each listener runs on the
request's thread, validates, acknowledges and hands what the request asks to
the queue (:mod:`bot.slack.after_ack`), so bolt answers as soon as the listener
returns. Without a queue (tests, in-process tools) the work runs inline.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient

from bot.slack import errors, exception_form, followup_form, oncall_requests
from bot.slack.log_privacy import bolt_logger
from bot.slack.listeners import actions, commands, events, home, views
from bot.slack.services import SlackServices

SLASH_COMMANDS = ("/incident", "/oncall")
ACTIONS = ("page.ack", "page.decline", "alert.ack", "alert.resolve", "alert.escalate", "alert.declare",
           "obligation.notified", "obligation.snooze", "obligation.not_required", "task.complete", "task.done", "trigger.approve", "trigger.reject", "request.approve", "request.reject",
           "cover.accept", "cover.decline", "rest.schedule_now", "cover.ask", "followup.add", "followup.done",
           "followup.start", "review.draft", "review.done", "exception.confirm")
EVENTS = ("app_home_opened", "app_mention")
SHORTCUTS = ("declare_incident",)


def build_app(services: SlackServices, client: WebClient, *, signing_secret: str | None, socket_mode: bool = False,
              process_before_response: bool = True, listener_workers: int = 4) -> App:
    if not socket_mode and not signing_secret:
        raise ValueError("expected SLACK_SIGNING_SECRET in HTTP mode (requests must be verified), got nothing; "
                         "set it from the app's Basic Information page, or use Socket Mode with SLACK_APP_TOKEN")
    app = App(client=client, signing_secret=signing_secret or "", process_before_response=process_before_response,
              request_verification_enabled=not socket_mode, logger=bolt_logger(),
              listener_executor=ThreadPoolExecutor(max_workers=listener_workers, thread_name_prefix="slack-listener"))
    app.middleware(errors.mark_verified)  # first of ours: runs only after bolt's own verification passed
    errors.register(app, services)
    events.register(app, services)
    commands.register(app, services)
    actions.register(app, services)
    views.register(app, services)
    home.register(app, services)
    oncall_requests.register(app, services)
    followup_form.register(app, services)
    exception_form.register(app, services)
    return app
