"""Rejected configuration edits: on the global chain beside the accepted versions, and told to the operators.

A running bot refuses an edit that fails validation (or takes something from
an open incident) and keeps the last good configuration
(:mod:`bot.config.reload`).  The manager who edited a rota must not go on
believing it is live, and an auditor sees attempted changes beside accepted
ones (``config.version``, :mod:`bot.audit.config_versions`): each rejected
edit puts one ``config.rejected`` event on the global chain (the files the
errors name with their SHA-256, the digest over every file, the number of
errors and the first one, the version still in force; never the YAML itself)
and one notice in the operations channel (:mod:`bot.outbox.operator_notices`),
in one unit of work.

An edit is its rejected content together with the last good configuration
version, the one still in force (both in the event: ``hash``, ``in_force``).
"Once" is decided in the database, by the notice's key (both digests), so the
watcher polling every few seconds, a SIGHUP, and the ``serve`` and
``scheduler`` processes reloading the same files all add nothing after the
first; content rejected before, saved again after a good edit of other content
was loaded, is a new edit, recorded and told again.  Two processes recording
the same edit at the same moment: the second one's insert fails on the key and
:func:`record_rejection` answers False.  What the key cannot tell apart: a
rejected content saved again after the very version in force when it was first
rejected was reloaded (e.g. reverted to it byte for byte) is the same edit.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Callable

from sqlalchemy.exc import IntegrityError

from bot.audit.trail import append_event
from bot.config.version import config_version
from bot.outbox.operator_notices import tell_operators
from bot.ports import Notice

log = logging.getLogger(__name__)

KIND = "config.rejected"
SHOWN_ERRORS = 5  # in the notice; `incident-bot check` lists every one


def notice_for(rejection: Any, running: Any) -> Notice:
    errors = list(rejection.errors)
    files = ", ".join(label for label, _ in rejection.files) or "the configuration"
    lines = [f"{len(errors)} error(s) in {files}:", *(f"• {e[:300]}" for e in errors[:SHOWN_ERRORS])]
    if len(errors) > SHOWN_ERRORS:
        lines.append(f"… and {len(errors) - SHOWN_ERRORS} more.")
    lines += [f"Nothing of this edit is in force: the bot keeps running on the last good configuration "
              f"({config_version(running).describe()}).",
              "Run `incident-bot check` on the files to see every error; once they pass, the bot loads them by itself "
              "(or on SIGHUP)."]
    return Notice(kind="config_rejected", title="Configuration edit rejected: the last good configuration stays in force",
                  lines=tuple(lines), fields=(("Content hash", rejection.digest[:12]),),
                  metadata={"config_rejected": rejection.digest})


def record_rejection(store: Any, running: Any, rejection: Any, at: datetime) -> bool:
    """The ``config.rejected`` event and the operators' notice of ``rejection`` (a
    :class:`bot.config.reload.Rejection`), once per edit (its content under the version in force); False when
    it was recorded already.  ``running``: the configuration still in force (it names the operations channel)."""
    in_force = config_version(running).digest
    try:
        with store.session() as session:
            if not tell_operators(session, running, cause=f"config-rejected:{rejection.digest}:{in_force}",
                                  notice=notice_for(rejection, running), at=at):
                return False
            errors = list(rejection.errors)
            append_event(session, incident_id=None, actor="system", kind=KIND, at=at,
                         summary=f"configuration edit rejected ({len(errors)} error(s) in "
                                 f"{', '.join(label for label, _ in rejection.files) or 'the configuration'}); "
                                 f"{config_version(running).describe()} stays in force"[:4000],
                         data={"hash": rejection.digest, "files": dict(rejection.files), "errors": len(errors),
                               "error": errors[0][:1000] if errors else "", "in_force": in_force})
        return True
    except IntegrityError:  # another process recorded the same edit at the same moment
        log.info("rejected configuration %s was recorded by another process", rejection.digest[:12])
        return False


def recorder(store: Any, clock: Any) -> Callable[[Any, Any], None]:
    """What ``serve`` and the ``scheduler`` pass to :meth:`bot.config.reload.ConfigHolder.on_rejected`."""
    def record(rejection: Any, running: Any) -> None:
        if record_rejection(store, running, rejection, clock.now()):
            log.warning("rejected configuration %s recorded on the global chain and told to #%s",
                        rejection.digest[:12], running.settings.operators_channel)
    return record
