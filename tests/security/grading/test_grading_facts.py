"""The facts the database picks for every system equal what ``facts_of`` picks out of its records.

Both feed the same rules (``dates.filing``, ``assessment_due``, ``crypto_assessment_due``,
``certificate_valid_until``); ``security_digests`` (the Prometheus gauges) must then say of each
system what the full status the pages show says.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest
from security_records import vary_security
from sqlalchemy import Engine

from inventory.demo import load_inventory
from security.grading.dates import CryptoDigest, MlpsDigest, facts_of
from security.grading.demo import load_demo
from security.grading.service import load_facts, load_records, security_digests, security_statuses
from taizhang import db


@pytest.mark.parametrize("today", [dt.date(2026, 6, 15), dt.date(2025, 12, 31)])
def test_database_facts_equal_the_records_facts(engine: Engine, today: dt.date) -> None:
    with db.session_scope(actor="test") as s:
        load_inventory(s)
        load_demo(s, today=today)
        vary_security(s, today=today, rng=random.Random(f"facts-{today}"))
    with db.session_scope(write=False) as s:
        systems, records = load_records(s)
        rows, extensions = load_facts(s)
        statuses = security_statuses(s, today=today)
        digests = security_digests(s, today=today)
    by_id = {system_id: (unit_id, facts) for system_id, unit_id, facts in rows}
    assert len(by_id) == len(systems) > 100
    for system in systems:
        assert by_id[system.id] == (system.owner_unit_id, facts_of(system, records[system.id])), system.id
        issued = by_id[system.id][1].certificate_issued_on
        later = sorted(
            a.assessed_on for a in records[system.id].assessments if issued and a.assessed_on > issued
        )
        assert sorted(extensions.get(system.id, [])) == later
    graded = [f for _, f in by_id.values() if f.grading_level is not None]
    assert len(graded) > 50 and any(f.filed_on for f in graded) and any(f.filed_on is None for f in graded)

    mlps_fields, crypto_fields = MlpsDigest._fields, CryptoDigest._fields
    expected = Counter(
        (
            row.owner_unit_id,
            MlpsDigest(*(getattr(row.mlps, f) for f in mlps_fields)),
            CryptoDigest(*(getattr(row.crypto, f) for f in crypto_fields)),
        )
        for row in statuses
    )
    got: Counter[tuple[int, MlpsDigest, CryptoDigest]] = Counter()
    for unit_id, mlps, crypto, systems in digests:
        got[(unit_id, mlps, crypto)] += systems
    assert got == expected
