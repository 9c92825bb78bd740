"""``effects.add_all``: an operation's outbox rows with one existence query and one flush, the same rows as
``effects.add`` one at a time (ids in the order written, keys already stored or repeated skipped)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlmodel import select

from bot.incidents.tables import Incident
from bot.outbox import effects
from bot.outbox.tables import Reminder

AT = datetime(2026, 12, 22, 10, 0, tzinfo=timezone.utc)
COLUMNS = ("kind", "incident_id", "target", "recipient", "due_at", "next_attempt_at", "state", "payload", "lane",
           "after_key", "created_at", "updated_at")


def _incident(s, number: int) -> int:
    row = Incident(number=number, title="t", description="", severity="sev2", playbook="sev2", private=False,
                   reporter="U1", declared_at=AT, facts={}, triggers={}, regimes=[], paged_targets=[], systems=[],
                   derived_facts={})
    s.add(row)
    s.flush()
    return row.id


def _effects(incident_id: int) -> list[dict]:
    lane = effects.incident_lane(incident_id)
    return [dict(key=f"incident:{incident_id}:channel", kind="create_channel", incident_id=incident_id, at=AT,
                 lane=lane, payload={"name": "inc-1"}),
            dict(key=f"incident:{incident_id}:welcome:0", kind="post", incident_id=incident_id, at=AT, lane=lane,
                 recipient=effects.INCIDENT_CHANNEL, payload={"n": 0}),
            dict(key=f"incident:{incident_id}:topic", kind="topic", incident_id=incident_id, at=AT, lane=lane,
                 payload={"topic": "x"}),
            dict(key=f"incident:{incident_id}:welcome:0", kind="post", incident_id=incident_id, at=AT, lane=lane,
                 payload={"n": "repeated key: skipped"}),
            dict(key=f"feed:{incident_id}", kind="post", incident_id=incident_id, at=AT, recipient="#incidents",
                 lane=f"incident:{incident_id}:to:#incidents", after_key=f"incident:{incident_id}:channel",
                 payload={"n": 1})]


def test_add_all_writes_the_same_rows_as_add_one_at_a_time_in_the_same_order(store):
    with store.session() as s:
        one, many = _incident(s, 1), _incident(s, 2)
        for e in _effects(one):
            effects.add(s, **e)
        # a key stored before the call is skipped and its row left as it was
        effects.add(s, key=f"incident:{many}:topic", kind="topic", incident_id=many, at=AT, payload={"topic": "old"})
        written = effects.add_all(s, _effects(many))
    assert written == [True, True, False, False, True]
    with store.session() as s:
        rows = s.exec(select(Reminder).order_by(Reminder.id)).all()
    first = [r for r in rows if r.incident_id == one]
    second = [r for r in rows if r.incident_id == many]
    assert [r.key.replace(f":{one}:", ":N:").replace(f":{one}", ":N") for r in first] == \
        [r.key.replace(f":{many}:", ":N:").replace(f":{many}", ":N") for r in [second[1], second[2], second[0], second[3]]]
    assert second[0].key.endswith(":topic") and second[0].payload == {"topic": "old"}
    fresh = second[1:]  # written by add_all: ids in the order of the list
    assert [r.key for r in fresh] == [f"incident:{many}:channel", f"incident:{many}:welcome:0", f"feed:{many}"]
    assert [r.id for r in fresh] == sorted(r.id for r in fresh)
    by_key = {r.key.replace(str(many), "N"): r for r in fresh}
    for r in first:
        if r.key.endswith(":topic"):
            continue
        twin = by_key[r.key.replace(str(one), "N")]
        assert {c: getattr(twin, c) for c in COLUMNS if c != "incident_id" and c != "lane" and c != "after_key"} == \
            {c: getattr(r, c) for c in COLUMNS if c != "incident_id" and c != "lane" and c != "after_key"}


def test_add_all_of_nothing_writes_nothing(store):
    with store.session() as s:
        assert effects.add_all(s, []) == []
    with store.session() as s:
        assert s.exec(select(Reminder)).all() == []
