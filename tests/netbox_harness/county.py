"""A small county filled into a real NetBox through its API, with the values the ledger should get."""

from __future__ import annotations

from typing import Any

import pynetbox


def _one(endpoint: Any, **data: Any) -> Any:
    return endpoint.create(data)


def _ip(nb: Any, address: str, kind: str, interface_id: int) -> Any:
    assigned = "virtualization.vminterface" if kind == "vm" else "dcim.interface"
    return nb.ipam.ip_addresses.create(
        {"address": address, "assigned_object_type": assigned, "assigned_object_id": interface_id}
    )


def add_vm(nb: Any, county: dict[str, Any], name: str, **extra: Any) -> Any:
    data = {"name": name, "cluster": county["cluster"].id, "status": "active"} | extra
    return nb.virtualization.virtual_machines.create(data)


def fill(url: str, token: str) -> dict[str, Any]:
    """Tenants, a site with a rack, a cluster, two devices and three VMs; returns their objects."""
    nb = pynetbox.api(url, token=token)
    nb.extras.custom_fields.create(
        {
            "name": "taizhang_systems",
            "label": "台账系统编号",
            "type": "text",
            "object_types": ["dcim.device", "virtualization.virtualmachine"],
        }
    )
    group = _one(nb.tenancy.tenant_groups, name="县直部门", slug="county-departments")
    education = _one(nb.tenancy.tenants, name="县教育局", slug="XF-JY", group=group.id)
    health = _one(nb.tenancy.tenants, name="县卫生健康局", slug="XF-WJ", group=group.id)
    site = _one(nb.dcim.sites, name="县政务数据中心", slug="county-dc", status="active")
    location = _one(nb.dcim.locations, name="一号机房", slug="room-1", site=site.id)
    rack = _one(nb.dcim.racks, name="A01", site=site.id, location=location.id, status="active")
    maker = _one(nb.dcim.manufacturers, name="华为", slug="huawei")
    dtype = _one(nb.dcim.device_types, manufacturer=maker.id, model="TaiShan 200", slug="taishan-200")
    server = _one(nb.dcim.device_roles, name="数据库服务器", slug="db-server", color="2196f3", vm_role=True)
    web = _one(nb.dcim.device_roles, name="Web 服务器", slug="web-server", color="4caf50", vm_role=True)
    euler = _one(nb.dcim.platforms, name="openEuler 22.03 LTS", slug="openeuler-22-03")
    kylin = _one(nb.dcim.platforms, name="Kylin V10", slug="kylin-v10")
    ctype = _one(nb.virtualization.cluster_types, name="KVM", slug="kvm")
    cluster = _one(
        nb.virtualization.clusters, name="政务云一区", type=ctype.id, scope_type="dcim.site", scope_id=site.id
    )
    tag_jy = _one(nb.extras.tags, name="系统 XF-JY-001", slug="tz-xf-jy-001")
    db01 = _one(
        nb.dcim.devices,
        name="xf-db-01",
        device_type=dtype.id,
        role=server.id,
        site=site.id,
        location=location.id,
        rack=rack.id,
        tenant=education.id,
        platform=euler.id,
        status="active",
        tags=[tag_jy.id],
    )
    iface = _one(nb.dcim.interfaces, device=db01.id, name="eth0", type="1000base-t")
    ip = _ip(nb, "10.10.1.11/24", "device", iface.id)
    db01.update({"primary_ip4": ip.id})
    spare = _one(
        nb.dcim.devices,
        name="xf-spare-01",
        device_type=dtype.id,
        role=server.id,
        site=site.id,
        status="offline",
    )
    county: dict[str, Any] = {
        "nb": nb,
        "tenants": {"education": education, "health": health},
        "group": group,
        "site": site,
        "cluster": cluster,
        "roles": {"server": server, "web": web},
        "platforms": {"euler": euler, "kylin": kylin},
        "devices": {"db01": db01, "spare": spare},
    }
    web01 = add_vm(
        nb,
        county,
        "xf-web-01",
        tenant=education.id,
        role=web.id,
        platform=kylin.id,
        site=site.id,
        custom_fields={"taizhang_systems": "XF-JY-001, xf-wj-001"},
    )
    vif = nb.virtualization.interfaces.create({"virtual_machine": web01.id, "name": "eth0"})
    ip4 = _ip(nb, "10.20.0.5/24", "vm", vif.id)
    ip6 = _ip(nb, "2001:db8::5/64", "vm", vif.id)
    web01.update({"primary_ip4": ip4.id, "primary_ip6": ip6.id})
    app02 = add_vm(
        nb,
        county,
        "xf-app-02",
        tenant=health.id,
        platform=euler.id,
        custom_fields={"taizhang_systems": "XF-WJ-001"},
    )
    bare = add_vm(nb, county, "xf-bare-03")
    county["vms"] = {"web01": web01, "app02": app02, "bare": bare}
    return county
