"""Run an operation at most once per caller-chosen key.

The key row is inserted *before* the work, in the same unit of work.  The
primary key makes a concurrent replay wait for the first transaction
(PostgreSQL blocks on the unique index; SQLite serialises writers with
``BEGIN IMMEDIATE``) and then fail the insert, after which it reads the stored
result.  If the first attempt fails, nothing is stored and a retry does the
work again.

The work decides under one configuration: its version is recorded with every
event it appends (``session.info``, see :func:`bot.audit.trail.append_event`),
and if a reload replaced the configuration while the work ran, the work is
rolled back and done again under the new one, so no event names a version
other than the one that decided.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.incidents import effects
from bot.audit.config_versions import decide_under
from bot.config.version import config_version
from bot.incidents.codec import from_json, to_json
from bot.incidents.context import Context
from bot.incidents.errors import Conflict, InvalidRequest, KeyReused
from bot.incidents.tables import IdempotencyRecord

T = TypeVar("T")
MAX_KEY = 200


class _ConfigReloaded(Exception):
    """The configuration was reloaded while the work ran: it may have decided under two versions."""


def _reloaded(ctx: Context, config: Any) -> bool:
    """Whether the configuration now in force has other content than ``config`` (same object: no)."""
    now = ctx.config()
    return now is not config and config_version(now).digest != config_version(config).digest


def _stored(ctx: Context, key: str, operation: str, result_type: type[T]) -> T | None:
    with ctx.store.session() as s:
        record = s.get(IdempotencyRecord, key)
        if record is None:
            return None
        if record.operation != operation:
            raise KeyReused(f'the request key "{key}" was already used for {record.operation}, not {operation}; '
                            "send a new key for a new request")
        result = from_json(result_type, record.result)
        return dataclasses.replace(result, replayed=True) if hasattr(result, "replayed") else result


def run_once(ctx: Context, key: str, operation: str, result_type: type[T], work: Callable[[Session], T]) -> T:
    """Do ``work(session)`` once for ``key``; a replay returns the first result with ``replayed=True``.

    The effects the result asks for (channel, posts, invites, the answer to the person) are written to
    the outbox in the same unit of work, so they happen if and only if the change does."""
    if not key or len(key) > MAX_KEY:
        raise InvalidRequest(f"expected a request key of 1 to {MAX_KEY} characters, got {len(key or '')} characters")
    for attempt in range(3):
        previous = _stored(ctx, key, operation, result_type)
        if previous is not None:
            return previous
        try:
            with ctx.store.session() as s:
                record = IdempotencyRecord(key=key, operation=operation, result={}, created_at=ctx.now())
                s.add(record)
                s.flush()  # claim the key now: a concurrent replay waits here, then fails on the primary key
                config = ctx.config()
                decide_under(s, config, ctx.now())
                result = work(s)
                effects.record(s, ctx, key, result)
                if _reloaded(ctx, config):
                    raise _ConfigReloaded()
                record.result = to_json(result)
                s.add(record)
            return result
        except _ConfigReloaded:
            continue  # rolled back: decide again, under the configuration now in force
        except IntegrityError:
            # Either a concurrent replay stored the result (read it on the next pass), or a concurrent
            # different request took the same incident number or row: run the work again.
            if attempt == 2:
                raise
    raise Conflict("the configuration was reloaded three times while this request ran; nothing was changed, "
                   "send it again")
