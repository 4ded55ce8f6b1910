"""trace context on the inbox; the audit log becomes the processing log (Logboek Dataverwerkingen fields)

Existing audit rows get what LDV asks for that they can give: a trace id and span id of their own (a new
trace each: they were made before trace context existed), `name` from the action, `status` from the outcome,
`start_time`/`end_time` from `at`, and the default processing activity of their flow (or of the actor's kind).
They never held personal data, so they name no data subject.

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-06 07:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hub.store.tables

revision = '0007'
down_revision = '0006_ops_alerts_drift'
branch_labels = None
depends_on = None

#: Keep in step with hub.observability_settings.DEFAULT_ACTIVITY_PREFIX (a migration imports no settings).
ACTIVITY_PREFIX = "urn:afsprakenhub:processing-activity:"


def upgrade() -> None:
    utc = hub.store.tables.UtcDateTime(timezone=True)
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('traceparent', sa.String(length=55), nullable=True))
        batch_op.add_column(sa.Column('tracestate', sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column('caller_traceparent', sa.String(length=55), nullable=True))
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trace_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('span_id', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('parent_span_id', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('status', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('start_time', utc, nullable=True))
        batch_op.add_column(sa.Column('end_time', utc, nullable=True))
        batch_op.add_column(sa.Column('processing_activity_id', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('data_subject_id_type', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('data_subject_id', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('data_subject_index', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('foreign_trace_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('foreign_span_id', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('foreign_processor', sa.String(length=500), nullable=True))
        batch_op.create_index('ix_audit_log_trace', ['trace_id', 'span_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_data_subject_index'), ['data_subject_index'], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        trace_id, span_id = "md5(random()::text || id::text)", "substr(md5(random()::text || id::text), 1, 16)"
        actor_kind = "split_part(actor, ':', 1)"
    else:
        trace_id, span_id = "lower(hex(randomblob(16)))", "lower(hex(randomblob(8)))"
        actor_kind = "CASE WHEN instr(actor, ':') > 0 THEN substr(actor, 1, instr(actor, ':') - 1) ELSE actor END"
    # One statement however many rows: the activity is the flow's default, else the actor's kind ("cli", "console").
    op.execute(sa.text(f"""
        UPDATE audit_log SET trace_id = {trace_id}, span_id = {span_id}, name = action,
            status = CASE WHEN outcome IN ('failed', 'error', 'dead') THEN 'Error' ELSE 'Ok' END,
            start_time = at, end_time = at,
            processing_activity_id = :prefix || COALESCE(flow, {actor_kind})
        WHERE trace_id IS NULL
    """).bindparams(prefix=ACTIVITY_PREFIX))


def downgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_data_subject_index'))
        batch_op.drop_index('ix_audit_log_trace')
        for name in ('foreign_processor', 'foreign_span_id', 'foreign_trace_id', 'data_subject_index',
                     'data_subject_id', 'data_subject_id_type', 'processing_activity_id', 'end_time',
                     'start_time', 'status', 'name', 'parent_span_id', 'span_id', 'trace_id'):
            batch_op.drop_column(name)
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        for name in ('caller_traceparent', 'tracestate', 'traceparent'):
            batch_op.drop_column(name)
