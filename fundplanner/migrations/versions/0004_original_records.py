"""original records: the imported file kept with its catalogue, record numbers on candidates

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 21:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalogue", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("record_no", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.drop_column("record_no")
    with op.batch_alter_table("catalogue", schema=None) as batch_op:
        batch_op.drop_column("content")
