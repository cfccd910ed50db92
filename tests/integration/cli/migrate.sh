#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --migrate-from, round trip: migrate the firewalld and ufw fixtures, install the printed files
# in a temp dir as an admin would, and check with --print-ruleset that every zone opens exactly
# the ports the old firewall opened there, port by port.
set -euo pipefail
daemon=$1 src=$2
data=$src/tests/data/import
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# Every port of a set of the printed table, one per line: "{ 21-22, 139 }" -> 21 22 139.
ports_of() { # RULESET SET
    awk -v set="$2" '
        $1 == "set" && $2 == set { inside = 1; next }
        inside && /^\t}/ { exit }
        inside && /elements = / {
            sub(/.*elements = \{ */, ""); sub(/ *\}.*/, "")
            n = split($0, items, /, */)
            for (i = 1; i <= n; i++) {
                if (split(items[i], r, "-") == 2 && r[1] ~ /^[0-9]+$/)
                    for (p = r[1]; p <= r[2]; p++) print p
                else
                    print items[i]
            }
        }' "$1"
}
# The same for a list written in the test: "21-22 139".
expand() {
    local item
    for item in $1; do
        if [[ $item =~ ^([0-9]+)-([0-9]+)$ ]]; then
            seq "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
        else
            echo "$item"
        fi
    done
}
check_set() { # RULESET SET "EXPECTED ..."
    grep -q "^	set $2 {" "$1" || fail "no set $2 in the table"
    if ! diff <(ports_of "$1" "$2") <(expand "$3") >"$tmp/diff"; then
        head -n 5 "$tmp/diff"
        fail "set $2 differs from '$3'"
    fi
    echo "ok: $2 = { $3 }"
}

migrate() { # FROM -> $tmp/FROM/{portcullis.toml,catalog/,migration-report.txt,ruleset}
    local from=$1 dir=$tmp/$1
    mkdir -p "$dir/catalog"
    "$daemon" --migrate-from "$from" --source-root "$data/$from-root" >"$dir/out" 2>"$dir/err" ||
        fail "--migrate-from $from exited $?: $(cat "$dir/err")"
    # Split the output into its files, as the README tells admins to.
    (cd "$dir" && awk '/^# ==> .* <==$/ {f = $3; next} f {print > f}' out)
    local file
    for file in portcullis.toml "50-migrated-$from.toml" migration-report.txt; do
        [ -s "$dir/$file" ] || fail "$from: the output lacks $file"
    done
    mv "$dir/50-migrated-$from.toml" "$dir/catalog/"
    # Only the catalogue location differs from the installed layout.
    { printf 'catalog_dirs = ["%s/catalog"]\nstate_dir = "%s/state"\n' "$dir" "$dir"
      cat "$dir/portcullis.toml"; } >"$dir/test.toml"
    "$daemon" --check-config --config "$dir/test.toml"
    "$daemon" --print-ruleset --config "$dir/test.toml" >"$dir/ruleset"
}

# firewalld: the zones of tests/data/import/firewalld-root (see its files).
migrate firewalld
r=$tmp/firewalld/ruleset
check_set "$r" public_tcp "22 443 8080 8443"
check_set "$r" public_udp "546 60000-60100"
check_set "$r" public_icmp "icmp ipv6-icmp"
check_set "$r" dmz_ifaces '"eth2"'
check_set "$r" dmz_tcp "22"
check_set "$r" dmz_udp ""
check_set "$r" dmz_icmp ""
check_set "$r" internal_ifaces '"eth1"'
check_set "$r" internal_tcp "21-22 139 445"
check_set "$r" internal_udp "137-138 5353"
check_set "$r" internal_icmp "icmp ipv6-icmp"
check_set "$r" internal-src_src4 "198.18.0.0/24"
check_set "$r" internal-src_tcp "21-22 139 445"
check_set "$r" internal-src_udp "137-138 5353"
check_set "$r" trusted_ifaces '"tun0"'
check_set "$r" trusted_tcp "1-65535"
check_set "$r" trusted_udp "1-65535"
check_set "$r" work_src6 "2001:db8:1::/48"
check_set "$r" work_tcp "21"
check_set "$r" work_icmp ""
check_set "$r" helper_ftp "21"
grep -q 'zone public: rich rule' "$tmp/firewalld/migration-report.txt" ||
    fail "the report does not name the rich rule"

# ufw: the rules of tests/data/import/ufw-root (see user.rules and user6.rules).
migrate ufw
r=$tmp/ufw/ruleset
check_set "$r" any_tcp "22 80 443 2222 3306"
check_set "$r" any_udp ""
check_set "$r" any_icmp "icmp ipv6-icmp"
check_set "$r" any-ipv4_src4 "0.0.0.0/0"
check_set "$r" any-ipv4_tcp "22 8000-8010 9000"
check_set "$r" any-src_src4 "198.18.0.0/24"
check_set "$r" any-src_tcp "53"
check_set "$r" any-src_udp "53"
check_set "$r" any-src-2_tcp "1-65535"
check_set "$r" any-src-2_udp "1-65535"
check_set "$r" any-src-3_src6 "2001:db8::/32"
check_set "$r" any-src-3_tcp "5000"
check_set "$r" eth1_ifaces '"eth1"'
check_set "$r" eth1_tcp "139 445"
check_set "$r" eth1_udp "137-138 60000-61000"
for what in "deny: not carried over" "rate limit not carried over" "outbound rule" \
    "forwarding (route) rule"; do
    grep -q "$what" "$tmp/ufw/migration-report.txt" || fail "the ufw report lacks '$what'"
done

# Nothing to migrate, or nothing to migrate from: clear errors, distinct statuses.
set +e
"$daemon" --migrate-from firewalld --source-root "$tmp/ufw" >/dev/null 2>"$tmp/err"
status=$?
set -e
[ "$status" -eq 66 ] || fail "no firewalld files: exit $status, want 66"
grep -q "no firewalld zones under" "$tmp/err" || fail "no firewalld files: $(cat "$tmp/err")"
set +e
"$daemon" --migrate-from iptables >/dev/null 2>"$tmp/err"
status=$?
set -e
[ "$status" -eq 64 ] || fail "--migrate-from iptables: exit $status, want 64"
echo "migrations: ok"
