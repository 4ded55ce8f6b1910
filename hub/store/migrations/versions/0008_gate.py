"""waste-depot gate index: a change sequence the API processes poll, stamped on bookings and visits

Revision ID: 0008_gate
Revises: 0004
Create Date: 2026-12-06 07:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008_gate'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    state = op.create_table('waste_depot_state',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('passes_version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    )
    op.bulk_insert(state, [{'id': 1, 'seq': 0, 'passes_version': 0}])
    op.add_column('waste_depot_bookings', sa.Column('seq', sa.BigInteger(), nullable=False, server_default='0'))
    op.create_index('ix_waste_depot_bookings_seq', 'waste_depot_bookings', ['seq'])
    op.add_column('waste_depot_visits', sa.Column('seq', sa.BigInteger(), nullable=False, server_default='0'))
    op.create_index('ix_waste_depot_visits_seq', 'waste_depot_visits', ['seq'])


def downgrade() -> None:
    op.drop_index('ix_waste_depot_visits_seq', table_name='waste_depot_visits')
    with op.batch_alter_table('waste_depot_visits') as batch:
        batch.drop_column('seq')
    op.drop_index('ix_waste_depot_bookings_seq', table_name='waste_depot_bookings')
    with op.batch_alter_table('waste_depot_bookings') as batch:
        batch.drop_column('seq')
    op.drop_table('waste_depot_state')
