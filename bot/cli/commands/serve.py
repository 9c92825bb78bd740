"""``incident-bot serve``: the Slack app (and, unless told otherwise, the reminder scheduler).

Socket Mode when ``SLACK_APP_TOKEN`` is set; otherwise HTTP on ``$PORT`` at
``/slack/events`` behind waitress, with request signatures verified using
``SLACK_SIGNING_SECRET``.  Pending database migrations are applied first.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import sys
import threading
from typing import TYPE_CHECKING

from bot.cli.common import add_config_args, config_paths, load_or_exit, parse_instant

if TYPE_CHECKING:  # the CLI imports only what the command it runs needs (tests/test_cli_imports.py)
    from bot.config.reload import ConfigHolder

log = logging.getLogger(__name__)

SWITCH_INTERVAL_SECONDS = 0.0005  # Python's default is 0.005 (bench/slack_ack.py)


def settle_heap(holder: ConfigHolder | None = None) -> None:
    """Once started: put what start-up built (modules, configuration, mappers; ~140 000 objects) out of the
    garbage collector's sight.  A full collection walked them all, stopping every thread for 100 to 300 ms on
    the 2-core machine, in the middle of an alert storm (bench/alert_intake.py counts them); it now walks only
    what was made since.  Frozen objects in reference cycles are never freed, so after each configuration
    reload (``holder``) the heap is unfrozen, collected once and frozen again: the replaced configuration goes."""
    gc.collect()
    gc.freeze()
    if holder is not None:
        holder.on_change(_settle_again)


def _settle_again(_config: object) -> None:
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "serve", help="run the Slack app (Socket Mode or HTTP) and the reminder scheduler",
        description="Run the Slack app. Environment: SLACK_BOT_TOKEN (required); SLACK_APP_TOKEN (xapp-…, selects "
                    "Socket Mode); otherwise HTTP on $PORT (default 3000) at /slack/events with SLACK_SIGNING_SECRET "
                    "(required in HTTP mode); SLACK_API_URL (GovSlack or a proxy; default Slack's); DATABASE_URL.")
    add_config_args(parser)
    parser.add_argument("--no-scheduler", action="store_true",
                        help="do not deliver to Slack here: no reminders and no effects of commands (run "
                             "`incident-bot scheduler` as a separate worker)")
    parser.add_argument("--port", type=int, default=None, help="HTTP port (default: $PORT or 3000)")
    parser.add_argument("--host", default="0.0.0.0", help="HTTP bind address (default 0.0.0.0)")
    parser.add_argument("--alerts-port", type=int, default=None, metavar="PORT",
                        help="also listen for alerts (config/alerts.yaml) on this port; needed in Socket Mode, where "
                             "there is no HTTP server (in HTTP mode alerts are served on the main port too)")
    parser.add_argument("--clock-start", metavar="ISO8601", type=parse_instant,
                        help="drills only: run on simulated time starting at this instant")
    parser.add_argument("--clock-speed", type=float, default=1.0, metavar="N",
                        help="drills only: simulated time runs N times faster (with --clock-start)")
    parser.set_defaults(func=run)


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    from bot.audit import config_rejections
    from bot.clock import AcceleratedClock, SystemClock
    from bot.config.reload import ConfigHolder
    from bot.incidents import in_use
    from bot.incidents.service import IncidentService
    from bot.slack.after_ack import AfterAck
    from bot.slack.app import build_app
    from bot.slack.errors import report
    from bot.slack.client import api_url, make_client
    from bot.slack.gateway import SlackGateway
    from bot.slack.membership import ChannelMembership
    from bot.slack.services import SlackServices
    from bot.slack.transport import serve_beside_socket_mode, serve_http, serve_socket_mode, web_mount
    from bot.store import migrate
    from bot.store.schema import map_everything
    from bot.store.database import Store
    from bot.web.setup import web_from_env

    token = os.environ.pop("SLACK_BOT_TOKEN", None)  # read once; not left for libraries or child processes
    app_token = os.environ.get("SLACK_APP_TOKEN")
    secret = os.environ.get("SLACK_SIGNING_SECRET")
    if not token:
        return _fail("SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from the app's "
                     "OAuth & Permissions page")
    if not app_token and not secret:
        return _fail("SLACK_SIGNING_SECRET is not set: HTTP mode verifies every request with it (Basic Information "
                     "page), or set SLACK_APP_TOKEN (xapp-…) to use Socket Mode instead")
    from bot.notify.environment import from_environment

    paging = from_environment()  # SMS, calls, email (docs/paging.md); secrets taken out of the environment
    for problem in paging.problems:
        log.warning("paging: %s", problem)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per tick drowns everything else
    config = load_or_exit(args, complete=True)
    store = Store.connect()
    if migrate.pending(store.engine):
        log.info("applying database migrations")
        migrate.upgrade(store.engine)
    map_everything()  # before any thread: mappers are configured on first use, not thread-safely
    clock = AcceleratedClock(args.clock_start, args.clock_speed) if args.clock_start else SystemClock()
    holder = ConfigHolder(config_paths(args), config, complete=True, guard=lambda new: in_use.conflicts(store, new))
    holder.on_rejected(config_rejections.recorder(store, clock))  # told once, in the operations channel
    holder.start_watching(config.settings.reload_poll_seconds)
    holder.install_sighup()
    client = make_client(token)
    chat = SlackGateway(client, store, clock)  # the listeners' own calls (modals, profiles)
    # The outbox worker tries each call once; waiting (back-off, Retry-After) is the row's, never a sleep.
    # Paced by real time only: a drill's simulated clock runs faster than Slack's limits.
    worker_chat = SlackGateway.for_outbox(store, clock, token=token, paced=not args.clock_start)
    worker_chat.bot_user_id()  # asked once now rather than in the first declaration
    current = lambda: holder.current  # noqa: E731 - the provider every service reads the config through
    scheduler = None if args.no_scheduler else _start_scheduler(store, current, worker_chat, clock, paging)
    incidents = IncidentService(store, current, clock, members=ChannelMembership(client).is_member)
    try:
        web_links, web = web_from_env(os.environ, store=store, config=current, clock=clock, incidents=incidents)
    except ValueError as exc:
        if scheduler is not None:
            scheduler.stop()
        holder.stop()
        store.dispose()
        return _fail(f"web view: {exc}")
    os.environ.pop("WEB_LINK_SECRET", None)  # read once; not left for libraries or child processes
    services = SlackServices(incidents=incidents, chat=chat, config=current, clock=clock, web_links=web_links,
                             effects_written=scheduler.wake if scheduler is not None else _outbox_elsewhere)
    services.queue = AfterAck(lambda error, body: report(services, error, body, client))
    # Background threads (the queue, the outbox senders) compute while a request waits to be acknowledged:
    # handing the interpreter lock over every 1 ms instead of 5 ms lets the acknowledging thread in sooner.
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    app = build_app(services, client, signing_secret=secret, socket_mode=bool(app_token))
    log.info("Slack Web API at %s", api_url())
    _serve_paging_webhooks(paging, incidents, current, args.host)
    _stop_on_sigterm()

    intake = _start_alerts(store, current, clock, services, args)
    settle_heap(holder)
    try:
        port = args.port or int(os.environ.get("PORT") or 3000)
        from bot.metrics_endpoint import PATH, metrics_endpoint

        routes = {PATH: metrics_endpoint(store, current, clock)}
        if app_token:
            # Socket Mode has no HTTP server of its own: /healthz, /metrics and the web view on $PORT
            serve_beside_socket_mode(port, host=args.host, web=web, routes=routes)
            serve_socket_mode(app, app_token)
        else:
            mounts = ((intake.mount(),) if intake else ()) + ((web_mount(web),) if web is not None else ())
            serve_http(app, port, signing_secret=secret or "", host=args.host, mounts=mounts, routes=routes,
                       oversize=(intake.oversize(),) if intake else (), largest_body=intake.max_body() if intake else 0)
    except KeyboardInterrupt:
        pass
    finally:
        if intake is not None:
            intake.stop()
        services.shutdown()  # finish acknowledged commands first: their effects go to the outbox
        if scheduler is not None:
            scheduler.stop()
        holder.stop()
        store.dispose()
    return 0


def _outbox_elsewhere() -> None:
    """--no-scheduler: the active scheduler process picks the rows up within its poll interval."""


def _start_scheduler(store, config, chat, clock, paging):
    from bot.scheduling.scheduler import ReminderScheduler

    notifications = paging.dispatcher(store, config, clock) if paging.notifiers else None
    log.info("paging methods besides Slack: %s", ", ".join(paging.methods) or "none configured")
    scheduler = ReminderScheduler(store, config, chat, clock, notifications=notifications)
    scheduler.start()
    return scheduler


def _serve_paging_webhooks(paging, incidents, config, host: str) -> None:
    """SMS replies, keypad answers and email links on ``$PAGING_PORT`` (default 3001), in a thread."""
    app = paging.webhook_app(incidents, config)
    if app is None:
        return
    from bot.notify.webhooks import webhook_server

    port = int(os.environ.get("PAGING_PORT") or 3001)
    log.info("paging webhooks on port %d (%s/twilio/sms, /twilio/voice/gather, /page/ack)", port, paging.public_url)
    threading.Thread(target=lambda: webhook_server(app, host=host, port=port).run(), name="paging-webhooks",
                     daemon=True).start()


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _stop_on_sigterm() -> None:
    """SIGTERM (platforms stopping a dyno or container) shuts down like Ctrl-C: clean scheduler stop."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)


def _start_alerts(store, config, clock, services, args):
    """Alert intake when config/alerts.yaml exists: the triage worker (unless the `scheduler` worker runs
    it), and the own listener if asked."""
    if not config().loaded("alerts"):
        if args.alerts_port:
            log.warning("--alerts-port given but there is no config/alerts.yaml: alert intake is off")
        return None
    from bot.alerts_http.runtime import AlertIntake

    def on_declared(result) -> None:
        """The declaration wrote its channel, invites and posts as outbox rows: deliver them now."""
        services.effects_written()

    # With --no-scheduler the `scheduler` worker triages: this process's Python interpreter only answers.
    intake = AlertIntake(store, config, clock, services.incidents, on_declared=on_declared,
                         triage=not args.no_scheduler)
    intake.start()
    if args.alerts_port:
        intake.listen(args.host, args.alerts_port)
    return intake
