"""Slack's pace per channel shared by every process that posts, through the database.

Slack allows about one message per second per channel after a short burst, whoever
sends them.  Several outbox workers (PostgreSQL scale-out) therefore keep one
pace per channel together: a row of ``slack_channel_pace`` holds the channel's
theoretical arrival time (the generic cell rate algorithm of
:class:`bot.slack.pacing.ChannelPacer`, the same interval and burst), and a
message is allowed by one statement that takes the slot only if it is free::

    INSERT … ON CONFLICT (channel) DO UPDATE SET tat = max(tat, now) + interval
    WHERE max(tat, now) - interval * (burst - 1) <= now RETURNING tat

The row lock of that upsert orders concurrent takers, so all workers together
never exceed the pace, and each may use the whole burst when the others do not.
``now`` is the database's clock (one clock for every worker, whatever host
it runs on), or a given one in tests.  A refused take changes nothing and
says how long to wait.  If the database cannot be asked, the message waits
(:data:`UNREADABLE_WAIT`): nothing is sent beyond the pace.

On PostgreSQL the senders of one process take their slots together: a sender
that asks while another's statement is in flight queues its channel, and the
next one to ask takes the slots of every queued channel in one statement (the
same upsert over ``unnest`` of the channels, in channel order so that two
processes lock rows in one order).  Each slot is still taken when its message is
about to go, by the database's clock, with the same condition; a burst costs a
statement (and a commit) per few posts instead of one per post.

The outbox worker also takes slots ahead (:meth:`SharedChannelPacer.take_ahead`): right after a claim, the slots
of every channel its messages go to, in one statement, instead of one take per message as it goes.  A slot
taken ahead is used only by a message that starts within :data:`TAKEN_AHEAD_FOR` seconds, and is taken as if
that message went at the end of that time (``tat = max(tat, now + lead) + interval``) while being allowed
now (``max(tat, now + lead) - interval * (burst - 1) <= now``): whenever in that time the message goes, and in
whatever order with the others, every sequence of posts stays within the pace.  A message that starts later
gives its slot up and takes one as it goes; a slot given up only slows its channel.

A 429 for a channel holds its pace back for every worker (:meth:`SharedChannelPacer.hold`): the slot moves to
the end of Slack's ``Retry-After`` (never earlier than it was), so the other workers' posts to that channel
wait instead of each drawing a 429 of its own.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any, Callable, Iterable, Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.store.error_text import database_error_text

log = logging.getLogger(__name__)

UNREADABLE_WAIT = 1.0  # seconds a message waits when the shared pace cannot be read
PRUNE_EVERY = 600.0  # seconds between removals of rows that no longer hold anything back
POOL_WAIT = 5.0  # seconds a take waits for one of the pacer's connections before the message waits instead
TAKEN_AHEAD_FOR = 0.5  # seconds a slot taken ahead stays usable (the message must start by then)
_NOW = {"postgresql": "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)",
        "sqlite": "((julianday('now') - 2440587.5) * 86400.0)"}
_LATER = {"postgresql": "GREATEST", "sqlite": "max"}


class _Asked:
    """A sender's ask for a slot of ``channel``, answered by whichever sender takes the queued slots."""

    __slots__ = ("channel", "answer")

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.answer: float | None = None


class SharedChannelPacer:
    """The :class:`~bot.slack.pacing.ChannelPacer` interface (``take``, ``wait``) on a pace kept in the
    database, so every process posting to Slack keeps to it together."""

    def __init__(self, engine: Engine, interval: float = 1.0, burst: int = 4, *,
                 now: Callable[[], float] | None = None, sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic, connections: int = 8) -> None:
        """``now``: seconds on a clock shared by every pacer of this database (tests); by default the
        database's own clock. ``connections``: how many threads take slots at once (the outbox's senders); on
        PostgreSQL the pacer keeps that many connections open, no more."""
        dialect = engine.dialect.name
        if dialect not in _NOW:
            raise ValueError(f"expected a PostgreSQL or SQLite database for the shared pace, got {dialect}")
        self.interval = interval
        self.burst = burst
        self._ahead = interval * (burst - 1)
        self._now = now
        self._sleep = sleep
        self._monotonic = monotonic
        self._pruned_at = monotonic()
        self._prune_lock = threading.Lock()
        # PostgreSQL: connections of its own, in autocommit (one round trip per statement, no BEGIN/COMMIT) and
        # without a ping at each checkout (the bot's pool pings; here that cost more than the statement), so
        # that several senders take slots at once. One kept-open connection per sender and no overflow: a pool
        # smaller than the senders with overflow opened and closed a connection for most takes in a burst (a
        # connect in the worker, a backend started and ended in the server), which cost more than the take. A
        # take that finds every connection in use waits for one (a round trip), at most POOL_WAIT seconds. A
        # broken connection fails one take (the message waits) and is replaced. SQLite (one process delivers;
        # tests): the bot's engine, a short write transaction each.
        self._shared_engine = engine
        if dialect == "postgresql":
            self._engine = create_engine(engine.url, isolation_level="AUTOCOMMIT", pool_pre_ping=False,
                                         pool_size=max(1, connections), max_overflow=0, pool_timeout=POOL_WAIT)
        else:
            self._engine = engine
        clock = ":now" if now is not None else _NOW[dialect]
        later = _LATER[dialect]
        self._take = text(
            f"INSERT INTO slack_channel_pace (channel, tat, taken_at) "
            f"SELECT :channel, n.t + :interval, n.t FROM (SELECT {clock} AS t) AS n WHERE true "
            f"ON CONFLICT (channel) DO UPDATE SET tat = {later}(slack_channel_pace.tat, excluded.taken_at) + :interval, "
            f"taken_at = excluded.taken_at "
            f"WHERE {later}(slack_channel_pace.tat, excluded.taken_at) - :ahead <= excluded.taken_at "
            f"RETURNING tat")
        # Slack's 429 for a channel: its slot moves to ``now + hold`` (seconds asked + the burst's lead), never back.
        self._hold = text(
            f"INSERT INTO slack_channel_pace (channel, tat, taken_at) "
            f"SELECT :channel, n.t + :hold, n.t FROM (SELECT {clock} AS t) AS n WHERE true "
            f"ON CONFLICT (channel) DO UPDATE SET tat = {later}(slack_channel_pace.tat, excluded.tat)")
        self._read = text(f"SELECT tat, {clock} AS t FROM slack_channel_pace WHERE channel = :channel")
        self._prune = text(f"DELETE FROM slack_channel_pace WHERE tat < {clock} - :interval")
        self._take_all = text(
            f"INSERT INTO slack_channel_pace (channel, tat, taken_at) "
            f"SELECT c.channel, n.t + :interval, n.t FROM unnest(CAST(:channels AS VARCHAR[])) AS c(channel), "
            f"(SELECT {clock} AS t) AS n ORDER BY c.channel "
            f"ON CONFLICT (channel) DO UPDATE SET tat = {later}(slack_channel_pace.tat, excluded.taken_at) + :interval, "
            f"taken_at = excluded.taken_at "
            f"WHERE {later}(slack_channel_pace.tat, excluded.taken_at) - :ahead <= excluded.taken_at "
            f"RETURNING channel")
        self._take_ahead_all = text(
            f"INSERT INTO slack_channel_pace (channel, tat, taken_at) "
            f"SELECT c.channel, n.t + :lead + :interval, n.t FROM unnest(CAST(:channels AS VARCHAR[])) AS c(channel), "
            f"(SELECT {clock} AS t) AS n ORDER BY c.channel "
            f"ON CONFLICT (channel) DO UPDATE SET "
            f"tat = {later}(slack_channel_pace.tat, excluded.taken_at + :lead) + :interval, taken_at = excluded.taken_at "
            f"WHERE {later}(slack_channel_pace.tat, excluded.taken_at + :lead) - :ahead <= excluded.taken_at "
            f"RETURNING channel")
        self._read_all = text(f"SELECT channel, tat, {clock} AS t FROM slack_channel_pace "
                              f"WHERE channel = ANY(CAST(:channels AS VARCHAR[]))")
        self._driver_error: type[Exception] = engine.dialect.dbapi.Error if engine.dialect.dbapi else SQLAlchemyError
        self._raw = (tuple(str(q.compile(dialect=engine.dialect))
                           for q in (self._take, self._read, self._take_all, self._read_all, self._take_ahead_all))
                     if dialect == "postgresql" else ())
        self._asked: list[_Asked] = []  # channels queued while another sender's statement is in flight
        self._taking = False  # a sender is taking the queued slots
        self._turn = threading.Condition()
        self.statements = 0  # take statements sent (PostgreSQL), for tests and measurements
        self._taken_ahead: dict[str, float] = {}  # channel -> until when (monotonic) its slot taken ahead is usable
        self._ahead_lock = threading.Lock()

    def take(self, channel: str) -> float:
        """0 and a slot taken when a message may go to ``channel`` now; otherwise the seconds to wait
        (nothing taken: ask again then)."""
        with self._ahead_lock:
            usable_until = self._taken_ahead.pop(channel, None)
        if usable_until is not None and self._monotonic() <= usable_until:
            return 0.0  # a slot taken ahead for this message
        if not self._raw:
            return self._take_one(channel)
        asked = _Asked(channel)
        with self._turn:
            self._asked.append(asked)
            while asked.answer is None and self._taking:
                self._turn.wait()  # another sender is taking slots; ours may be among them
            if asked.answer is not None:
                return asked.answer
            self._taking = True  # our turn: take every queued slot (ours included) together
            batch, self._asked = self._asked, []
        try:
            self._take_queued(batch)
        finally:
            with self._turn:
                self._taking = False
                self._turn.notify_all()
        return asked.answer if asked.answer is not None else UNREADABLE_WAIT

    def take_ahead(self, channels: Iterable[str]) -> int:
        """Messages are about to go to ``channels``: take a slot of each now, in one statement (PostgreSQL), for
        the next :meth:`take` of that channel within :data:`TAKEN_AHEAD_FOR` seconds. Returns the slots taken. A
        channel refused (its pace is spent) or unreadable is left to :meth:`take`, as is a second message to one
        channel."""
        if not self._raw or self._ahead < TAKEN_AHEAD_FOR:  # SQLite, or no burst to take ahead of
            return 0
        start = self._monotonic()  # before the database's clock reads ``now``: the slot is used by ``now + lead``
        with self._ahead_lock:  # slots past their time are dropped (a message that never went leaves one)
            self._taken_ahead = {c: until for c, until in self._taken_ahead.items() if until >= start}
            held = set(self._taken_ahead)
        wanted = sorted(set(channels) - held)
        if not wanted:
            return 0
        params: dict[str, object] = {"channels": wanted, "interval": self.interval, "ahead": self._ahead,
                                     "lead": TAKEN_AHEAD_FOR}
        try:
            self._maybe_prune()
            if self._now is not None:
                params["now"] = self._now()
            with self._cursor() as cursor:
                cursor.execute(self._raw[4], params)
                taken = [str(row[0]) for row in cursor.fetchall()]
        except (SQLAlchemyError, self._driver_error) as exc:
            log.warning("slots of %d channels could not be taken ahead (%s); their messages take them as they go",
                        len(wanted), database_error_text(exc))
            return 0
        with self._ahead_lock:
            for channel in taken:
                self._taken_ahead[channel] = start + TAKEN_AHEAD_FOR
        return len(taken)

    def _take_queued(self, batch: list[_Asked]) -> None:
        """Answer every queued ask: distinct channels in one statement, a channel asked twice in the next."""
        try:
            waiting = batch
            while waiting:
                first: dict[str, _Asked] = {}
                for asked in waiting:
                    first.setdefault(asked.channel, asked)
                if len(first) == 1:
                    only = next(iter(first.values()))
                    only.answer = self._take_one(only.channel)
                else:
                    self._take_several(first)
                waiting = [asked for asked in waiting if asked.answer is None]
        finally:
            for asked in batch:
                if asked.answer is None:
                    asked.answer = UNREADABLE_WAIT

    def _take_several(self, asked: dict[str, _Asked]) -> None:
        """Take the slots of several channels in one statement; a refused channel learns how long to wait."""
        channels = sorted(asked)
        params: dict[str, object] = {"channels": channels, "interval": self.interval, "ahead": self._ahead}
        try:
            self._maybe_prune()
            if self._now is not None:
                params["now"] = self._now()
            with self._cursor() as cursor:
                cursor.execute(self._raw[2], params)
                taken = {str(row[0]) for row in cursor.fetchall()}
                refused = [c for c in channels if c not in taken]
                seen: dict[str, tuple[float, float]] = {}
                if refused:
                    cursor.execute(self._raw[3], {**params, "channels": refused})
                    seen = {str(row[0]): (float(row[1]), float(row[2])) for row in cursor.fetchall()}
        except (SQLAlchemyError, self._driver_error) as exc:
            log.warning("the shared pace of %d channels could not be read (%s); their messages wait", len(channels),
                        database_error_text(exc))
            for one in asked.values():
                one.answer = UNREADABLE_WAIT
            return
        for channel, one in asked.items():
            if channel in taken:
                one.answer = 0.0
            elif channel in seen:
                tat, now = seen[channel]
                delay = max(tat, now) - self._ahead - now
                # The slot came free (or the row went) between the two statements: asked again alone.
                one.answer = delay if delay > 0 else self._take_one(channel)
            else:
                one.answer = self._take_one(channel)

    def _take_one(self, channel: str) -> float:
        """``take`` for one channel on its own."""
        params: dict[str, object] = {"channel": channel, "interval": self.interval, "ahead": self._ahead}
        try:
            self._maybe_prune()
            for _ in range(3):
                if self._now is not None:
                    params["now"] = self._now()
                taken, seen = self._ask(params)
                if taken:
                    return 0.0
                if seen is not None:
                    tat, now = float(seen[0]), float(seen[1])
                    delay = max(tat, now) - self._ahead - now
                    if delay > 0:
                        return delay
                # The slot came free (or the row went) between the two statements: ask again.
        except (SQLAlchemyError, self._driver_error) as exc:
            log.warning("the shared pace of %s could not be read (%s); the message waits", channel,
                        database_error_text(exc))
            return UNREADABLE_WAIT
        return self.interval

    def _ask(self, params: dict[str, object]) -> tuple[bool, Any]:
        """Take the slot; when refused, read the channel's row (``tat``, now). On PostgreSQL through the driver's
        own cursor: the statements are fixed, and SQLAlchemy's execution cost a sender more than the round trip."""
        if not self._raw:
            with self._engine.begin() as conn:
                if conn.execute(self._take, params).first() is not None:
                    return True, None
                return False, conn.execute(self._read, params).first()
        with self._cursor() as cursor:
            cursor.execute(self._raw[0], params)
            if cursor.fetchone() is not None:
                return True, None
            cursor.execute(self._raw[1], params)
            return False, cursor.fetchone()

    @contextlib.contextmanager
    def _cursor(self) -> Iterator[Any]:
        """A driver cursor on one of the pacer's own connections (PostgreSQL), for one take statement (counted in
        :attr:`statements`) and the read that may follow it; a connection that failed is not reused."""
        connection = self._engine.raw_connection()
        try:
            self.statements += 1
            yield connection.cursor()
        except self._driver_error:
            connection.invalidate()  # maybe broken: the next take opens another
            raise
        finally:
            connection.close()  # back to the pool

    def hold(self, channel: str, seconds: float) -> None:
        """Slack answered 429 for ``channel`` asking for ``seconds``: no worker posts there before then, and after
        it one message per interval. If the pace cannot be written, the row's own wait still holds it back."""
        with self._ahead_lock:
            self._taken_ahead.pop(channel, None)  # nothing more goes there on a slot taken before the 429
        params: dict[str, object] = {"channel": channel, "hold": max(0.0, seconds) + self._ahead}
        if self._now is not None:
            params["now"] = self._now()
        try:
            with self._engine.begin() as conn:
                conn.execute(self._hold, params)
        except (SQLAlchemyError, self._driver_error) as exc:
            log.warning("the shared pace of %s could not be held back after a 429 (%s)", channel,
                        database_error_text(exc))

    def wait(self, channel: str) -> float:
        """Block until a message may be posted to ``channel`` (its slot taken); returns the seconds waited."""
        waited = 0.0
        while (delay := self.take(channel)) > 0:
            self._sleep(delay)
            waited += delay
        return waited

    def close(self) -> None:
        """Close this pacer's own connections (PostgreSQL)."""
        if self._engine is not self._shared_engine:
            self._engine.dispose()

    def _maybe_prune(self) -> None:
        """Now and then remove rows whose time has passed: a channel without a row has its whole burst."""
        if self._monotonic() - self._pruned_at < PRUNE_EVERY or not self._prune_lock.acquire(blocking=False):
            return
        try:
            self._pruned_at = self._monotonic()
            params = {"interval": self.interval, **({"now": self._now()} if self._now is not None else {})}
            with self._engine.begin() as conn:
                conn.execute(self._prune, params)
        except SQLAlchemyError as exc:
            log.warning("could not remove passed channel paces: %s", database_error_text(exc))
        finally:
            self._prune_lock.release()
