"""``/oncall test-page``: a person checks that every method of their rules reaches them.

One notification row per method the person has an address for (SMS, call, email), due now, written in
one unit of work and delivered by the same worker as real pages; the Slack step is the reply itself.
The answer says what is queued, never that it arrived: it reports the outcome of the person's previous
test, as recorded by the worker, so a second ``/oncall test-page`` shows how the first went.
No labor rule is checked: the person asked for it.

A replay of the same request (Slack retrying, the same key) returns the first answer and writes nothing:
the key is claimed in an :class:`~bot.incidents.tables.IdempotencyRecord` in the unit of work that queues the
test (a concurrent replay waits on that row, then reads the stored answer), so there is one
``page.test_requested`` event and one SMS, call and email per request.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.audit.trail import append_event
from bot.incidents.tables import IdempotencyRecord
from bot.notify.plan import person_contact
from bot.notify.ports import mask
from bot.notify.tables import Notification
from bot.oncall.notification_rules import METHOD_NAMES

TEST_METHODS = ("sms", "voice", "email")
OPERATION = "test_page"


def _previous(session: Session, person_id: str) -> list[Notification]:
    rows = session.exec(select(Notification).where(Notification.person_id == person_id,
                                                   Notification.page_id == None)  # noqa: E711 - SQL IS NULL
                        .order_by(Notification.id.desc()).limit(len(TEST_METHODS))).all()  # type: ignore[union-attr]
    if not rows:
        return []
    batch = rows[0].key.rsplit(":", 1)[0]
    return [r for r in reversed(rows) if r.key.rsplit(":", 1)[0] == batch]


def _outcome(row: Notification) -> str:
    name = METHOD_NAMES[row.method]
    if row.state == "sent":
        return f"{name}: sent {row.sent_at:%H:%M:%S} UTC"
    if row.state in ("pending", "sending"):
        return f"{name}: not sent yet"
    return f"{name}: {row.state}: {row.outcome or ''}".rstrip(": ")


def request_test_page(session: Session, config, person_id: str, *, key: str, at: datetime,
                      actor: str) -> list[str]:
    """Queue a test on every method ``person_id`` has an address for; returns the lines of the reply."""
    previous = _previous(session, person_id)
    contact, _ = person_contact(config, person_id)
    lines = ["Slack: this message."]
    queued = []
    for index, method in enumerate(TEST_METHODS, start=1):
        address = contact.address(method)
        if not address:
            missing = "phone number" if method in ("sms", "voice") else "email address"
            lines.append(f"{METHOD_NAMES[method]}: no {missing} for you in config/people.yaml (contact).")
            continue
        row_key = f"test:{key}:{method}"
        if session.exec(select(Notification.id).where(Notification.key == row_key)).first() is None:
            session.add(Notification(key=row_key, page_id=None, incident_id=None, person_id=person_id, method=method,
                                     step=index, after_seconds=0, due_at=at, next_attempt_at=at, created_at=at,
                                     updated_at=at))
        queued.append(method)
        lines.append(f"{METHOD_NAMES[method]} to {mask(address)}: queued, due now.")
    if queued:
        session.flush()
        append_event(session, incident_id=None, actor=actor, kind="page.test_requested", at=at,
                     summary=f"test page for {person_id} on {', '.join(queued)}",
                     data={"person": person_id, "methods": queued, "key": key})
    if previous:
        lines.append("Your previous test: " + "; ".join(_outcome(r) for r in previous) + ".")
    return lines


def trial_text(method: str, person_name: str) -> tuple[str, str]:
    """Subject and text of a test page on ``method``."""
    how = {"sms": "by SMS", "voice": "by phone", "email": "by email"}[method]
    return ("Test page from incident-bot",
            f"Test page from incident-bot for {person_name}: this is how a page reaches you {how}. "
            "Nothing to do; real pages say how to answer.")


def answer_test_page(store, config, slack_user: str, *, key: str, at: datetime) -> str:
    """The whole ``/oncall test-page`` answer for the Slack user who asked (one unit of work); a replay of
    ``key`` returns the first answer and writes nothing."""
    from bot.oncall.directory import person_by_slack

    person_id = person_by_slack(config, slack_user)
    if person_id is None:
        return ("You are not in config/people.yaml, so there is nothing to test: ask a rota manager to add you "
                "with your phone and email (docs/paging.md).")
    first = _first_answer(store, key)
    if first is not None:
        return first
    try:
        with store.session() as s:
            record = IdempotencyRecord(key=key, operation=OPERATION, result={}, created_at=at)
            s.add(record)
            s.flush()  # claim the key first: a concurrent replay waits here, then fails on the primary key
            lines = request_test_page(s, config, person_id, key=key, at=at, actor=slack_user)
            text = "Test page for " + person_id + ":\n" + "\n".join(lines)
            record.result = {"text": text}
            s.add(record)
        return text
    except IntegrityError:
        first = _first_answer(store, key)  # a concurrent replay of this request claimed the key and committed
        if first is None:
            raise
        return first


def _first_answer(store, key: str) -> str | None:
    """The answer stored for ``key`` by the first request, or None if there was none."""
    with store.session() as s:
        record = s.get(IdempotencyRecord, key)
        if record is None:
            return None
        if record.operation != OPERATION:
            raise ValueError(f'expected a new request key for a test page, got "{key}", already used for '
                             f"{record.operation}")
        return str(record.result.get("text", ""))
