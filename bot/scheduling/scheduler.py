"""The scheduler: APScheduler 3 and the outbox worker in front of the outbox rows.

Design (details and the reasons in ``docs/scheduling.md``):

* Rows decide, jobs only wake us.  Each near instant gets a one-shot date job
  ``reminder:<id>`` (named after the first row due then) (``bot.scheduling.jobs:fire_reminder``, id only) in the
  persistent ``SQLAlchemyJobStore`` on the bot's own engine; a ``scheduler:tick``
  interval job sweeps every ``poll_seconds``: it delivers whatever is due by
  the *injected* clock (rows written by other processes, overdue rows after a
  restart, retries, held reminders); every ``plan_every_seconds`` it writes the
  shift reminders of periods about to begin (:mod:`bot.scheduling.shift_reminder_sweep`) and plans
  date jobs for the nearest ``max_planned`` rows due within ``horizon`` (so
  start-up cost does not grow with the backlog; the window moves on).  A job
  that fires twice or not at all cannot double or lose a message, because
  delivery claims the row (``pending -> sending``) first.
* The injected clock is the authority.  Date jobs run in real time, so they are
  planned only when the clock *is* real time (``SystemClock``); with a
  ``ManualClock`` (tests) or ``AcceleratedClock`` (drills) the sweep alone
  fires reminders, and tests call :meth:`run_pending` directly and
  deterministically, without threads.
* Jobs never wait on Slack: the tick and the date jobs only wake the outbox
  worker (:mod:`bot.scheduling.worker`), which claims due rows and does them
  on a bounded pool of senders.
* One active scheduler: a leader lock (:mod:`bot.scheduling.leader`).  Only the
  holder runs APScheduler (and, unless ``deliver_on_standby``, the worker);
  others retry every ``leader_retry_seconds``.  With ``deliver_on_standby``
  (the ``scheduler`` command on PostgreSQL) every process delivers (the chat
  adapter keeps Slack's pace together with the others), and the holder
  resolves the rows of workers that are gone.  On becoming leader: recover rows stuck in
  ``sending`` (on the pool), drop stale jobs, deliver overdue rows once
  (marked late), plan the near ones.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from sqlmodel import select

from bot.clock import UTC, Clock, SystemClock
from bot.ports import ChatPort
from bot.scheduling import jobs, runtime
from bot.scheduling.apscheduler_parts import JobStoreOnSharedEngine, PoolClosedAfterLoop
from bot.scheduling.delivery import Dispatcher
from bot.scheduling.leader import LeaderLock, leader_lock_for, worker_alive, worker_lock_for
from bot.scheduling.shift_reminder_sweep import ShiftReminderSweep
from bot.scheduling.stuck_rows import StuckRows
from bot.outbox.tables import Reminder
from bot.scheduling.tables import JOBS_TABLE
from bot.scheduling.wanted import ReminderKind
from bot.scheduling.worker import OutboxWorker
from bot.store.database import Store

log = logging.getLogger(__name__)

TICK_JOB_ID = "scheduler:tick"
CHECKPOINT_JOB_ID = "audit:checkpoint"
STUCK_AFTER = timedelta(minutes=5)  # a row in 'sending' this long was left by a failure, not a slow send


def reminder_job_id(reminder_id: int) -> str:
    return f"reminder:{reminder_id}"


class ReminderScheduler:
    def __init__(self, store: Store, config: Callable[[], Any], chat: ChatPort, clock: Clock, *,
                 kinds: Iterable[ReminderKind] | None = None, poll_seconds: float = 1.0,
                 horizon: timedelta = timedelta(minutes=10), misfire_grace_seconds: int = 60,
                 leader: LeaderLock | None = None, leader_retry_seconds: float = 2.0, workers: int | None = None,
                 max_planned: int = 1000, plan_every_seconds: float = 5.0, senders: int = 8,
                 notifications: Any = None, deliver_on_standby: bool = False) -> None:
        """``senders``: rows done in Slack at once (each one short call; waits are back-offs, not sleeps).
        ``notifications``: the worker of the pages' SMS, voice and email steps
        (:class:`bot.notify.delivery.NotificationDispatcher`), run by the active scheduler in its own thread.
        ``deliver_on_standby``: this process delivers due rows whether or not it is the active scheduler
        (scale-out on PostgreSQL, where claims skip each other's rows); otherwise only the active one does."""
        self.store = store
        self.notifications = notifications
        self.clock = clock
        self.worker_id = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.deliver_on_standby = deliver_on_standby
        self.chat = chat
        self._worker_lock = worker_lock_for(store.engine, self.worker_id)
        self.dispatcher = Dispatcher(store, config, chat, clock, kinds=kinds, worker_id=self.worker_id)
        self.worker = OutboxWorker(self.dispatcher, threads=senders, poll_seconds=poll_seconds)
        self.stuck_rows = StuckRows(self.dispatcher, submit=self.worker.submit, alive=self._alive)
        self.shift_reminders = ShiftReminderSweep(store, config, clock)
        self.poll_seconds = poll_seconds
        self.horizon = horizon
        self.misfire_grace_seconds = misfire_grace_seconds
        self.leader = leader if leader is not None else leader_lock_for(store.engine)
        self.leader_retry_seconds = leader_retry_seconds
        # SQLite has one writer at a time: parallel deliveries would only wait on each other's locks.
        self.workers = workers or (1 if store.dialect == "sqlite" else 4)
        self.max_planned = max_planned
        self.plan_every_seconds = plan_every_seconds
        self._last_plan: float | None = None
        self.plans_date_jobs = isinstance(clock, SystemClock)
        self.context = runtime.SchedulerContext(store=store, config=config, chat=chat, clock=clock, scheduler=self)
        self.is_leader = False
        self.became_leader_at: datetime | None = None
        self._aps: BackgroundScheduler | None = None
        self._aps_pool: PoolClosedAfterLoop | None = None  # its executor, closed after it (see _step_down)
        self._planned: dict[int, datetime] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._tick_lock = threading.Lock()
        self._notify_thread: threading.Thread | None = None
        self._notify_recover = False

    @property
    def ready(self) -> bool:
        """Active, reconciled with the rows, and the first sweep has planned the near jobs."""
        return self.is_leader and self._last_plan is not None

    @property
    def planned_jobs(self) -> int:
        """Reminders that currently have a date job in this (active) scheduler."""
        return len(self._planned)

    # --- synchronous use: tests, drills, one-off runs ------------------------------------

    def run_pending(self) -> dict[str, int]:
        """Deliver everything due by the clock now, in this thread."""
        counts = self.dispatcher.run_due()
        if self.notifications is not None:
            for outcome, n in self.notifications.run_due().items():
                counts[f"notify-{outcome}"] = n
        return counts

    def fire(self, reminder_id: int) -> str:
        """A reminder's date job ran: deliver it now (in this thread when no worker runs, e.g. tests)."""
        if not self.is_leader and self._thread is not None:
            return "not-leader"
        self._planned.pop(reminder_id, None)  # its date job has run; APScheduler has removed it
        if self.worker.running:
            self.worker.wake()
            return "woken"
        return self.dispatcher.fire(reminder_id)

    def wake(self) -> None:
        """Rows were just written in this process (a command's effects): deliver them without waiting
        for the next tick. A no-op while this process delivers nothing (not the active scheduler)."""
        if self.is_leader or self.deliver_on_standby:
            self.worker.wake()

    # --- background use: the bot process -----------------------------------------------------

    def start(self) -> None:
        """Start competing for leadership in a background thread; the holder runs the jobs (and, unless
        every worker delivers, the deliveries)."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._lead_loop, name="scheduler-leader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._step_down(quietly=True)
        self._stop_delivering()
        self.leader.release()

    def _start_delivering(self) -> None:
        if self.worker.running:
            return
        if not self._worker_lock.try_acquire():
            log.warning("could not take this worker's own lock; its rows would look abandoned, so it does not "
                        "deliver until it can")
            return
        self.worker.start()

    def _stop_delivering(self) -> None:
        self.worker.stop()
        self._worker_lock.release()

    def _keep_delivering(self) -> None:
        """A worker whose own lock is lost looks gone to the others (its rows would be resolved by the active
        scheduler): it stops delivering at once, and starts again once it holds a lock again."""
        if not self.deliver_on_standby:
            return
        if self.worker.running and not self._worker_lock.still_held():
            log.error("this worker's own lock is lost; it stops delivering until it has one again")
            self._stop_delivering()
        elif not self.worker.running:
            self._start_delivering()

    def _alive(self, worker_id: str) -> bool:
        """Is the worker that claimed a row still running (its call may be in flight)?"""
        return worker_id == self.worker_id or worker_alive(self.store.engine, worker_id)

    def _lead_loop(self) -> None:
        while not self._stop.is_set():
            try:
                if not self.is_leader:
                    if self.leader.try_acquire():
                        self._take_over()
                elif not self.leader.still_held():
                    self._step_down()
            except Exception:  # noqa: BLE001 - keep competing; a database hiccup must not end the thread
                log.exception("scheduler leadership loop failed; retrying")
                self._step_down()
                self.leader.release()
            self._keep_delivering()  # after the leadership attempt: a standby's start never delays a take-over
            self._stop.wait(self.leader_retry_seconds)

    def _build_aps(self) -> BackgroundScheduler:
        self._aps_pool = PoolClosedAfterLoop(self.workers)
        return BackgroundScheduler(
            timezone=UTC,
            jobstores={"default": JobStoreOnSharedEngine(engine=self.store.engine, tablename=JOBS_TABLE)},
            executors={"default": self._aps_pool},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": self.misfire_grace_seconds},
        )

    def _take_over(self) -> None:
        log.info("this process is now the active scheduler")
        self.is_leader = True
        self.became_leader_at = self.clock.now()
        self._planned.clear()
        self._last_plan = None
        runtime.install(self.context)
        aps = self._build_aps()
        aps.start(paused=True)
        self._aps = aps
        # What is in 'sending' now and claimed by no live worker was left by a stopped process. Read it before
        # this process's worker claims anything (and never count a live worker's rows, this one's included), or a
        # row being sent would be taken for stuck and sent a second time by the recovery.
        stuck = self.stuck_rows.note_all()
        if stuck:
            log.info("%d row(s) were left in 'sending' by a stopped process; resolving them", stuck)
        self._start_delivering()
        self.stuck_rows.recover()
        self._notify_recover = True  # page notifications left in 'sending': resolved first by the notify thread
        self._drop_stale_jobs()
        aps.add_job(jobs.tick, "interval", seconds=self.poll_seconds, id=TICK_JOB_ID, replace_existing=True,
                    next_run_time=datetime.now(UTC), misfire_grace_time=max(1, int(self.poll_seconds * 5)))
        from bot.audit.checkpoints import PERIOD_SECONDS

        aps.add_job(jobs.checkpoint, "interval", seconds=PERIOD_SECONDS, id=CHECKPOINT_JOB_ID, replace_existing=True)
        aps.resume()

    def _step_down(self, *, quietly: bool = False) -> None:
        if not self.deliver_on_standby:
            self._stop_delivering()
        if self._aps is not None:
            if quietly:
                log.info("scheduler stopped")
            else:
                log.warning("this process is no longer the active scheduler")
            try:
                self._aps.shutdown(wait=False)  # returns once its loop thread has ended
            except Exception:  # noqa: BLE001
                pass
            if self._aps_pool is not None:
                self._aps_pool.close()  # only now that the scheduler's loop has ended: see apscheduler_parts
            self._aps, self._aps_pool = None, None
        self.is_leader = False
        self._planned.clear()
        runtime.clear(self.context)

    def _drop_stale_jobs(self) -> None:
        assert self._aps is not None
        job_ids = [j.id for j in self._aps.get_jobs() if j.id.startswith("reminder:")]
        if not job_ids:
            return
        with self.store.session() as s:
            pending = {int(i) for i in s.exec(select(Reminder.id).where(Reminder.state == "pending")).all()}
        for job_id in job_ids:
            if int(job_id.split(":", 1)[1]) not in pending:
                self._remove_job(job_id)

    def _remove_job(self, job_id: str) -> None:
        if self._aps is None:
            return
        try:
            self._aps.remove_job(job_id)
        except JobLookupError:
            pass

    # --- page notifications (SMS, calls, email): their own thread, never holding up the sweep -----

    def _notify(self) -> None:
        if self.notifications is None or (self._notify_thread is not None and self._notify_thread.is_alive()):
            return
        self._notify_thread = threading.Thread(target=self._run_notifications, name="page-notifications",
                                               daemon=True)
        self._notify_thread.start()

    def _run_notifications(self) -> None:
        try:
            if self._notify_recover:
                recovered = self.notifications.recover()
                self._notify_recover = False
                if any(recovered.values()):
                    log.info("recovered page notifications left in 'sending': %s", recovered)
            self.notifications.run_due()
        except Exception:  # noqa: BLE001 - the next tick tries again; one bad sweep must not stop paging
            log.exception("page notifications: the sweep failed; trying again on the next tick")

    # --- the sweep -----------------------------------------------------------------------------

    def tick(self) -> None:
        """Wake the worker for what is due by the injected clock; now and then resolve stuck rows and plan
        date jobs for the near future. Never waits on Slack."""
        if not self.is_leader:
            return
        if not self._tick_lock.acquire(blocking=False):
            return  # the previous tick is still planning
        try:
            self.worker.wake()
            self._notify()
            if self._last_plan is None or time.monotonic() - self._last_plan >= self.plan_every_seconds:
                self.stuck_rows.note_stale(self.clock.now() - STUCK_AFTER)
                self.stuck_rows.recover()
                self._sweep_shift_reminders()
                if self.plans_date_jobs:
                    self._plan_near_jobs()
                self._last_plan = time.monotonic()
        finally:
            self._tick_lock.release()

    def _sweep_shift_reminders(self) -> None:
        if "shift_reminder" not in self.dispatcher.kinds:
            return  # a scheduler given other kinds (tests) could not deliver them
        try:
            if self.shift_reminders.run():
                self.worker.wake()
            self.shift_reminders.succeeded()
        except Exception as exc:  # noqa: BLE001 - reminders of shifts must never stop the sweep that delivers pages
            log.exception("shift reminders: the sweep failed; trying again on the next one")
            self.shift_reminders.failed(exc)  # told to the operators when it keeps failing

    def _plan_near_jobs(self) -> None:
        aps = self._aps
        if aps is None:
            return
        until = self.clock.now() + self.horizon
        with self.store.session() as s:
            rows = s.exec(select(Reminder.id, Reminder.next_attempt_at)
                          .where(Reminder.state == "pending", Reminder.next_attempt_at <= until)
                          .order_by(Reminder.next_attempt_at).limit(self.max_planned)).all()
        near: dict[int, datetime] = {}
        instants: set[datetime] = set()
        for reminder_id, at in rows:  # one wake-up per instant: the worker claims every row due by then
            if at not in instants:
                instants.add(at)
                near[int(reminder_id)] = at
        for reminder_id in [i for i in self._planned if i not in near]:
            self._planned.pop(reminder_id, None)
            self._remove_job(reminder_job_id(reminder_id))
        for reminder_id, at in near.items():
            if self._planned.get(reminder_id) == at:
                continue
            aps.add_job(jobs.fire_reminder, "date", run_date=at, args=[reminder_id], id=reminder_job_id(reminder_id),
                        replace_existing=True)
            self._planned[reminder_id] = at

