"""`audit verify-pack`: a JSON pack verified with the public key alone, after the database is gone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from bot.cli import main
from tests.audit.test_evidence_chain import clock, key, world  # noqa: F401  (fixtures)
from bot.audit.signing import public_pem


def _delete_database(store) -> None:
    if store.dialect == "sqlite":
        path = Path(store.engine.url.database)
        store.dispose()
        for file in path.parent.glob(path.name + "*"):
            file.unlink()
        assert not path.exists()
        return
    # Every table but alembic_version: the schema stays, as a restored empty database would have it; emptying
    # alembic_version too left later tests on the same PostgreSQL database believing nothing was migrated.
    names = [t for t in inspect(store.engine).get_table_names() if t != "alembic_version"]
    with store.engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"))


@pytest.fixture
def exported(store, world, key, database_url, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    pack, pub = tmp_path / "inc2.json", tmp_path / "audit.pub"
    pub.write_text(public_pem(key.public_key()))
    assert main(["export", "2", "--format", "json", "-o", str(pack)]) == 0
    assert pack.stat().st_mode & 0o777 == 0o600  # evidence names people: owner-only
    _delete_database(store)
    capsys.readouterr()
    return pack, pub


def _verify(pack, pub, capsys, *extra):
    code = main(["audit", "verify-pack", str(pack), "--public-key", str(pub), *extra])
    return code, capsys.readouterr().out


def test_a_pack_verifies_offline_after_the_database_is_deleted(exported, capsys):
    pack, pub = exported
    code, out = _verify(pack, pub, capsys)
    assert code == 0, out
    assert out.startswith("INC-2: verified;") and "signed up to event #" in out


def _edit(pack: Path, change) -> None:
    data = json.loads(pack.read_text())
    change(data)
    pack.write_text(json.dumps(data))


def _gdpr(data):
    return next(o for o in data["obligations"] if o["obligation"] == "gdpr.authority")


@pytest.mark.parametrize("change, words", [
    (lambda d: _gdpr(d).update(notified_at="2026-12-30T00:00:00+00:00", outcome="missed"),
     "obligations[0]: notified_at is"),
    (lambda d: d["timeline"].pop(), "the newest events were deleted"),
    (lambda d: d["timeline"][1].update(summary="DPO approved"), "event #2 (role.assigned): content differs"),
    (lambda d: d["roles"].append(dict(d["roles"][0])), "roles: the pack shows"),
    (lambda d: d["incident"].update(severity="minor"), "incident: severity is 'minor' in the pack"),
    (lambda d: d["audit"]["checkpoint"]["checkpoint"].update(at="2030-01-01T00:00:00+00:00"),
     "signature does not verify"),
    (lambda d: d["audit"].update(checkpoint=None), "carries no signed checkpoint"),
])
def test_an_altered_pack_is_not_verified(exported, capsys, change, words):
    pack, pub = exported
    _edit(pack, change)
    code, out = _verify(pack, pub, capsys)
    assert code == 1 and "NOT VERIFIED" in out and words in out, out


def test_another_public_key_does_not_verify_the_pack(exported, capsys, tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pack, _ = exported
    other = tmp_path / "other.pub"
    other.write_text(public_pem(Ed25519PrivateKey.generate().public_key()))
    code, out = _verify(pack, other, capsys)
    assert code == 1 and "signature does not verify with the public key" in out, out


def test_the_pack_serialisation_documented_in_docs_audit_md(exported):
    """docs/audit.md gives the hash material; recompute one event's hash by hand from it."""
    import hashlib

    pack, _ = exported
    first = json.loads(pack.read_text())["timeline"][0]
    at = first["at"].replace("+00:00", "")
    instant = (at if "." in at else at + ".000000") + "Z"
    assert first["digest_version"] == 3  # the version is the last element of the material
    material = json.dumps([first["chain"], first["seq"], instant, first["actor"], first["kind"],
                           first["content_digest"], first["prev_hash"], 3], separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(material.encode()).hexdigest() == first["hash"]


def test_an_anchor_file_with_an_altered_line_does_not_verify_the_pack(exported, world, capsys, tmp_path):
    """As `audit verify --anchor` does: a line that is no longer a checkpoint (truncated, edited) may have been the
    one that contradicts the pack, so the pack is not verified against that file."""
    pack, pub = exported
    _svc, anchor = world
    altered = tmp_path / "altered.jsonl"
    line = anchor.read_text().splitlines()[-1]
    altered.write_text(anchor.read_text() + line[: len(line) // 2] + "\n")
    code, out = _verify(pack, pub, capsys, "--anchor", str(altered))
    assert code == 1 and "NOT VERIFIED" in out and "not a checkpoint line" in out, out
