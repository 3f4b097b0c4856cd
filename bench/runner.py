"""The benchmark registry and the benchmarks themselves. Each prints medians, never asserts."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.dataset import Scale


@dataclass
class Context:
    scale: Scale
    url: str
    scratch: Path
    counts: dict[str, int]
    cache: dict[str, Any] = field(default_factory=dict)


@dataclass
class Result:
    name: str
    value: float
    unit: str
    target: float | None = None
    higher_is_better: bool = False
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target if self.higher_is_better else self.value <= self.target

    @property
    def target_text(self) -> str:
        if self.target is None:
            return "—"
        return f"{'≥' if self.higher_is_better else '≤'} {self.target:g} {self.unit}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": round(self.value, 3),
            "unit": self.unit,
            "target": self.target,
            "higher_is_better": self.higher_is_better,
            "met": self.met,
            "note": self.note,
            **self.extra,
        }


@dataclass(frozen=True)
class Benchmark:
    name: str
    run: Callable[[Context], list[Result]]


BENCHMARKS: list[Benchmark] = []


def benchmark(name: str) -> Callable[[Callable[[Context], list[Result]]], Callable[[Context], list[Result]]]:
    def register(fn: Callable[[Context], list[Result]]) -> Callable[[Context], list[Result]]:
        BENCHMARKS.append(Benchmark(name, fn))
        return fn

    return register


def median_ms(fn: Callable[[], Any], repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


@contextmanager
def admin_client(context: Context) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from taizhang import db
    from taizhang.app import create_app
    from taizhang.auth import service
    from taizhang.auth.models import User
    from taizhang.auth.roles import Role

    if "token" not in context.cache:
        with db.session_scope(actor="bench") as session:
            user = session.query(User).filter_by(username="bench").one_or_none()
            if user is None:
                user = service.create_user(session, username="bench", role=Role.ADMIN)
            _, context.cache["token"] = service.create_token(session, user=user)
    with TestClient(create_app()) as client:
        client.headers["Authorization"] = f"Bearer {context.cache['token']}"
        yield client


import bench.suites  # noqa: E402,F401  (registers the benchmarks in order)
