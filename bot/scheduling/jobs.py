"""Job functions APScheduler calls: a stable public API.

Stored jobs name these functions by module path (``bot.scheduling.jobs:tick``)
and carry ids only.  Renaming or moving them breaks jobs already stored in the
database, so they stay here, small, and delegate to the running scheduler.
"""

from __future__ import annotations

import logging

from bot.scheduling import runtime

log = logging.getLogger(__name__)


def tick() -> None:
    """Periodic sweep: deliver everything due by the injected clock, plan near jobs, check leadership."""
    scheduler = runtime.current().scheduler
    if scheduler is None:
        log.warning("tick without a running scheduler; ignored")
        return
    scheduler.tick()


def checkpoint() -> None:
    """Periodic signed checkpoint of every audit chain (only when a signing key is configured)."""
    from bot.audit.checkpoints import checkpoint_quietly

    scheduler = runtime.current().scheduler
    if scheduler is not None:
        config = scheduler.context.config()
        checkpoint_quietly(scheduler.store, scheduler.clock.now(), audit_channel=config.settings.audit_channel,
                           config=config)


def fire_reminder(reminder_id: int) -> None:
    """A reminder's own date job: deliver that reminder if it is still pending and due."""
    scheduler = runtime.current().scheduler
    if scheduler is None:
        log.warning("reminder %s fired without a running scheduler; the next sweep delivers it", reminder_id)
        return
    scheduler.fire(int(reminder_id))
