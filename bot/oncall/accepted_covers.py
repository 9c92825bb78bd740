"""Covers accepted in chat, read back from the database as overrides (:mod:`bot.oncall.covers` writes them;
:mod:`bot.oncall.history` and the reports read them)."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.clock import ensure_utc
from bot.oncall.tables import CoverRequest
from bot.oncall.team import ResolvedOverride


def as_override(cover: CoverRequest) -> ResolvedOverride:
    return ResolvedOverride(cover.rotation, cover.taker, ensure_utc(cover.start), ensure_utc(cover.end), cover.replaces,
                            f"{cover.reason} (cover #{cover.id})" if cover.reason else f"cover #{cover.id}")


def accepted_overrides(session: Session) -> tuple[ResolvedOverride, ...]:
    rows = session.exec(select(CoverRequest).where(CoverRequest.status == "accepted").order_by(CoverRequest.id)).all()
    return tuple(as_override(r) for r in rows)
