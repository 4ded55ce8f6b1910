"""peer call stats for the operations console

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 07:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hub.store.tables

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('peer_call_stats',
    sa.Column('connector', sa.String(length=100), nullable=False),
    sa.Column('ok', sa.Integer(), nullable=False),
    sa.Column('errors', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.Column('last_error_at', hub.store.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('headroom_used', sa.Integer(), nullable=True),
    sa.Column('headroom_limit', sa.Integer(), nullable=True),
    sa.Column('updated_at', hub.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('connector')
    )


def downgrade() -> None:
    op.drop_table('peer_call_stats')
