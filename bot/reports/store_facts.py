"""What happened, from the store: pages sent, call-outs and recorded work, labor exceptions used, rest owed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, and_, or_, select

from bot.clock import ensure_utc
from bot.oncall.tables import Engagement, ExceptionUse, Page, RestDebt

# A page counts once it went out to the person: planned, held and cancelled pages never reached anyone.
COUNTED_PAGE_STATUSES = ("sent", "acked", "declined", "escalated")
PAD = timedelta(days=2)  # people's local days differ from UTC by less than this


@dataclass
class StoreFacts:
    pages: list[Page] = field(default_factory=list)
    engagements: list[Engagement] = field(default_factory=list)
    exceptions: list[ExceptionUse] = field(default_factory=list)
    debts: list[RestDebt] = field(default_factory=list)  # the rest ledger: rest owed in the range


def page_time(page: Page) -> datetime:
    return page.sent_at or page.page_at


def load_facts(session: Session, start: datetime, end: datetime, targets: set[str] | None = None) -> StoreFacts:
    """Rows touching ``[start - 2 days, end + 2 days)``; callers clip to each person's own local days.

    ``targets``: only pages to these rotations/policies, and the call-outs and exception uses that
    came from those pages.
    """
    lo, hi = ensure_utc(start) - PAD, ensure_utc(end) + PAD
    page_q = select(Page).where(Page.status.in_(COUNTED_PAGE_STATUSES),  # type: ignore[attr-defined]
                                or_(and_(Page.sent_at.is_not(None), Page.sent_at >= lo, Page.sent_at < hi),  # type: ignore[union-attr]
                                    and_(Page.sent_at.is_(None), Page.page_at >= lo, Page.page_at < hi)))  # type: ignore[union-attr]
    eng_q = select(Engagement).where(Engagement.start < hi, or_(Engagement.end.is_(None), Engagement.end > lo))  # type: ignore[union-attr]
    exc_q = select(ExceptionUse).where(ExceptionUse.at >= lo, ExceptionUse.at < hi)
    debt_q = select(RestDebt).where(RestDebt.owed_since >= lo, RestDebt.owed_since < hi)
    if targets is not None:
        page_ids = select(Page.id).where(Page.target.in_(sorted(targets)))  # type: ignore[attr-defined]
        page_q = page_q.where(Page.target.in_(sorted(targets)))  # type: ignore[attr-defined]
        eng_q = eng_q.where(Engagement.page_id.in_(page_ids))  # type: ignore[union-attr]
        exc_q = exc_q.where(ExceptionUse.page_id.in_(page_ids))  # type: ignore[union-attr]
        debt_q = debt_q.where(RestDebt.incident_id.in_(select(Page.incident_id).where(  # type: ignore[union-attr]
            Page.target.in_(sorted(targets)))))  # type: ignore[attr-defined]
    return StoreFacts(list(session.exec(page_q.order_by(Page.id)).all()),
                      list(session.exec(eng_q.order_by(Engagement.id)).all()),
                      list(session.exec(exc_q.order_by(ExceptionUse.id)).all()),
                      list(session.exec(debt_q.order_by(RestDebt.id)).all()))
