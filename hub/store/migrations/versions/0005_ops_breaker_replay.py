"""circuit breaker per peer, resumable bulk replay runs, replay count and failing peer per delivery

Revision ID: 0005_ops_breaker_replay
Revises: 0004
Create Date: 2026-12-06 07:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hub.store.tables

revision = '0005_ops_breaker_replay'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    utc = hub.store.tables.UtcDateTime(timezone=True)
    with op.batch_alter_table('deliveries') as batch:
        batch.add_column(sa.Column('replays', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('peer', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('error_class', sa.String(length=100), nullable=True))
    op.create_table('peer_breakers',
    sa.Column('peer', sa.String(length=100), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('since', utc, nullable=True),
    sa.Column('until', utc, nullable=True),
    sa.Column('open_seconds', sa.Float(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=True),
    sa.Column('updated_at', utc, nullable=False),
    sa.PrimaryKeyConstraint('peer'),
    )
    op.create_table('replay_runs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('filter', sa.JSON(), nullable=False),
    sa.Column('upto_id', sa.Integer(), nullable=False),
    sa.Column('cursor', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('replayed', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('created_at', utc, nullable=False),
    sa.Column('updated_at', utc, nullable=False),
    sa.Column('finished_at', utc, nullable=True),
    sa.PrimaryKeyConstraint('id'),
    )


def downgrade() -> None:
    op.drop_table('replay_runs')
    op.drop_table('peer_breakers')
    with op.batch_alter_table('deliveries') as batch:
        batch.drop_column('error_class')
        batch.drop_column('peer')
        batch.drop_column('replays')
