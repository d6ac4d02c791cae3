#!/bin/sh
# Install what Postern needs to build and to run its tests, from Debian's
# archive, when something is missing. Safe to run repeatedly; needs root
# (or sudo) only when a package is actually missing.
set -e
pkgs="build-essential clang-format libssl-dev libmariadb-dev libpq-dev libdb-dev libpcre2-dev
      libcmocka-dev python3 python3-pytest swaks postfix pflogsumm procps
      postfix-mysql postfix-pgsql postfix-pcre mariadb-server mariadb-client
      postgresql dovecot-core dovecot-lmtpd dovecot-imapd"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# Postfix is installed only as the reference implementation and for its load
# tools (smtp-source, smtp-sink) and users; never let the package start it.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
# A package install must not leave a system Postfix running on port 25.
if [ -x /usr/sbin/postfix ] && /usr/sbin/postfix status >/dev/null 2>&1; then
    $SUDO /usr/sbin/postfix stop || true
fi
