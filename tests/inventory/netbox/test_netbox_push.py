"""``taizhang netbox push`` writes the compliance view into NetBox custom fields (real NetBox)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_netbox_sync import make_client, seed_ledger
from typer.testing import CliRunner

from inventory.models import Host
from inventory.netbox import push as push_service
from inventory.netbox import sync as sync_service
from security.findings.compliance import host_compliance
from security.findings.engine import evaluate
from taizhang.cli import app

pytestmark = pytest.mark.netbox
runner = CliRunner()


def custom_fields(client: Any, path: str, netbox_id: int) -> dict[str, Any]:
    (record,) = client.list(path, id=[netbox_id])
    return {
        k: v
        for k, v in record["custom_fields"].items()
        if k.startswith("taizhang_") and k != "taizhang_systems"
    }


def test_push_creates_fields_and_writes_the_ledger_values(
    session: Session, county: dict[str, Any], netbox_env: Any
) -> None:
    seed_ledger(session)
    client = make_client(netbox_env)
    sync_service.sync(session, client, sync_service.SyncOptions())
    session.commit()
    web = session.execute(select(Host).where(Host.hostname == "xf-web-01")).scalar_one()

    def provider(_session: Session, host_ids: Sequence[int]) -> Mapping[int, push_service.HostCompliance]:
        assert web.id in host_ids
        return {web.id: push_service.HostCompliance(open_findings=2, last_verification="通过（2026-11-20）")}

    db01_before = custom_fields(client, "dcim.devices", county["devices"]["db01"].id)
    preview = push_service.push(session, client, provider=provider, dry_run=True)
    assert preview.dry_run and all(c["netbox_id"] for c in preview.changes)
    push_service.push(session, client, provider=provider)
    fields = {f["name"]: f for f in client.list("extras.custom_fields")}
    for name in (
        "taizhang_hosting",
        "taizhang_mlps_level",
        "taizhang_open_findings",
        "taizhang_last_verification",
    ):
        assert set(fields[name]["object_types"]) >= {"dcim.device", "virtualization.virtualmachine"}
    assert fields["taizhang_hosting"]["choice_set"]["name"] == "taizhang-hosting"

    def plain(values: dict[str, Any]) -> dict[str, Any]:
        hosting = values["taizhang_hosting"]
        return values | {
            "taizhang_hosting": sorted(h["value"] if isinstance(h, dict) else h for h in hosting or [])
        }

    db01 = plain(custom_fields(client, "dcim.devices", county["devices"]["db01"].id))
    assert db01 == {
        "taizhang_hosting": ["city_cloud"],
        "taizhang_mlps_level": 3,
        # the provider knows nothing of db01: left as an earlier run (the CLI below) wrote them
        "taizhang_open_findings": db01_before.get("taizhang_open_findings"),
        "taizhang_last_verification": db01_before.get("taizhang_last_verification"),
    }
    web01 = plain(custom_fields(client, "virtualization.virtual_machines", county["vms"]["web01"].id))
    assert web01 == {
        "taizhang_hosting": ["city_cloud", "legacy"],
        "taizhang_mlps_level": 3,
        "taizhang_open_findings": 2,
        "taizhang_last_verification": "通过（2026-11-20）",
    }
    app02 = plain(custom_fields(client, "virtualization.virtual_machines", county["vms"]["app02"].id))
    assert (app02["taizhang_hosting"], app02["taizhang_mlps_level"]) == (["legacy"], 2)
    bare = plain(custom_fields(client, "virtualization.virtual_machines", county["vms"]["bare"].id))
    assert (bare["taizhang_hosting"], bare["taizhang_mlps_level"]) == ([], None)

    again = push_service.push(session, client, provider=provider)
    assert again.updated == {"device": 0, "vm": 0} and again.created_fields == []
    # the CLI's provider is the findings one: open findings of the host and its systems
    evaluate(session, today=dt.date(2026, 11, 20))
    session.commit()
    want = host_compliance(session, [web.id])[web.id]
    cli = runner.invoke(app, ["netbox", "push"])
    assert cli.exit_code == 0, cli.output
    assert "已回写" in cli.output
    web01 = custom_fields(client, "virtualization.virtual_machines", county["vms"]["web01"].id)
    assert web01["taizhang_open_findings"] == want.open_findings
    assert web01["taizhang_last_verification"] == "通过（2026-11-20）"  # never verified: left as it was
    again_cli = runner.invoke(app, ["netbox", "push"])
    assert "已回写：更新 0 台" in again_cli.output, again_cli.output
