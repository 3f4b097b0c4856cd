# taizhang host probe: POSIX sh only, no Python, changes nothing. Prints key=value lines.
# Works on CentOS 7, 麒麟/统信 and Debian-family hosts whatever their Python is.
# Inputs (environment): TZ_TLS_ENDPOINTS "host:port ...", TZ_AGENTS "process ...",
# TZ_PYTHON (the interpreter configured for the host).
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
LC_ALL=C
export PATH LC_ALL
say() { printf '%s=%s\n' "$1" "$2"; }
have() { command -v "$1" >/dev/null 2>&1; }
osr() { sed -n "s/^$1=//p" /etc/os-release 2>/dev/null | head -n 1 | tr -d '"'; }

say probe_version 1
say os_id "$(osr ID)"
say os_version_id "$(osr VERSION_ID)"
say os_pretty_name "$(osr PRETTY_NAME)"
family=unknown
case " $(osr ID) $(osr ID_LIKE) " in
  *" debian "*|*" ubuntu "*|*" uos "*|*" deepin "*) family=debian ;;
  *" rhel "*|*" centos "*|*" fedora "*|*" kylin "*|*" openEuler "*|*" anolis "*) family=redhat ;;
esac
[ "$family" = unknown ] && [ -f /etc/redhat-release ] && family=redhat
say os_family "$family"
py=""
for p in python3 python python2 platform-python; do
  v=$("$p" -V 2>&1 </dev/null) && py="$py $(printf '%s' "$v" | head -n 1 | tr ' ' '-')"
done
say python "${py# }"
# the interpreter Ansible was told to use for this host, if any
if [ -n "${TZ_PYTHON:-}" ]; then
  v=$("$TZ_PYTHON" -V 2>&1 </dev/null) && say python_interpreter "$(printf '%s' "$v" | head -n 1 | tr ' ' '-')" \
    || say python_interpreter "unusable:$TZ_PYTHON"
fi

# --- sshd: the effective configuration when sshd can print it, else the file
sshd_conf=""
if have sshd && sshd_conf=$(sshd -T 2>/dev/null) && [ -n "$sshd_conf" ]; then src="sshd -T"
elif [ -r /etc/ssh/sshd_config ]; then src=/etc/ssh/sshd_config; sshd_conf=$(cat /etc/ssh/sshd_config)
else src=none; sshd_conf=""; fi
sshv() { printf '%s\n' "$sshd_conf" | awk -v k="$1" 'tolower($1)==k {print tolower($2); exit}'; }
say sshd_source "$src"
say sshd_permitrootlogin "$(sshv permitrootlogin)"
say sshd_passwordauthentication "$(sshv passwordauthentication)"
say sshd_clientaliveinterval "$(sshv clientaliveinterval)"
say sshd_clientalivecountmax "$(sshv clientalivecountmax)"

# --- password policy (PAM) and expiry
pamfiles=""
for f in /etc/pam.d/common-password /etc/pam.d/common-auth /etc/pam.d/system-auth /etc/pam.d/password-auth; do
  [ -r "$f" ] && pamfiles="$pamfiles $f"
done
say pam_files "${pamfiles# }"
pwline=$(cat $pamfiles /dev/null 2>/dev/null | grep -v '^[[:space:]]*#' | grep -E 'pam_(pwquality|cracklib)\.so' | head -n 1)
pwmod=$(printf '%s' "$pwline" | grep -oE 'pam_(pwquality|cracklib)' | head -n 1)
say pw_module "${pwmod:-none}"
opt() { printf '%s\n' "$1" | tr ' \t' '\n\n' | sed -n "s/^$2=//p" | head -n 1; }
minlen=$(opt "$pwline" minlen); minclass=$(opt "$pwline" minclass)
if [ -r /etc/security/pwquality.conf ]; then
  [ -n "$minlen" ] || minlen=$(sed -n 's/^[[:space:]]*minlen[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p' /etc/security/pwquality.conf | tail -n 1)
  [ -n "$minclass" ] || minclass=$(sed -n 's/^[[:space:]]*minclass[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p' /etc/security/pwquality.conf | tail -n 1)
fi
say pw_minlen "$minlen"
say pw_minclass "$minclass"
say pass_max_days "$(awk '$1=="PASS_MAX_DAYS" {v=$2} END {print v}' /etc/login.defs 2>/dev/null)"

# --- login-failure lockout: pam_faillock / pam_tally2 deny=N (or faillock.conf)
lockline=$(cat $pamfiles /dev/null 2>/dev/null | grep -v '^[[:space:]]*#' | grep -E 'pam_(faillock|tally2)\.so' | grep deny= | head -n 1)
deny=$(opt "$lockline" deny)
if [ -z "$deny" ] && [ -r /etc/security/faillock.conf ] && cat $pamfiles /dev/null | grep -q pam_faillock; then
  deny=$(sed -n 's/^[[:space:]]*deny[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p' /etc/security/faillock.conf | tail -n 1)
fi
say lockout_deny "$deny"

# --- idle session timeout: the smallest readonly/exported TMOUT in the login shells' profiles
tmout=$(cat /etc/profile /etc/bashrc /etc/bash.bashrc /etc/profile.d/*.sh 2>/dev/null | grep -v '^[[:space:]]*#' \
  | grep -oE '(^|[[:space:];])TMOUT=[0-9]+' | sed 's/.*=//' | sort -n | head -n 1)
say tmout "$tmout"

# --- auditd and its rules
if pgrep -x auditd >/dev/null 2>&1; then say auditd_running 1; else say auditd_running 0; fi
rules=0
if have auditctl; then rules=$(auditctl -l 2>/dev/null | grep -c '^-'); fi
say audit_rules "$rules"

# --- log retention: rotate count x period in logrotate (days)
lr=/etc/logrotate.conf
if [ -r "$lr" ]; then
  say log_retention_days "$(awk '$1=="daily"{p=1} $1=="weekly"{p=7} $1=="monthly"{p=30} $1=="yearly"{p=365} $1=="rotate"{r=$2} $1=="maxage"{m=$2} /^}/{exit}
    END { if (r=="") print ""; else { d=r*(p?p:7); if (m!="" && m<d) d=m; print d } }' "$lr")"
else say log_retention_days ""; fi

# --- time synchronisation daemon
ts=none
for d in chronyd ntpd systemd-timesyncd; do pgrep -x "$d" >/dev/null 2>&1 && { ts=$d; break; }; done
say timesync "$ts"

# --- host firewall
fw=none
if pgrep -x firewalld >/dev/null 2>&1; then fw=firewalld
elif have nft && [ "$(nft list ruleset 2>/dev/null | grep -c 'hook input')" -gt 0 ]; then fw=nftables
elif have iptables && iptables -S INPUT 2>/dev/null | grep -qE '^-P INPUT (DROP|REJECT)|^-A INPUT'; then fw=iptables
fi
say firewall "$fw"

# --- listening TCP ports, read from /proc (no ss/netstat needed)
ports=$(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '$4=="0A" {split($2,a,":"); print a[2]}' | sort -u \
  | while read -r h; do printf '%d\n' "0x$h"; done | sort -n | tr '\n' ' ')
say listen_ports "$(echo $ports)"

# --- pending security updates
if have apt-get; then
  if ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then
    say security_updates "$(apt-get -s -o Debug::NoLocking=1 upgrade 2>/dev/null | grep '^Inst' | grep -ci security)"
  else say security_updates "unknown:软件源索引为空，无法判断"; fi
elif have yum; then
  n=$(yum -q -C updateinfo list security 2>/dev/null | grep -c .) && say security_updates "$n" \
    || say security_updates "unknown:yum updateinfo 无法执行"
else say security_updates "unknown:未找到 apt-get 或 yum"; fi

# --- TLS on declared endpoints: ok | old (accepts TLS<1.2) | no12 | down | noopenssl
i=0
for ep in $TZ_TLS_ENDPOINTS; do
  i=$((i+1))
  if ! have openssl; then r=noopenssl
  else
    t() { timeout 8 openssl s_client -connect "$ep" "$@" </dev/null >/dev/null 2>&1; }
    if t -tls1_2 || t -tls1_3; then
      if t -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' || t -tls1 -cipher 'DEFAULT:@SECLEVEL=0'; then r=old; else r=ok; fi
    elif timeout 5 sh -c "echo | openssl s_client -connect $ep >/dev/null 2>&1" || t -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'; then r=no12
    else r=down; fi
  fi
  say "tls_$i" "$ep:$r"
done

# --- SM2/SM3/SM4 in the system crypto library
if have openssl; then
  sm=""
  openssl list -public-key-algorithms 2>/dev/null | grep -qi 'sm2' && sm="$sm SM2"
  openssl list -digest-algorithms 2>/dev/null | grep -qi 'sm3' && sm="$sm SM3"
  openssl list -cipher-algorithms 2>/dev/null | grep -qi 'sm4' && sm="$sm SM4"
  say sm_algorithms "${sm# }"
else say sm_algorithms "unknown:未找到 openssl"; fi

# --- required security agents
i=0
for a in $TZ_AGENTS; do
  i=$((i+1))
  if pgrep -x "$a" >/dev/null 2>&1; then say "agent_$i" "$a:running"; else say "agent_$i" "$a:absent"; fi
done

# --- permissions of sensitive files: path:octal mode:owner
i=0
for f in /etc/passwd /etc/shadow /etc/gshadow /etc/group /etc/ssh/sshd_config; do
  i=$((i+1))
  [ -e "$f" ] && say "perm_$i" "$f:$(stat -c '%a:%U' "$f" 2>/dev/null)"
done
exit 0
