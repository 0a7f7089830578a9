"""Alembic environment: runs fundplanner's migrations on the connection the store passes in.

Migrations run inside the caller's transaction (``store.upgrade(conn)``), so that creating a
project is all or nothing. ``render_as_batch`` lets SQLite alter tables (it copies them).
"""

from __future__ import annotations

from alembic import context

from fundplanner.store import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "fundplanner's migrations run through fundplanner.store.upgrade(conn), not the alembic CLI"
    )

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
