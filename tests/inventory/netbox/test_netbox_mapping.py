"""The pure NetBox → ledger mapping, without a NetBox."""

from __future__ import annotations

import datetime as dt

import pytest

from inventory.choices import HostKind, HostLifecycle
from inventory.netbox import mapping


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        ("openEuler 22.03 LTS", ("openEuler", "22.03 LTS")),
        ("Kylin V10", ("Kylin", "V10")),
        ("Windows Server 2019 Datacenter", ("Windows Server", "2019 Datacenter")),
        ("UOS-20", ("UOS", "20")),
        ("CentOS 7.9.2009", ("CentOS", "7.9.2009")),
        ("Windows Server 2019", ("Windows Server", "2019")),
        ("VMware ESXi", ("VMware ESXi", "")),
        ("", ("", "")),
    ],
)
def test_split_platform(platform: str, expected: tuple[str, str]) -> None:
    assert mapping.split_platform(platform) == expected


def test_vm_maps_every_field() -> None:
    record = {
        "id": 7,
        "name": "xf-web-01",
        "status": {"value": "active", "label": "Active"},
        "site": {"id": 1, "name": "县政务数据中心"},
        "cluster": {"id": 2, "name": "政务云一区"},
        "role": {"id": 3, "name": "Web 服务器", "slug": "web-server"},
        "tenant": {"id": 4, "name": "县教育局", "slug": "XF-JY"},
        "platform": {"id": 5, "name": "Kylin V10"},
        "primary_ip4": {"address": "10.20.0.5/24"},
        "primary_ip6": {"address": "2001:db8::5/64"},
        "tags": [{"slug": "tz-xf-jy-002"}, {"slug": "other"}, {"slug": "tz-"}],
        "custom_fields": {"taizhang_systems": "XF-JY-001，xf-wj-001; XF-JY-001"},
        "last_updated": "2026-11-26T10:00:00.123456Z",
    }
    host = mapping.host_from_record("vm", record, tag_prefix="tz-", system_field="taizhang_systems")
    assert (host.netbox_kind, host.netbox_id, host.tenant_id, host.problems) == ("vm", 7, 4, ())
    assert host.fields == {
        "hostname": "xf-web-01",
        "kind": HostKind.VIRTUAL,
        "ip_addresses": ["10.20.0.5", "2001:db8::5"],
        "os_name": "Kylin",
        "os_version": "V10",
        "location": "县政务数据中心 / 集群 政务云一区",
        "role": "web-server",
        "lifecycle": HostLifecycle.ACTIVE,
    }
    assert host.system_numbers == ("XF-JY-001", "XF-JY-002", "XF-WJ-001")
    assert host.last_updated == dt.datetime(2026, 11, 26, 10, 0, 0, 123456, tzinfo=dt.UTC)


def test_device_location_status_and_missing_parts() -> None:
    record = {
        "id": 9,
        "name": "xf-db-01",
        "status": {"value": "decommissioning"},
        "site": {"name": "县政务数据中心"},
        "location": {"name": "一号机房"},
        "rack": {"name": "A01"},
        "tenant": None,
        "platform": None,
        "primary_ip4": None,
        "role": None,
        "tags": [],
        "custom_fields": {},
    }
    host = mapping.host_from_record("device", record, tag_prefix="tz-", system_field="taizhang_systems")
    assert host.fields["kind"] == HostKind.PHYSICAL
    assert host.fields["location"] == "县政务数据中心 / 一号机房 / A01"
    assert host.fields["lifecycle"] == HostLifecycle.RETIRED
    assert (host.fields["os_name"], host.fields["ip_addresses"], host.fields["role"]) == ("", [], "")
    assert host.tenant_id is None and host.system_numbers == ()


def test_unnamed_device_is_a_problem_and_long_values_are_clipped() -> None:
    unnamed = mapping.host_from_record("device", {"id": 1, "name": None})
    assert unnamed.problems == ("没有名称",)
    long = mapping.host_from_record("vm", {"id": 2, "name": "x" * 300, "platform": {"name": "A" * 150}})
    assert len(long.fields["hostname"]) == 255 and len(long.fields["os_name"]) == 100
    with pytest.raises(ValueError, match="unknown NetBox kind"):
        mapping.host_from_record("rack", {"id": 3, "name": "r"})


def test_tenant_units_by_tenant_or_group() -> None:
    tenants = [
        {"id": 1, "name": "县教育局", "slug": "XF-JY", "group": {"slug": "county"}},
        {"id": 2, "name": "某乡镇", "slug": "XF-XZ", "group": None},
    ]
    assert mapping.tenant_units(tenants, "tenant") == {1: "XF-JY", 2: "XF-XZ"}
    assert mapping.tenant_units(tenants, "tenant_group") == {1: "county"}
    unit = mapping.unit_from_tenant(tenants[0])
    assert (unit.netbox_id, unit.code, unit.name) == (1, "XF-JY", "县教育局")


def test_no_systems_when_prefix_and_field_are_off() -> None:
    record = {"tags": [{"slug": "tz-xf-1"}], "custom_fields": {"taizhang_systems": "XF-1"}}
    assert mapping.system_numbers(record, tag_prefix="", system_field="") == ()
    assert mapping.address({"address": None}) is None
    assert mapping.parse_time(None) is None
