"""Demo replacement plans for hosts past end of support: some with a date, some late, some without.

Works on the inventory demo's hosts; deterministic and idempotent (only fills empty fields).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import Host
from security.response.dates import local_today
from security.supply.eos import hosts_past_eos

PLANS = ["迁移至 openEuler 22.03 LTS", "替换为银河麒麟高级服务器操作系统 V10", "替换为统信服务器操作系统 V20"]


def load_demo(session: Session, *, today: dt.date | None = None) -> dict[str, int]:
    today = local_today(today)
    past = hosts_past_eos(session, today=today)
    ids = [row.host_id for row in past]
    hosts = {h.id: h for h in session.execute(select(Host).where(Host.id.in_(ids))).scalars()} if ids else {}
    for index, row in enumerate(past):
        host = hosts[row.host_id]
        if index % 3 == 2:
            continue  # a third keep no plan: they show up as hosts without a replacement plan
        if not host.replacement_plan:
            host.replacement_plan = PLANS[index % len(PLANS)]
        if host.replacement_date is None:
            # some planned dates have already passed, most lie ahead
            host.replacement_date = today + dt.timedelta(days=(index % 7 - 1) * 45)
    session.flush()
    planned = sum(1 for h in hosts.values() if h.replacement_plan)
    return {"停止支持的主机": len(past), "其中有替代计划": planned}
