"""alerts for functional administrators: one durable row per condition (dedupe across processes)

Revision ID: 0006_ops_alerts_drift
Revises: 0005_ops_breaker_replay
Create Date: 2026-12-06 07:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hub.store.tables

revision = '0006_ops_alerts_drift'
down_revision = '0005_ops_breaker_replay'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alerts',
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('scope', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('console_path', sa.String(length=300), nullable=False),
    sa.Column('opened_at', hub.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', hub.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', hub.store.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('notified_at', hub.store.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('resolved_notified_at', hub.store.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_send_error', sa.String(length=300), nullable=True),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alerts_resolved_at'), ['resolved_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alerts_resolved_at'))
    op.drop_table('alerts')
