# dovecot-conf.sh — sourced by the benches that run a private Dovecot 2.3 (dovecot-solr.sh,
# mbsync-pull.sh: an IMAP server; dovecot-naive.sh, peers.sh: doveadm alone); not a script of its own.
#
# apt_install_missing PKG...
#   Installs those of the Debian packages PKG that are not installed (apt-get, quiet), with a
#   policy-rc.d that keeps their maintainer scripts from starting services; fails (die) unless
#   they are all installed afterwards. The caller defines `die` and `log`, and its EXIT trap calls
#   apt_policy_cleanup (which removes the policy file if an install was interrupted).
#
# remove_on_exit
#   Sets the EXIT trap: removes the policy file of an interrupted apt_install_missing and the
#   caller's scratch directory named by $TMPD (when set by then).
#
# dovecot_doveadm_conf DIR MAILDIR USER GROUP WRITER [PLUGINS]
#   Creates DIR/{index,control,volatile,home,run,state} (the first four owned by USER:GROUP) and
#   prints a Dovecot 2.3 configuration for doveadm alone: nothing listens, no service is started,
#   doveadm opens the storage directly and accesses MAILDIR (read only: index, uidlist and control
#   files go to DIR) as USER, since Dovecot refuses mail access as uid 0. PLUGINS: the
#   `mail_plugins` line and plugin block (default: no plugins). WRITER names the script in a comment.
APT_POLICY=/usr/sbin/policy-rc.d
APT_POLICY_CREATED=0
apt_policy_cleanup() {
    if [[ $APT_POLICY_CREATED -eq 1 ]]; then rm -f "$APT_POLICY"; APT_POLICY_CREATED=0; fi
}
missing_packages() {
    local p st
    for p in "$@"; do
        st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
        [[ $st == "install ok installed" ]] || echo "$p"
    done
}
apt_install_missing() {
    local missing
    mapfile -t missing < <(missing_packages "$@")
    (( ${#missing[@]} )) || return 0
    command -v apt-get >/dev/null 2>&1 || die "missing packages (${missing[*]}) and apt-get is unavailable"
    if [[ ! -e $APT_POLICY ]]; then
        printf '#!/bin/sh\nexit 101\n' > "$APT_POLICY"; chmod 755 "$APT_POLICY"; APT_POLICY_CREATED=1
    fi
    log "installing ${missing[*]} (apt-get)"
    apt-get update -qq >&2 || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 \
        || die "apt-get install ${missing[*]} failed"
    apt_policy_cleanup
    mapfile -t missing < <(missing_packages "$@")
    (( ${#missing[@]} == 0 )) || die "still missing after apt-get install: ${missing[*]}"
}

remove_on_exit() {
    trap 'apt_policy_cleanup; if [[ -n ${TMPD:-} && -d $TMPD ]]; then rm -rf -- "$TMPD"; fi' EXIT
}

dovecot_doveadm_conf() {
    local d=$1 md=$2 user=$3 group=$4 writer=$5 plugins=${6:-mail_plugins =}
    mkdir -p "$d"/{index,control,volatile,home,run,state}
    chown "$user:$group" "$d"/{index,control,volatile,home}
    cat <<EOC
# private config written by $writer; nothing listens, no service is started.
protocols =
listen =
ssl = no
base_dir = $d/run
state_dir = $d/state
log_path = $d/dovecot.log
info_log_path = $d/dovecot.log
first_valid_uid = 0
first_valid_gid = 0
mail_uid = $user
mail_gid = $group
mail_location = maildir:$md:INDEX=$d/index:CONTROL=$d/control:VOLATILEDIR=$d/volatile
passdb {
  driver = static
  args = nopassword=y
}
userdb {
  driver = static
  args = uid=$user gid=$group home=$d/home
}
$plugins
EOC
}
#
# dovecot_imap_conf DIR PORT PASSWD [EXTRA]
#   Prints a Dovecot 2.3 configuration that keeps everything under DIR (base_dir, state_dir,
#   log), listens for IMAP on 127.0.0.1:PORT only (no imaps, no doveadm listener), accepts plain
#   LOGIN/PLAIN without TLS, takes users and homes from the passwd-file PASSWD (PLAIN passwords),
#   stores mail in ~/Maildir, and appends EXTRA (plugin settings) at the end.
dovecot_imap_conf() {
    local dir=$1 port=$2 passwd=$3 extra=${4:-}
    cat <<EOC
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN $passwd
}
userdb {
  driver = passwd-file
  args = $passwd
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
}
service doveadm {
  inet_listener {
    port = 0
  }
}
$extra
EOC
}
