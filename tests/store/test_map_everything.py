"""serve and the scheduler worker map every table before starting threads: SQLAlchemy configures mappers on
first use, and a table class defined by one thread's import while another thread configures them made a
delivery's bookkeeping fail ("dictionary changed size during iteration") in the kill -9 fault suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_every_table_module_is_imported_and_nothing_is_left_to_configure():
    # In a fresh interpreter: this test process has imported every table long ago.
    code = (
        "import sys\n"
        "from sqlmodel import SQLModel\n"
        "from bot.store.schema import map_everything\n"
        "map_everything()\n"
        "tables = sorted(m for m in sys.modules if m.startswith('bot.') and m.endswith('.tables'))\n"
        "print(len(tables), SQLModel._sa_registry._new_mappers)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout
    count, pending = out.split()
    on_disk = [p for p in (REPO / "bot").rglob("tables.py")]
    assert int(count) == len(on_disk) and len(on_disk) >= 10
    assert pending == "False"  # every mapper configured: no first query has to do it
