"""Starting a real taizhang server (uvicorn) on a free loopback port for tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not come up within {timeout} s")


@contextmanager
def uvicorn_server(
    workers: int = 1, *, log_level: str = "warning", log_file: Path | None = None
) -> Iterator[str]:
    """Serve ``taizhang.asgi:app`` with the current environment's database; yields host:port.

    ``log_file`` receives the server's output (its log, access log included at ``info`` and below).
    """
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "taizhang.asgi:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        log_level,
    ]
    if workers > 1:
        command += ["--workers", str(workers)]
    output = log_file.open("w") if log_file is not None else None
    proc = subprocess.Popen(
        command, env=os.environ.copy(), stdout=output, stderr=subprocess.STDOUT if output else None
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/api/v1/status")
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if output is not None:
            output.close()
