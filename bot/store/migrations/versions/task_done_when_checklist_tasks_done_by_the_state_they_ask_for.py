"""checklist tasks done by the state they ask for

Revision ID: task_done_when
Revises: evidence_baseline
Create Date: 2026-12-04 17:00:00

A task keeps its playbook's ``done_when`` (bot/incidents/task_rules.py). Rows chained before this revision have no
such column; the chain's comparison takes an absent column that is still empty as no edit (bot/audit/evidence.py).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'task_done_when'
down_revision: Union[str, None] = 'evidence_baseline'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('incident_task', sa.Column('done_when', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('incident_task') as batch:
        batch.drop_column('done_when')
