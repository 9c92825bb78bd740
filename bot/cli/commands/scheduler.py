"""``incident-bot scheduler``: a worker process that delivers reminders, pages and escalations, and triages alerts.

For scale-out (see ``Procfile``): web processes run ``serve --no-scheduler``
and only write reminder rows and alert receipts; one or more ``scheduler``
workers compete for the scheduler lock and the holder runs the jobs; on
PostgreSQL every worker delivers (on SQLite the holder alone).  Every worker
triages stored alerts (config/alerts.yaml); triage transactions take turns, so
several workers keep grouping exact.  A standby takes over within
``--leader-retry`` seconds after the holder's lock is released (see
``docs/scheduling.md``).  It pages people, so it loads and reloads its
configuration as strictly as ``serve``: people, rotas and a playbook are required.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from bot.cli.common import add_config_args, config_paths, load_or_exit

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "scheduler", help="run only the reminder scheduler (worker process)",
        description="Run the durable reminder scheduler without the Slack listener. DATABASE_URL selects the "
                    "database, SLACK_BOT_TOKEN and SLACK_API_URL the Slack workspace. Several workers may run: "
                    "one is active, the others stand by and take over when it stops.")
    add_config_args(parser)
    parser.add_argument("--poll", type=float, default=1.0, metavar="SECONDS",
                        help="how often to look for due reminders and rows written by other processes (default 1)")
    parser.add_argument("--leader-retry", type=float, default=2.0, metavar="SECONDS",
                        help="how often a standby tries to become the active scheduler (default 2)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.audit import config_rejections
    from bot.clock import SystemClock
    from bot.config.reload import ConfigHolder
    from bot.incidents import in_use
    from bot.scheduling.scheduler import ReminderScheduler
    from bot.slack.gateway import SlackGateway
    from bot.store import migrate
    from bot.store.schema import map_everything
    from bot.store.database import Store

    config = load_or_exit(args, complete=True)  # as strict as `serve`: this worker pages people
    store = Store.connect()
    if migrate.pending(store.engine):
        print("the database schema is not up to date; run `incident-bot db upgrade` first", file=sys.stderr)
        return 2
    map_everything()  # before any thread: mappers are configured on first use, not thread-safely
    clock = SystemClock()
    holder = ConfigHolder(config_paths(args), config, complete=True, guard=lambda new: in_use.conflicts(store, new))
    holder.on_rejected(config_rejections.recorder(store, clock))  # told once, in the operations channel
    holder.start_watching(config.settings.reload_poll_seconds)
    holder.install_sighup()
    chat = SlackGateway.for_outbox(store, clock)  # as inside `serve`: one try per call, Slack's pace per channel
    from bot.notify.environment import from_environment

    paging = from_environment()  # SMS, calls, email (docs/paging.md); secrets taken out of the environment
    for problem in paging.problems:
        log.warning("paging: %s", problem)
    current = lambda: holder.current  # noqa: E731 - the provider every worker reads the config through
    scheduler = ReminderScheduler(store, current, chat, clock, poll_seconds=args.poll,
                                  leader_retry_seconds=args.leader_retry,
                                  # PostgreSQL: every worker delivers (claims skip each other's rows); SQLite has one
                                  # writer at a time, so there the active scheduler alone does.
                                  deliver_on_standby=store.dialect == "postgresql",
                                  notifications=paging.dispatcher(store, current, clock) if paging.notifiers else None)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    scheduler.start()
    triage = _start_triage(store, current, clock, scheduler)
    from bot.cli.commands.serve import settle_heap

    settle_heap(holder)  # a full collection stops triage in the middle of a transaction the intake may wait for
    print(f"scheduler worker started (pid {__import__('os').getpid()}); waiting to become the active scheduler",
          flush=True)
    stop.wait()
    log.info("stopping the scheduler")
    triage.stop()
    scheduler.stop()
    holder.stop()
    store.dispose()
    return 0


def _start_triage(store, config, clock, scheduler):
    """Alert triage (config/alerts.yaml), here rather than in the web processes (``serve --no-scheduler``)."""
    from bot.alerts.worker import worker_process_triage
    from bot.incidents.service import IncidentService

    triage = worker_process_triage(store, config, clock, IncidentService(store, config, clock),
                                   on_declared=lambda _result: scheduler.wake())
    triage.start()
    return triage
