"""Alembic environment: runs migrations against the URL the hub passes in."""

from __future__ import annotations

from alembic import context

import hub.store.ops_tables  # its tables belong to the metadata
import hub.store.survey_tables  # its tables belong to the metadata
import hub.store.waste_depot_tables  # noqa: F401 - its tables belong to the metadata
from hub.store.db import make_engine
from hub.store.tables import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url") or ""
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
