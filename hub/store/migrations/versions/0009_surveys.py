"""surveys get their own tables: delivered batches and respondents move out of the link table

The link table held them as key-value rows (`batch:<date>` / `kcm:batch`, `respondent:<key>` /
`kcm:respondent`). The upgrade copies them over and deletes them from `links`; the downgrade copies them
back. Candidates (one per appointment) stay in `links`.

Revision ID: 0009_surveys
Revises: 0008_gate
Create Date: 2026-12-06 10:50:00
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import hub.store.tables

revision = '0009_surveys'
down_revision = '0008_gate'
branch_labels = None
depends_on = None

BATCH, RESPONDENT = "kcm:batch", "kcm:respondent"
BATCH_PREFIX, RESPONDENT_PREFIX = "batch:", "respondent:"


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _tables() -> tuple[sa.Table, sa.Table, sa.Table]:
    utc = hub.store.tables.UtcDateTime(timezone=True)
    meta = sa.MetaData()
    links = sa.Table('links', meta, sa.Column('appointment_id', sa.String(500)), sa.Column('peer', sa.String(100)),
                     sa.Column('remote_id', sa.String(500)), sa.Column('last_version', sa.Integer()),
                     sa.Column('content_hash', sa.String(64)), sa.Column('data', sa.JSON(none_as_null=True)),
                     sa.Column('updated_at', utc))
    batches = sa.Table('survey_batches', meta, sa.Column('visit_date', sa.Date()),
                       sa.Column('file_name', sa.String(500)), sa.Column('sha256', sa.String(64)),
                       sa.Column('invitations', sa.Integer()),
                       sa.Column('delivered_at', utc), sa.Column('updated_at', utc))
    respondents = sa.Table('survey_respondents', meta, sa.Column('respondent_key', sa.String(500)),
                           sa.Column('last_invited', sa.Date()), sa.Column('updated_at', utc))
    return links, batches, respondents


def upgrade() -> None:
    op.create_table('survey_batches',
    sa.Column('visit_date', sa.Date(), nullable=False),
    sa.Column('file_name', sa.String(length=500), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('invitations', sa.Integer(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('visit_date'),
    )
    op.create_table('survey_respondents',
    sa.Column('respondent_key', sa.String(length=500), nullable=False),
    sa.Column('last_invited', sa.Date(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('respondent_key'),
    )
    links, batches, respondents = _tables()
    conn = op.get_bind()
    batch_rows: list[dict[str, Any]] = []
    respondent_rows: list[dict[str, Any]] = []
    for row in conn.execute(sa.select(links).where(links.c.peer.in_([BATCH, RESPONDENT]))).mappings():
        if not row['remote_id']:
            continue  # never delivered / never invited: the flow ignores such rows
        if row['peer'] == BATCH:
            data = row['data'] or {}
            delivered = data.get('deliveredAt')
            batch_rows.append({
                'visit_date': date.fromisoformat(row['appointment_id'].removeprefix(BATCH_PREFIX)),
                'file_name': row['remote_id'], 'sha256': row['content_hash'],
                'invitations': int(data.get('count', 0)),
                'delivered_at': _utc(datetime.fromisoformat(delivered)) if delivered else row['updated_at'],
                'updated_at': row['updated_at']})
        else:
            respondent_rows.append({
                'respondent_key': row['appointment_id'].removeprefix(RESPONDENT_PREFIX),
                'last_invited': date.fromisoformat(row['remote_id']), 'updated_at': row['updated_at']})
    if batch_rows:
        conn.execute(batches.insert(), batch_rows)
    if respondent_rows:
        conn.execute(respondents.insert(), respondent_rows)
    conn.execute(links.delete().where(links.c.peer.in_([BATCH, RESPONDENT])))


def downgrade() -> None:
    links, batches, respondents = _tables()
    conn = op.get_bind()
    rows: list[dict[str, Any]] = []
    for b in conn.execute(sa.select(batches)).mappings():
        rows.append({'appointment_id': f"{BATCH_PREFIX}{b['visit_date'].isoformat()}", 'peer': BATCH,
                     'remote_id': b['file_name'], 'last_version': None, 'content_hash': b['sha256'],
                     'data': {'count': b['invitations'], 'deliveredAt': _utc(b['delivered_at']).isoformat()},
                     'updated_at': b['updated_at']})
    for r in conn.execute(sa.select(respondents)).mappings():
        rows.append({'appointment_id': f"{RESPONDENT_PREFIX}{r['respondent_key']}", 'peer': RESPONDENT,
                     'remote_id': r['last_invited'].isoformat(), 'last_version': None, 'content_hash': None,
                     'data': None, 'updated_at': r['updated_at']})
    if rows:
        conn.execute(links.insert(), rows)
    op.drop_table('survey_respondents')
    op.drop_table('survey_batches')
