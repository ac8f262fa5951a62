#!/usr/bin/env bash
# Checks the units with `systemd-analyze verify` where it can run; prints why where it cannot.
set -uo pipefail
DIR=$(cd "$(dirname "$0")" && pwd)
if ! command -v systemd-analyze >/dev/null 2>&1; then echo "systemd units not verified: systemd-analyze is not installed here"; exit 0; fi
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
cp "$DIR"/*.service "$TMP/"
# verify needs the binaries a unit names: point ExecStart at this machine's node and a real script.
NODE=$(command -v node)
sed -i "s#/usr/bin/node /opt/loyalty#$NODE $(cd "$DIR/../.." && pwd)#" "$TMP"/*.service
cp "$TMP/loyalty-connector@.service" "$TMP/loyalty-connector@webhooks.service"
out=$(cd "$TMP" && systemd-analyze verify --man=no loyalty-migrate.service loyalty-hub.service loyalty-connector@webhooks.service 2>&1)
rc=$?
# Units this box lacks (mariadb, rabbitmq) and the absent loyalty user are not errors of ours.
real=$(printf '%s\n' "$out" | grep -v -e 'mariadb.service' -e 'rabbitmq-server.service' -e 'network-online.target' -e 'User=' -e 'Failed to determine user credentials' -e '^$' || true)
if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q -i -e 'System has not been booted with systemd' -e 'Failed to connect to bus' -e 'Failed to initialize manager'; then
  echo "systemd units not verified: systemd-analyze cannot run in this environment ($(printf '%s' "$out" | head -1))"; exit 0
fi
if [ -n "$real" ]; then printf '%s\n' "$real"; echo "systemd-analyze verify found problems"; exit 1; fi
echo "systemd units verified (systemd-analyze verify)"
