# dovecot-conf.sh — sourced by the benches that run a private Dovecot 2.3 IMAP server
# (dovecot-solr.sh, mbsync-pull.sh); not a script of its own.
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
