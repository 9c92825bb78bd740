"""Two APScheduler 3 parts adapted to how the active scheduler starts and stops its ``BackgroundScheduler``.

* :class:`JobStoreOnSharedEngine`: the job store is on the bot's own engine, which the outbox worker, the
  listeners and the triage share.  ``SQLAlchemyJobStore.shutdown`` disposes of that engine, so every step-down
  emptied everyone's connection pool; here the store leaves the engine alone (``Store.dispose`` closes it).
* :class:`PoolClosedAfterLoop`: ``BaseScheduler.shutdown`` shuts the executors down *before*
  ``BackgroundScheduler.shutdown`` joins the scheduler's loop thread; a loop already past its "stopped?" check
  then hands a due job (the tick) to the closed pool, and APScheduler logs "Error submitting job … cannot schedule
  new futures after shutdown" (agronholm/apscheduler#285).  This pool only notes the request; the scheduler
  closes it with :meth:`PoolClosedAfterLoop.close` once ``shutdown`` has returned, i.e. once the loop has ended.
  A job handed over in between runs as any late job does: the row it is about decides (docs/scheduling.md).
"""

from __future__ import annotations

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore


class JobStoreOnSharedEngine(SQLAlchemyJobStore):
    def shutdown(self) -> None:
        """The engine is the bot's, not this store's: nothing to close."""


class PoolClosedAfterLoop(ThreadPoolExecutor):
    def __init__(self, max_workers: int) -> None:
        super().__init__(max_workers)
        self._wait = True

    def shutdown(self, wait: bool = True) -> None:
        """Called by the scheduler's ``shutdown`` while its loop may still run: only noted (see :meth:`close`)."""
        self._wait = wait

    def close(self) -> None:
        """After the scheduler's loop thread has ended: the pool is shut down as ``shutdown`` asked."""
        super().shutdown(self._wait)
