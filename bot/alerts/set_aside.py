"""A receipt whose triage fails on its own, again and again, is set aside so that it holds up no other alert.

Triage works through the receipts in order (:mod:`bot.alerts.triage`).  When a transaction of several
receipts fails, their triage is tried again one receipt per transaction, so that the others are triaged in
the same pass and the one that fails is known; a receipt that fails on its own is left waiting and tried
again on the next pass.  After :data:`ATTEMPTS` such failures (counted in the triage worker's memory: a
restart counts afresh) it is **set aside**: its progress gets the terminal state ``set_aside``, written
like ``triaged`` (on PostgreSQL the receipt's own row; on SQLite ``alert_progress`` in the main database,
then copied to the inbox file), with an ``alert.set_aside`` event on the global chain: the receipt's id, its
source, how many events it held and how many were left untriaged, and the error's class and where it was
raised (file, line, function: :func:`raised_at`), not its message nor the alert's own words (a message may
quote a value of the alert, e.g. ``KeyError: 'the-label-value'``, and they may name people).  In the same
transaction the operations channel is told (:mod:`bot.outbox.operator_notices`): nobody was paged.  The purge does
not delete it and ``incident-bot check`` reports it (:mod:`bot.alerts.intake_health`) until a person has dealt
with it: put it back to be triaged or dismissed it (:mod:`bot.alerts.set_aside_review`,
``incident-bot alerts``).

A failure of the database as a whole (:func:`bot.store.outage.about_the_database`: the connection lost, a lock not
granted in time, a deadlock) says nothing about a receipt: the pass ends and is retried as a whole, and
nothing is counted or set aside for it.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable

from bot.alerts.batch import Receipt, one_at_a_time
from bot.audit.trail import append_event
from bot.clock import ensure_utc
from bot.store.outage import about_the_database

log = logging.getLogger(__name__)

ATTEMPTS = 3  # failures on its own before a receipt is set aside
SET_ASIDE = "set_aside"  # the receipt's terminal state (beside "triaged")


def raised_at(exc: BaseException) -> str:
    """Where ``exc`` was raised: the innermost frame's file (from the bot's checkout, or from site-packages),
    line and function; never the error's message, which may quote the alert (``KeyError: 'a-label-value'``)."""
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ is not None else []
    if not frames:
        return "unknown"
    frame = frames[-1]
    return f"{_short_path(frame.filename)}:{frame.lineno} in {frame.name}"


def _short_path(filename: str) -> str:
    path = Path(filename)
    for packages in ("site-packages", "dist-packages"):
        if packages in path.parts:
            return "/".join(path.parts[path.parts.index(packages) + 1:])
    try:
        return path.relative_to(Path(__file__).resolve().parents[2]).as_posix()
    except ValueError:
        return path.name


class Failures:
    """How often each waiting receipt's triage failed on its own (in this process's memory), and what then."""

    def __init__(self, store: Any, places: Any, write_lock: Any, attempts: int = ATTEMPTS, *,
                 config: Callable[[], Any] | None = None) -> None:
        """``places``: the :class:`~bot.alerts.receipts.Receipts`; ``write_lock``: triage's; ``config``: the
        configuration in force (it names the operations channel told of a receipt set aside)."""
        self.store, self.places, self.write_lock, self.attempts = store, places, write_lock, attempts
        self.config = config
        self._counts: dict[int, int] = {}

    def rolled_back(self, chunk: list[Receipt], before: list[tuple], exc: Exception, now: datetime) -> bool:
        """A triage transaction over ``chunk`` failed before its commit, not for the database as a whole: the
        receipts are put back as they were (``before``: their done, state and triaged_at).  True: there were
        several, each is to be tried in a transaction of its own; else the one failed on its own (counted)."""
        for receipt, saved in zip(chunk, before):
            receipt.done, receipt.state, receipt.triaged_at = saved
        if len(chunk) > 1:
            log.warning("alert triage: a transaction of %s receipts failed (%s); trying them one by one",
                        len(chunk), type(exc).__name__)
            return True
        self.failed(chunk[0], exc, now)
        return False

    def declaring(self, declare: Callable[..., Any], args: tuple, now: Callable[[], datetime]) -> tuple[bool, Any]:
        """Triage's declaration ``declare(*args)`` (``args[0]``, ``args[1]``: its receipt and the event's index):
        (True, what it returned), or (False, None) when it failed on its own, counted like a transaction of that
        receipt alone.  Raised as before: a failure of the database as a whole, and one after the declaration's
        last transaction committed (the receipt's progress passed the event: e.g. the inbox copy)."""
        try:
            return True, declare(*args)
        except Exception as exc:
            if about_the_database(exc) or self._moved_on(args[0], args[1]):
                raise
            self.failed(args[0], exc, ensure_utc(now()))
            return False, None

    def _moved_on(self, receipt: Receipt, index: int) -> bool:
        """Does the receipt's stored progress say it is past event ``index``?"""
        stored = replace(receipt, done=index, state="accepted")
        with self.write_lock, self.store.session() as s:
            self.places.lock_progress(s, [stored])
        return stored.state != "accepted" or stored.done > index

    def failed(self, receipt: Receipt, exc: Exception, now: datetime) -> None:
        """The receipt's triage failed on its own: counted, and the receipt set aside at the last attempt (a
        failure of the database while setting it aside is raised; any other is logged, and the receipt is
        tried again on the next pass)."""
        count = self._counts[receipt.id] = self._counts.get(receipt.id, 0) + 1
        if count < self.attempts:
            log.warning("alert receipt %s from %s: triage failed on its own (%s of %s attempts before it is set "
                        "aside); the receipts after it are triaged", receipt.id, receipt.source, count,
                        self.attempts, exc_info=exc)
            return
        try:
            set_aside(self.store, self.places, receipt, exc, count, now, self.write_lock,
                      config=self.config() if self.config is not None else None)
        except Exception as again:
            if about_the_database(again):
                raise
            log.exception("alert receipt %s: setting it aside failed; tried again on the next pass", receipt.id)
            return
        self._counts.pop(receipt.id, None)

    def forget(self, receipt_ids: Iterable[int]) -> None:
        """These receipts were triaged: their failures no longer matter."""
        if self._counts:
            for receipt_id in receipt_ids:
                self._counts.pop(receipt_id, None)


def set_aside(store: Any, places: Any, receipt: Receipt, exc: BaseException, attempts: int, now: datetime,
              write_lock: Any, *, config: Any = None) -> bool:
    """Set the receipt aside, in a transaction of its own: its terminal progress, its ``alert.set_aside``
    event on the global chain and (with ``config``) a notice to the operations channel.  ``places``: the
    :class:`~bot.alerts.receipts.Receipts`.  False when another triage worker finished it meanwhile (nothing
    written)."""
    # as stored (a failed transaction may have moved it in memory): on SQLite no progress row yet is none
    receipt = replace(receipt, done=0, state="accepted", triaged_at=None)
    with write_lock, store.session() as s:
        one_at_a_time(s)
        places.lock_progress(s, [receipt])
        if receipt.state != "accepted":
            return False
        receipt.state = SET_ASIDE
        places.write_progress(s, [receipt])
        untriaged = len(receipt.events) - receipt.done
        error = {"class": f"{type(exc).__module__}.{type(exc).__qualname__}", "raised_at": raised_at(exc)}
        summary = (f"alert receipt {receipt.id} from {receipt.source} set aside: its triage failed {attempts} times "
                   f"({type(exc).__name__} raised at {error['raised_at']}); {untriaged} of its {len(receipt.events)} "
                   "alert(s) not triaged, nobody paged for them; the receipt is kept (incident-bot check lists it; "
                   "incident-bot alerts retriage or dismiss deals with it: docs/alerts.md)")
        event = append_event(s, incident_id=None, actor=f"alerts:{receipt.source}", kind=f"alert.{SET_ASIDE}",
                             at=now, summary=summary[:4000],
                             data={"disposition": SET_ASIDE, "receipt": receipt.id, "source": receipt.source,
                                   "format": receipt.format, "events": len(receipt.events), "untriaged": untriaged,
                                   "attempts": attempts, "error": error})
        if config is not None:
            _tell_operators(s, config, receipt, untriaged, error, event.seq, now)
    log.error("alert receipt %s from %s set aside after %s failed triage attempts (%s raised at %s): %s alert(s) "
              "not triaged, nobody paged for them; incident-bot check lists it, docs/alerts.md says what to do",
              receipt.id, receipt.source, attempts, type(exc).__name__, error["raised_at"], untriaged)
    return True


def _tell_operators(session: Any, config: Any, receipt: Receipt, untriaged: int, error: dict[str, str], seq: int,
                    now: datetime) -> None:
    """Nobody is paged for the receipt's alerts not triaged yet: the people who run the bot are told, once per
    setting aside (a receipt put back and set aside again is told again), never with the alert's text."""
    from bot.outbox.operator_notices import tell_operators
    from bot.ports import Notice

    notice = Notice(
        kind="alert_set_aside", title=f"An alert receipt from {receipt.source} was set aside: nobody was paged",
        lines=(f"Its triage kept failing on this receipt alone ({error['class']} raised at {error['raised_at']}); "
               f"{untriaged} of its {len(receipt.events)} alert(s) are not triaged. The other alerts are triaged.",
               "Look at the alert at the source and page someone by hand if it needs a person now. Then "
               f"`incident-bot alerts retriage {receipt.id} --by PERSON --reason TEXT` once the cause is fixed, or "
               f"`incident-bot alerts dismiss {receipt.id} --by PERSON --reason TEXT` (docs/alerts.md)."),
        fields=(("Receipt", f"#{receipt.id}"), ("Source", receipt.source)),
        metadata={"alert_receipt": str(receipt.id)})
    tell_operators(session, config, cause=f"set_aside:{receipt.id}:{seq}", notice=notice, at=now)
