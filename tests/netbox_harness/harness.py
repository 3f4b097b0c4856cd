"""A real NetBox for tests and the benchmark, installed from PyPI and cached.

Steps (each idempotent, fast when cached under ``/var/cache/taizhang-ci/netbox-<version>/``):

1. ``ensure_venv``: a Python 3.12 venv with ``netbox==<version>`` (NetBox needs Python >= 3.12).
2. ``ensure_template``: a migrated template database ``netbox_template_<version>`` on the local
   PostgreSQL, with a superuser and two API tokens (v1 and v2) baked in. Migrating takes minutes of
   CPU, so the first run stores a ``pg_dump``; later runs restore the dump when the template is gone.
3. ``start``: a fresh database copied from the template (``createdb -T``, under a second), a
   configuration file, and gunicorn on a free loopback port; ``NetBox.stop`` tears it all down.

Timings of each step are printed to stderr so CI logs show where time goes.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

VERSION = os.environ.get("TAIZHANG_NETBOX_VERSION", "4.7.3")
CACHE = Path(os.environ.get("TAIZHANG_CI_CACHE", "/var/cache/taizhang-ci")) / f"netbox-{VERSION}"
VENV = CACHE / "venv"
TEMPLATE_DB = f"netbox_template_{VERSION.replace('.', '_')}"
DUMP = CACHE / f"{TEMPLATE_DB}.dump"
PG = {"host": "127.0.0.1", "port": "5432", "user": "postgres"}
REDIS_DBS = (13, 14)  # tasks, caching: numbers no other part of taizhang uses

# Fixed test-only secrets: the tokens baked into the template are hashed with this pepper.
SECRET_KEY = "taizhang-test-netbox-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
PEPPER = "taizhang-test-netbox-api-token-pepper-0123456789-abcdefghijklmnopqrstuvwxyz"
ADMIN = ("admin", "taizhang-Test-Admin-1")
V1_TOKEN = "0123456789abcdef0123456789abcdef01234567"
V2_KEY = "tzTestKey001"
V2_SECRET = "0123456789abcdef0123456789abcdef01234567"
V2_TOKEN = f"nbt_{V2_KEY}.{V2_SECRET}"


class HarnessError(RuntimeError):
    """The harness could not provide a NetBox; the message says which step failed and why."""


def _log(message: str) -> None:
    print(f"[netbox-harness] {message}", file=sys.stderr, flush=True)


def _run(cmd: list[str], *, env: dict[str, str] | None = None, timeout: float = 1800, what: str) -> str:
    try:
        proc = subprocess.run(
            cmd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HarnessError(f"{what} failed: {exc}") from exc
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout)[-3000:]
        raise HarnessError(f"{what} failed (exit {proc.returncode}):\n{tail}")
    return proc.stdout


@contextlib.contextmanager
def _lock(name: str) -> Iterator[None]:
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f".{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _python312() -> str:
    # A pyenv interpreter first: ``python3.12`` on PATH may be a pyenv shim that fails when 3.12 is
    # not the selected pyenv version.
    candidates = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.12.*/bin/python")))
    candidates += [p for p in (shutil.which("python3.12"),) if p]
    if not candidates:
        raise HarnessError("NetBox needs Python 3.12: neither ~/.pyenv/versions/3.12.* nor python3.12 found")
    return candidates[0]


def ensure_venv() -> Path:
    marker = VENV / f".netbox-{VERSION}-installed"
    with _lock("venv"):
        if marker.exists():
            return VENV
        started = time.monotonic()
        shutil.rmtree(VENV, ignore_errors=True)
        _run([_python312(), "-m", "venv", str(VENV)], what="creating the NetBox venv", timeout=300)
        pip = [str(VENV / "bin" / "pip"), "install", "-q", "--disable-pip-version-check"]
        _run([*pip, f"netbox=={VERSION}"], what=f"pip install netbox=={VERSION}", timeout=1800)
        marker.touch()
        _log(f"installed netbox {VERSION} in {time.monotonic() - started:.0f} s")
    return VENV


def _pg_args() -> list[str]:
    return ["-h", PG["host"], "-p", PG["port"], "-U", PG["user"]]


def _psql(sql: str) -> str:
    return _run(["psql", *_pg_args(), "-d", "postgres", "-Atc", sql], what=f"psql {sql[:40]}", timeout=120)


def _db_exists(name: str) -> bool:
    return _psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'").strip() == "1"


def _drop_db(name: str) -> None:
    _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _configuration(db_name: str) -> str:
    database: dict[str, object] = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": db_name,
        "USER": PG["user"],
    }
    database |= {"PASSWORD": "", "HOST": PG["host"], "PORT": PG["port"], "CONN_MAX_AGE": 300}
    redis = {
        "tasks": {"HOST": "127.0.0.1", "PORT": 6379, "PASSWORD": "", "DATABASE": REDIS_DBS[0], "SSL": False},
        "caching": {
            "HOST": "127.0.0.1",
            "PORT": 6379,
            "PASSWORD": "",
            "DATABASE": REDIS_DBS[1],
            "SSL": False,
        },
    }
    return "\n".join(
        [
            "ALLOWED_HOSTS = ['*']",
            f"DATABASES = {{'default': {database!r}}}",
            f"REDIS = {redis!r}",
            f"SECRET_KEY = {SECRET_KEY!r}",
            f"API_TOKEN_PEPPERS = {{1: {PEPPER!r}}}",
            "ISOLATED_DEPLOYMENT = True",
            "CENSUS_REPORTING_ENABLED = False",
            "RELEASE_CHECK_URL = None",
            "MAX_PAGE_SIZE = 1000",
            "CHANGELOG_RETENTION = 0",
            "",
        ]
    )


def _write_root(root: Path, db_name: str) -> dict[str, str]:
    """A NETBOX_ROOT with conf/configuration.py; returns the environment NetBox commands need."""
    (root / "conf").mkdir(parents=True, exist_ok=True)
    (root / "conf" / "configuration.py").write_text(_configuration(db_name))
    (root / "media").mkdir(exist_ok=True)
    env = dict(os.environ)
    env |= {"NETBOX_ROOT": str(root), "PYTHONUNBUFFERED": "1"}
    for name in ("NETBOX_CONFIGURATION", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    return env


_SEED_USERS = f"""
from users.models import Token, User
user, _ = User.objects.get_or_create(username={ADMIN[0]!r})
user.is_superuser = True
user.set_password({ADMIN[1]!r})
user.save()
Token.objects.filter(user=user).delete()
Token(user=user, version=1, token={V1_TOKEN!r}, write_enabled=True).save()
Token(user=user, version=2, key={V2_KEY!r}, token={V2_SECRET!r}, write_enabled=True).save()
print("seeded", Token.objects.filter(user=user).count())
"""


def ensure_template() -> None:
    ensure_venv()
    with _lock("template"):
        if _db_exists(TEMPLATE_DB):
            return
        started = time.monotonic()
        if DUMP.exists():
            _restore(TEMPLATE_DB, DUMP)
            _log(f"restored {TEMPLATE_DB} from {DUMP.name} in {time.monotonic() - started:.1f} s")
            return
        building = f"{TEMPLATE_DB}_building"  # kept if interrupted: migrate resumes where it stopped
        if not _db_exists(building):
            _run(["createdb", *_pg_args(), building], what="createdb (migration)")
        with tempfile.TemporaryDirectory(prefix="netbox-migrate-") as root:
            env = _write_root(Path(root), building)
            netbox = str(VENV / "bin" / "netbox")
            _run([netbox, "migrate", "--no-input"], env=env, what="netbox migrate", timeout=3600)
            _run([netbox, "shell", "-c", _SEED_USERS], env=env, what="creating the admin and tokens")
        _run(["pg_dump", *_pg_args(), "-Fc", "-f", f"{DUMP}.part", building], what="pg_dump")
        os.replace(f"{DUMP}.part", DUMP)
        _psql(f'ALTER DATABASE "{building}" RENAME TO "{TEMPLATE_DB}"')
        _log(f"migrated {TEMPLATE_DB} in {time.monotonic() - started:.0f} s (dump cached)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _status(url: str, token: str) -> int:
    scheme = "Bearer" if token.startswith("nbt_") else "Token"
    request = urllib.request.Request(f"{url}/api/status/", headers={"Authorization": f"{scheme} {token}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


@dataclass
class NetBox:
    url: str
    db_name: str
    root: Path
    process: subprocess.Popen[bytes]
    log_file: Path
    v1_token: str = V1_TOKEN
    v2_token: str = V2_TOKEN
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def token(self) -> str:
        return self.v2_token

    def stop(self) -> None:
        """Kill gunicorn outright (a throwaway server; a graceful stop waits up to 30 s), drop its data."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        with contextlib.suppress(HarnessError):
            _drop_db(self.db_name)
        shutil.rmtree(self.root, ignore_errors=True)


def start(*, from_db: str | None = None, workers: int = 2, ready_timeout: float = 180) -> NetBox:
    """A running NetBox on a fresh copy of the template (or of ``from_db``)."""
    started = time.monotonic()
    ensure_template()
    prepared = time.monotonic()
    db_name = f"netbox_test_{uuid.uuid4().hex[:10]}"
    with _lock("template"):  # copying needs the source free of other sessions
        _run(["createdb", *_pg_args(), "-T", from_db or TEMPLATE_DB, db_name], what="createdb -T")
    root = Path(tempfile.mkdtemp(prefix="netbox-run-"))
    env = _write_root(root, db_name)
    port = _free_port()
    log_file = root / "gunicorn.log"
    cmd = [str(VENV / "bin" / "gunicorn"), "netbox.wsgi", "--bind", f"127.0.0.1:{port}"]
    cmd += [
        "--workers",
        str(workers),
        "--threads",
        "2",
        "--timeout",
        "300",
        "--log-level",
        "warning",
        "--preload",
    ]
    with open(log_file, "wb") as log:
        process = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    netbox = NetBox(
        url=f"http://127.0.0.1:{port}", db_name=db_name, root=root, process=process, log_file=log_file
    )
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_file.read_text(errors="replace")[-3000:]
            netbox.stop()
            raise HarnessError(f"gunicorn exited with {process.returncode}:\n{tail}")
        if _status(netbox.url, V2_TOKEN) == 200:
            netbox.timings = {"prepare": prepared - started, "serve": time.monotonic() - prepared}
            _log(
                f"NetBox ready at {netbox.url} (prepare {prepared - started:.1f} s, serve {time.monotonic() - prepared:.1f} s)"
            )
            return netbox
        time.sleep(0.5)
    tail = log_file.read_text(errors="replace")[-3000:]
    netbox.stop()
    raise HarnessError(f"NetBox did not answer /api/status/ within {ready_timeout:.0f} s:\n{tail}")


def _restore(name: str, dump: Path) -> None:
    _drop_db(name)
    _run(["createdb", *_pg_args(), name], what=f"createdb {name}")
    _run(["pg_restore", *_pg_args(), "-d", name, "--no-owner", str(dump)], what=f"pg_restore {dump.name}")


def cached_database(name: str, fill: Callable[[NetBox], None]) -> str:
    """Database ``name``: the template plus whatever ``fill`` adds, kept in PostgreSQL and as a dump.

    ``fill`` runs once against a throwaway NetBox; later calls restore the dump or reuse the database.
    """
    dump = CACHE / f"{name}.dump"
    with _lock(name):
        if _db_exists(name):
            return name
        if dump.exists():
            _restore(name, dump)
            return name
        netbox = start()
        try:
            fill(netbox)
            _run(
                ["pg_dump", *_pg_args(), "-Fc", "-f", f"{dump}.part", netbox.db_name], what="pg_dump (filled)"
            )
            os.replace(f"{dump}.part", dump)
        finally:
            netbox.stop()
        _restore(name, dump)
    return name


def main(argv: list[str]) -> int:
    """``python -m tests.netbox_harness prepare`` installs and migrates; ``serve`` runs until Ctrl-C."""
    try:
        if argv == ["prepare"]:
            ensure_template()
            return 0
        if argv == ["serve"]:
            netbox = start()
            print(f"url={netbox.url} token={netbox.v2_token}", flush=True)
            try:
                netbox.process.wait()
            except KeyboardInterrupt:
                pass
            finally:
                netbox.stop()
            return 0
    except HarnessError as exc:
        print(f"NetBox harness: {exc}", file=sys.stderr)
        return 1
    print("usage: python -m tests.netbox_harness prepare|serve", file=sys.stderr)
    return 2
