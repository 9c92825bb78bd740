"""rows of no incident chained: their baseline on the global chain

No schema change. From this revision on the evidence rows of no incident (an alert group's pages, call-outs, rest
owed, exceptions used, cover requests, web-view links) are chained on the global chain and compared with it. The
rows already there were never chained: once the upgrade has run, :func:`bot.audit.evidence.write_baseline` writes them,
as found, into one ``evidence.baseline`` event (in the upgrade's transaction, with the models of the schema the
upgrade reached). This revision only asks for it, so it is asked once per database.

Revision ID: evidence_baseline
Revises: sweep_watermark
Create Date: 2026-12-04 05:30:00.000000
"""
from typing import Sequence, Union

from alembic import context

revision: str = 'evidence_baseline'
down_revision: Union[str, None] = 'sweep_watermark'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BASELINE_DUE = "evidence_baseline_due"  # read by bot.audit.evidence_baseline


def upgrade() -> None:
    context.config.attributes[BASELINE_DUE] = True


def downgrade() -> None:
    pass  # the baseline event stays: the chain is append-only
