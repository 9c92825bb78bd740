"""Write a new migration revision for what the table modules changed.

    python -m bot.store.autogenerate "add the outbox" --rev-id outbox

The first release shipped revision ``0001``; every later schema change is a new
revision on top of the current head (never an edit of a released one).  The
script migrates an empty SQLite database to the head, compares it with the
table modules and writes the difference as ``<rev-id>_<slug>.py``.

Branches that add revisions in parallel: after rebasing, point your
revision's ``down_revision`` at the head you rebased onto so there is one head
(``tests/store/test_migrations.py`` fails on two heads or on drift).
"""

from __future__ import annotations

import argparse
import re
import tempfile
from pathlib import Path

from alembic import command

from bot.store.database import make_engine
from bot.store.migrate import MIGRATIONS_DIR, alembic_config, upgrade


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("message", help='what changed, e.g. "add the outbox"')
    parser.add_argument("--rev-id", help="short unique revision id (default: a slug of the message)")
    args = parser.parse_args(argv)
    rev_id = args.rev_id or re.sub(r"[^a-z0-9]+", "_", args.message.lower()).strip("_")[:32]
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'empty.db'}")
        upgrade(engine)
        with engine.begin() as connection:
            cfg = alembic_config(engine)
            cfg.attributes["connection"] = connection
            script = command.revision(cfg, message=args.message, autogenerate=True, rev_id=rev_id)
        engine.dispose()
    path = Path(script.path) if script is not None and not isinstance(script, list) else MIGRATIONS_DIR / "versions"
    print(f"wrote {path}; read it before committing (Alembic cannot see renames)")


if __name__ == "__main__":
    main()
