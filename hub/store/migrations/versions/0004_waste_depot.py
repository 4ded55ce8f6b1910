"""waste-depot gate: bookings, pass list, visits, scans

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 04:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hub.store.tables

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    utc = hub.store.tables.UtcDateTime(timezone=True)
    op.create_table('waste_depot_bookings',
    sa.Column('appointment_id', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('start', utc, nullable=False),
    sa.Column('end', utc, nullable=False),
    sa.Column('location_id', sa.String(length=200), nullable=False),
    sa.Column('qr_code', sa.String(length=500), nullable=False),
    sa.Column('pass_key', sa.String(length=64), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('updated_at', utc, nullable=False),
    sa.PrimaryKeyConstraint('appointment_id'),
    sa.UniqueConstraint('qr_code'),
    )
    op.create_index('ix_waste_depot_bookings_start', 'waste_depot_bookings', ['start'])
    op.create_table('waste_depot_passes',
    sa.Column('pass_key', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('visits_used', sa.Integer(), nullable=False),
    sa.Column('refreshed_at', utc, nullable=False),
    sa.PrimaryKeyConstraint('pass_key'),
    )
    op.create_table('waste_depot_visits',
    sa.Column('appointment_id', sa.String(length=200), nullable=False),
    sa.Column('pass_key', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('gate_id', sa.String(length=100), nullable=False),
    sa.Column('allowed_at', utc, nullable=False),
    sa.Column('visits_left', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('appointment_id'),
    )
    op.create_index('ix_waste_depot_visits_pass_year', 'waste_depot_visits', ['pass_key', 'year'])
    op.create_table('waste_depot_scans',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', utc, nullable=False),
    sa.Column('gate_id', sa.String(length=100), nullable=False),
    sa.Column('appointment_id', sa.String(length=200), nullable=True),
    sa.Column('pass_key', sa.String(length=64), nullable=True),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_waste_depot_scans_at', 'waste_depot_scans', ['at'])


def downgrade() -> None:
    op.drop_index('ix_waste_depot_scans_at', table_name='waste_depot_scans')
    op.drop_table('waste_depot_scans')
    op.drop_index('ix_waste_depot_visits_pass_year', table_name='waste_depot_visits')
    op.drop_table('waste_depot_visits')
    op.drop_table('waste_depot_passes')
    op.drop_index('ix_waste_depot_bookings_start', table_name='waste_depot_bookings')
    op.drop_table('waste_depot_bookings')
