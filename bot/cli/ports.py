"""The ports the lifecycle reaches the layers above it through, provided for every command before it runs.

Re-deriving reminder rows (:mod:`bot.outbox.resync`) is provided by importing ``bot.scheduling``, opening the
post-incident review (:mod:`bot.incidents.review_port`) by importing ``bot.learning``.  A process that changes an
incident without them fails loudly at its first change, so every process of the bot gets them in one place:
:func:`bot.cli.main` calls :func:`provide_ports` before it dispatches any command (``serve``, the ``scheduler``
worker, the ``drill``, ``web`` ... are commands; ``python -m bot`` is the same ``main``).

A command that never writes must not load the database stack (``tests/test_cli_imports.py``), so what is
installed here imports the providing package on first use, and importing it replaces this stand-in with the
package's own.  ``serve`` and the ``scheduler`` worker import both packages before starting any thread
(:func:`bot.store.schema.map_everything` imports every table module), so no thread imports them mid-way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.incidents import review_port
from bot.outbox import resync


class ResyncBySchedulingOnFirstUse:
    """:class:`bot.outbox.resync.Resync` until ``bot.scheduling`` is imported, which provides the real one."""

    def sync_incident(self, session: Any, config: Any, incident_id: int | None, at: datetime) -> Any:
        _import_scheduling()
        return resync.sync_incident(session, config, incident_id, at)

    def sync_group(self, session: Any, config: Any, group_id: int, at: datetime) -> Any:
        _import_scheduling()
        return resync.sync_group(session, config, group_id, at)


def _import_scheduling() -> None:
    import bot.scheduling  # noqa: F401  (provides bot.outbox.resync)

    if isinstance(resync.provided(), ResyncBySchedulingOnFirstUse):
        raise resync.NoResyncProvided("importing bot.scheduling did not provide bot.outbox.resync")


def open_review_by_learning_on_first_use(session: Any, config: Any, incident: Any, at: datetime, *,
                                         actor: str) -> Any:
    """:class:`bot.incidents.review_port.ReviewOpener` until ``bot.learning`` is imported, which provides the real one."""
    import bot.learning  # noqa: F401  (provides bot.incidents.review_port)

    if review_port.provided() is open_review_by_learning_on_first_use:
        raise review_port.NoReviewOpener("importing bot.learning did not provide bot.incidents.review_port")
    return review_port.open_review(session, config, incident, actor=actor, at=at)


def provide_ports() -> None:
    """Both ports, for whatever the command does; a package already imported keeps what it provided."""
    if not resync.is_provided():
        resync.provide(ResyncBySchedulingOnFirstUse())
    if not review_port.is_provided():
        review_port.provide(open_review_by_learning_on_first_use)
