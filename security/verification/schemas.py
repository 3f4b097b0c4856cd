"""Read schemas of verification runs and results."""

from __future__ import annotations

import datetime as dt
from typing import Any

from security.verification.choices import CheckOutcome, RunStatus
from taizhang.schemas import ReadSchema


class RunRead(ReadSchema):
    id: int
    status: RunStatus
    requested_by: str
    filters: dict[str, Any]
    cancel_requested: bool
    timeout_seconds: int
    worker: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    summary: dict[str, Any]
    message: str


class ResultRead(ReadSchema):
    host_id: int
    check_id: str
    outcome: CheckOutcome
    evidence: str
    observed: dict[str, Any]
    checked_at: dt.datetime
    run_id: int | None
