"""The NetBox token never reaches a log record, the change log or the sync state, whatever happens:
a sync and a push preview with the token from the environment, a sync with ``--token``, a refused token,
every logger at DEBUG (urllib3 logs every request it sends, SQLAlchemy every statement)."""

from __future__ import annotations

from typing import Any

import pytest
from log_capture import all_logs_at_debug, assert_no_secret, changelog_text
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_netbox_sync import seed_ledger
from typer.testing import CliRunner

from inventory.netbox.models import NetboxSyncState
from taizhang.cli import app

pytestmark = pytest.mark.netbox
BAD = "nbt_tzBadKey0001.fedcba9876543210fedcba9876543210fedcba98"


def test_sync_and_push_log_no_netbox_token(session: Session, county: Any, netbox_env: Any) -> None:
    seed_ledger(session)
    runner = CliRunner()
    token = netbox_env.token
    with all_logs_at_debug() as logs:
        synced = runner.invoke(app, ["netbox", "sync", "--full"])
        assert synced.exit_code == 0, synced.output
        pushed = runner.invoke(app, ["netbox", "push", "--dry-run"])  # the shared NetBox stays as it is
        assert pushed.exit_code == 0, pushed.output
        given = runner.invoke(app, ["netbox", "sync", "--token", netbox_env.v1_token])
        assert given.exit_code == 0, given.output
        refused = runner.invoke(app, ["netbox", "sync", "--token", BAD])
        assert refused.exit_code == 2 and "NetBox 拒绝访问" in refused.output
    secrets = {
        "v2 token secret": token.rsplit(".", 1)[1],
        "v1 token": netbox_env.v1_token,
        "refused token secret": BAD.rsplit(".", 1)[1],
    }
    assert any("/api/virtualization/virtual-machines/" in t for t in logs.texts), "urllib3 was not captured"
    assert any("INSERT INTO hosts" in t for t in logs.texts), "SQLAlchemy was not captured"
    assert_no_secret(logs.texts, secrets, "log records")
    for result in (synced, pushed, given, refused):
        assert_no_secret([result.output], secrets, "the command's output")
    session.expire_all()
    assert_no_secret([changelog_text(session)], secrets, "the change log")
    states = session.execute(select(NetboxSyncState)).scalars().all()
    assert states and all(s.netbox_url == netbox_env.url for s in states)
