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
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

UNREADABLE_WAIT = 1.0  # seconds a message waits when the shared pace cannot be read
PRUNE_EVERY = 600.0  # seconds between removals of rows that no longer hold anything back
POOL_WAIT = 5.0  # seconds a take waits for one of the pacer's connections before the message waits instead
_NOW = {"postgresql": "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)",
        "sqlite": "((julianday('now') - 2440587.5) * 86400.0)"}
_LATER = {"postgresql": "GREATEST", "sqlite": "max"}


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
        self._read = text(f"SELECT tat, {clock} AS t FROM slack_channel_pace WHERE channel = :channel")
        self._prune = text(f"DELETE FROM slack_channel_pace WHERE tat < {clock} - :interval")
        self._driver_error: type[Exception] = engine.dialect.dbapi.Error if engine.dialect.dbapi else SQLAlchemyError
        self._raw = (tuple(str(q.compile(dialect=engine.dialect)) for q in (self._take, self._read))
                     if dialect == "postgresql" else ())

    def take(self, channel: str) -> float:
        """0 and a slot taken when a message may go to ``channel`` now; otherwise the seconds to wait
        (nothing taken: ask again then)."""
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
            log.warning("the shared pace of %s could not be read (%s); the message waits", channel, exc)
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
        connection = self._engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(self._raw[0], params)
            if cursor.fetchone() is not None:
                return True, None
            cursor.execute(self._raw[1], params)
            return False, cursor.fetchone()
        except self._driver_error:
            connection.invalidate()  # maybe broken: the next take opens another
            raise
        finally:
            connection.close()  # back to the pool

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
            log.warning("could not remove passed channel paces: %s", exc)
        finally:
            self._prune_lock.release()
