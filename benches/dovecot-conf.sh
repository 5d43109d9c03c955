# dovecot-conf.sh — sourced by the benches that run a private Dovecot 2.3 (dovecot-solr.sh,
# mbsync-pull.sh: an IMAP server; dovecot-naive.sh, peers.sh: doveadm alone); not a script of its own.
#
# dovecot_doveadm_conf DIR MAILDIR USER GROUP WRITER [PLUGINS]
#   Creates DIR/{index,control,volatile,home,run,state} (the first four owned by USER:GROUP) and
#   prints a Dovecot 2.3 configuration for doveadm alone: nothing listens, no service is started,
#   doveadm opens the storage directly and accesses MAILDIR (read only: index, uidlist and control
#   files go to DIR) as USER, since Dovecot refuses mail access as uid 0. PLUGINS: the
#   `mail_plugins` line and plugin block (default: no plugins). WRITER names the script in a comment.
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
