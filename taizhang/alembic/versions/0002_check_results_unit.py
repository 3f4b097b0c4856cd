"""check results carry their host's unit

The exporter counts current host-check results by check, unit and outcome at every scrape. With
the unit only on ``hosts`` that meant joining every result to its host and sorting them all
(0.7 s of a province scrape on SQLite). ``check_results.unit_id`` is a copy of the host's unit,
filled here from ``hosts``, written by ingest from the host row, and carried along by a trigger
when a host moves to another unit (whatever path writes the host: API, sheet import, NetBox).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SQLITE_TRIGGER = """
CREATE TRIGGER trg_hosts_unit_to_check_results
AFTER UPDATE OF unit_id ON hosts
WHEN OLD.unit_id IS NOT NEW.unit_id
BEGIN
    UPDATE check_results SET unit_id = NEW.unit_id WHERE host_id = NEW.id;
END
"""

PG_FUNCTION = """
CREATE FUNCTION taizhang_check_results_follow_host_unit() RETURNS trigger AS $$
BEGIN
    UPDATE check_results SET unit_id = NEW.unit_id WHERE host_id = NEW.id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""

PG_TRIGGER = """
CREATE TRIGGER trg_hosts_unit_to_check_results
AFTER UPDATE OF unit_id ON hosts
FOR EACH ROW WHEN (OLD.unit_id IS DISTINCT FROM NEW.unit_id)
EXECUTE FUNCTION taizhang_check_results_follow_host_unit()
"""


def upgrade() -> None:
    with op.batch_alter_table("check_results", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
        batch_op.drop_index("ix_check_results_outcome")
        batch_op.create_index(
            "ix_check_results_outcome", ["outcome", "check_id", "unit_id", "host_id"], unique=False
        )
    op.execute(
        "UPDATE check_results SET unit_id = (SELECT hosts.unit_id FROM hosts WHERE hosts.id = check_results.host_id)"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    op.execute(
        "DROP TRIGGER IF EXISTS trg_hosts_unit_to_check_results"
        + (" ON hosts" if op.get_bind().dialect.name == "postgresql" else "")
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS taizhang_check_results_follow_host_unit()")
    with op.batch_alter_table("check_results", schema=None) as batch_op:
        batch_op.drop_index("ix_check_results_outcome")
        batch_op.create_index("ix_check_results_outcome", ["outcome", "check_id", "host_id"], unique=False)
        batch_op.drop_column("unit_id")
