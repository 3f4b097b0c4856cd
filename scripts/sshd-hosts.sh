#!/usr/bin/env bash
# Real sshd test hosts on this machine, one network namespace each (needs root).
#
#   sshd-hosts.sh install            install Debian's openssh-server if missing (service not started)
#   sshd-hosts.sh up DIR             start every host described under DIR/hosts/<name>/
#   sshd-hosts.sh down DIR           stop them and remove their namespaces and links
#
# A host directory holds: `index` (1-200; the host answers on 10.231.<index>.2), `hostname`,
# `binds` (lines "SOURCE TARGET": per-host files bind-mounted over system paths, e.g. its own
# /etc/ssh/sshd_config and /etc/login.defs), optional `serve` (shell lines started inside the host
# before sshd, e.g. a TLS endpoint) and optional `no-sshd` (the host exists but nothing listens:
# unreachable). Each host gets its own mount, UTS and PID namespace, so it sees its own files,
# hostname, processes and sockets while sharing the machine's binaries.
set -euo pipefail

install_sshd() {
  if [ -x /usr/sbin/sshd ] && command -v ssh-keygen >/dev/null; then return 0; fi
  export DEBIAN_FRONTEND=noninteractive
  mkdir -p /var/cache/taizhang-ci/apt
  # policy-rc.d keeps the package from starting the machine's own sshd service
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get -o DPkg::Lock::Timeout=900 install -y -q -o Dir::Cache::archives=/var/cache/taizhang-ci/apt openssh-server >/dev/null \
    || { apt-get -o DPkg::Lock::Timeout=900 update -q >/dev/null && apt-get -o DPkg::Lock::Timeout=900 install -y -q -o Dir::Cache::archives=/var/cache/taizhang-ci/apt openssh-server >/dev/null; }
  rm -f /usr/sbin/policy-rc.d
}

host_down() {
  local name=$1 index=$2
  if ip netns list | grep -qw "tz-$name"; then
    for pid in $(ip netns pids "tz-$name" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    sleep 0.1
    ip netns del "tz-$name" 2>/dev/null || true
  fi
  ip link del "tzv$index" 2>/dev/null || true
}

host_up() {
  local dir=$1 name index
  name=$(basename "$dir")
  index=$(cat "$dir/index")
  host_down "$name" "$index"
  ip netns add "tz-$name"
  ip link add "tzv$index" type veth peer name "tzp$index"
  ip link set "tzp$index" netns "tz-$name"
  ip addr add "10.231.$index.1/24" dev "tzv$index"
  ip link set "tzv$index" up
  ip netns exec "tz-$name" ip addr add "10.231.$index.2/24" dev "tzp$index"
  ip netns exec "tz-$name" ip link set "tzp$index" up
  ip netns exec "tz-$name" ip link set lo up
  [ -e "$dir/no-sshd" ] && return 0
  mkdir -p /run/sshd
  [ -f "$dir/host_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key"
  # The host's init: bind its own files, start what it serves, then sshd in the foreground.
  {
    echo "set -e"
    echo "hostname $(cat "$dir/hostname")"
    if [ -f "$dir/binds" ]; then
      while read -r src dst; do
        [ -n "$src" ] && echo "mount --bind '$src' '$dst'"
      done <"$dir/binds"
    fi
    [ -f "$dir/serve" ] && cat "$dir/serve"
    echo "exec /usr/sbin/sshd -D -e -f /etc/ssh/sshd_config"
  } >"$dir/init.sh"
  setsid ip netns exec "tz-$name" unshare --mount --uts --pid --fork --mount-proc \
    sh "$dir/init.sh" >"$dir/sshd.log" 2>&1 </dev/null &
  for _ in $(seq 1 50); do
    if timeout 1 bash -c "exec 3<>/dev/tcp/10.231.$index.2/22" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "sshd of $name did not start:" >&2
  cat "$dir/sshd.log" >&2
  return 1
}

case "${1:-}" in
  install) install_sshd ;;
  up)
    install_sshd
    for dir in "$2"/hosts/*/; do host_up "${dir%/}"; done
    ;;
  down)
    for dir in "$2"/hosts/*/; do
      [ -f "$dir/index" ] && host_down "$(basename "$dir")" "$(cat "$dir/index")"
    done
    ;;
  *) echo "usage: $0 install | up DIR | down DIR" >&2; exit 2 ;;
esac
