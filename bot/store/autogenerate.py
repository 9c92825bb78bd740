"""Regenerate the initial migration from the table modules (pre-release only).

Run ``make migration`` (``python -m bot.store.autogenerate``) after changing a
``tables`` module.  Once the bot has been released, add new revisions instead
of regenerating this one.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from bot.store.database import make_engine
from bot.store.migrate import MIGRATIONS_DIR, alembic_config

INITIAL = "0001"


def main() -> None:
    versions = MIGRATIONS_DIR / "versions"
    versions.mkdir(exist_ok=True)
    for old in versions.glob(f"{INITIAL}_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'empty.db'}")
        with engine.begin() as connection:
            cfg = alembic_config(engine)
            cfg.attributes["connection"] = connection
            command.revision(cfg, message="initial schema", autogenerate=True, rev_id=INITIAL)
        engine.dispose()
    print(f"regenerated {next(versions.glob(f'{INITIAL}_*.py'))}")


if __name__ == "__main__":
    main()
