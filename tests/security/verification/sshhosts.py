"""Real sshd test hosts in network namespaces (scripts/sshd-hosts.sh), each with its own files.

good   compliant configuration (Debian 12, role "app", a TLS 1.2+ endpoint, needs 密评)
bad    non-compliant configuration (ledger says CentOS 7; extra listeners, old TLS, loose files)
legacy a CentOS 7 host whose only Python is 2.7 (python3 hidden; Ansible told to use 2.7)
down   a namespace where nothing listens: unreachable
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "sshd-hosts.sh"
PY27 = Path.home() / ".pyenv" / "versions" / "2.7.18" / "bin" / "python2.7"


@dataclass(frozen=True)
class TestHost:
    name: str
    index: int

    @property
    def address(self) -> str:
        return f"10.231.{self.index}.2"


GOOD, BAD, LEGACY, DOWN = (
    TestHost("good", 71),
    TestHost("bad", 72),
    TestHost("legacy", 73),
    TestHost("down", 74),
)
HOSTS = (GOOD, BAD, LEGACY, DOWN)

SSHD = """Port {ports}
ListenAddress 0.0.0.0
HostKey {dir}/host_key
AuthorizedKeysFile {keys}
PidFile /run/tz-test-{name}.pid
UsePAM no
StrictModes no
PubkeyAuthentication yes
PermitRootLogin {root}
PasswordAuthentication {password}
Subsystem sftp internal-sftp
"""
PAM_GOOD_PASSWORD = "password requisite pam_pwquality.so retry=3 minlen=12 minclass=3\npassword required pam_unix.so yescrypt\n"
PAM_GOOD_AUTH = "auth required pam_faillock.so preauth deny=5 unlock_time=900\nauth required pam_unix.so\n"
PAM_BAD_PASSWORD = "password required pam_unix.so obscure yescrypt\n"
PAM_BAD_AUTH = "auth required pam_unix.so\n"
LOGROTATE_GOOD = "weekly\nrotate 26\ncreate\n"
LOGROTATE_BAD = "weekly\nrotate 4\ncreate\n"
CENTOS7 = 'NAME="CentOS Linux"\nVERSION="7 (Core)"\nID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="7"\nPRETTY_NAME="CentOS Linux 7 (Core)"\n'


def _write(path: Path, text: str, mode: int = 0o644) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def _empty_dir(path: Path) -> Path:
    path.mkdir(exist_ok=True)
    return path


def _login_defs(days: int) -> str:
    base = Path("/etc/login.defs").read_text()
    lines = [ln for ln in base.splitlines() if not ln.startswith("PASS_MAX_DAYS")]
    return "\n".join([*lines, f"PASS_MAX_DAYS\t{days}", ""])


def _tls_cert(state: Path) -> tuple[Path, Path]:
    cert, key = state / "tls.crt", state / "tls.key"
    if not cert.exists():
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=tz-test",
             "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
    return cert, key


def _host(
    state: Path, host: TestHost, keys: Path, *, compliant: bool, serve: str = "", binds: dict[str, Path]
) -> None:
    d = state / "hosts" / host.name
    d.mkdir(parents=True, exist_ok=True)
    (d / "index").write_text(str(host.index))
    (d / "hostname").write_text(f"tz-{host.name}")
    if host is DOWN:
        (d / "no-sshd").write_text("")
        return
    etc = d / "etc"
    etc.mkdir(exist_ok=True)
    sshd = SSHD.format(
        ports="22" if compliant else "22\nPort 23",
        dir=d,
        keys=keys,
        name=host.name,
        root="prohibit-password" if compliant else "yes",
        password="no" if compliant else "yes",
    )
    lists = etc / "apt-lists"
    lists.mkdir(exist_ok=True)
    all_binds = {
        "/etc/ssh/sshd_config": _write(etc / "sshd_config", sshd, 0o600 if compliant else 0o666),
        "/etc/login.defs": _write(etc / "login.defs", _login_defs(90 if compliant else 99999)),
        "/etc/pam.d/common-password": _write(
            etc / "common-password", PAM_GOOD_PASSWORD if compliant else PAM_BAD_PASSWORD
        ),
        "/etc/pam.d/common-auth": _write(etc / "common-auth", PAM_GOOD_AUTH if compliant else PAM_BAD_AUTH),
        "/etc/profile": _write(
            etc / "profile",
            Path("/etc/profile").read_text() + ("readonly TMOUT=600\nexport TMOUT\n" if compliant else ""),
        ),
        "/etc/logrotate.conf": _write(etc / "logrotate.conf", LOGROTATE_GOOD if compliant else LOGROTATE_BAD),
        "/var/lib/apt/lists": lists,
        **binds,
    }
    (d / "binds").write_text("".join(f"{src} {dst}\n" for dst, src in all_binds.items()))
    (d / "serve").write_text(serve)


def start_hosts(state: Path) -> Path:
    """Write the hosts' files and start them; returns the controller's private key."""
    shutil.rmtree(state / "hosts", ignore_errors=True)
    state.mkdir(parents=True, exist_ok=True)
    key = state / "id_ed25519"
    if not key.exists():
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True, timeout=30
        )
    authorized = _write(state / "authorized_keys", (state / "id_ed25519.pub").read_text(), 0o600)
    cert, tls_key = _tls_cert(state)
    good_tls = f"openssl s_server -quiet -accept 8443 -cert {cert} -key {tls_key} -tls1_2 >/dev/null 2>&1 &\n"
    old_tls = (
        f"openssl s_server -quiet -accept 4433 -cert {cert} -key {tls_key} -min_protocol TLSv1 "
        "-cipher 'DEFAULT:@SECLEVEL=0' >/dev/null 2>&1 &\n"
    )
    _host(state, GOOD, authorized, compliant=True, serve=good_tls, binds={})
    _host(state, BAD, authorized, compliant=False, serve=old_tls, binds={})
    legacy_binds = {
        "/etc/os-release": _write(state / "centos7-os-release", CENTOS7),
        "/usr/bin/python3.11": Path("/dev/null"),
        # this machine's root .bashrc puts pyenv's Python 3 on PATH; a CentOS 7 host has none of it
        str(Path.home() / ".bashrc"): _write(state / "plain-bashrc", "# CentOS 7 root bashrc\n"),
        str(Path.home() / ".pyenv" / "shims"): _empty_dir(state / "no-shims"),
    }
    _host(state, LEGACY, authorized, compliant=True, binds=legacy_binds)
    _host(state, DOWN, authorized, compliant=True, binds={})
    subprocess.run([str(SCRIPT), "up", str(state)], check=True, timeout=300)
    return key


def stop_hosts(state: Path) -> None:
    subprocess.run([str(SCRIPT), "down", str(state)], check=False, timeout=60)


def can_run() -> str | None:
    """Why these tests cannot run here, or None."""
    if os.geteuid() != 0:
        return "sshd test hosts need root (network namespaces)"
    if not PY27.exists():
        return f"legacy-Python host needs {PY27} (pyenv)"
    return None
