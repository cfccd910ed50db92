# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Helpers of the systemd watcher tests, on top of ../lib/harness.sh: a watch-driver in the box
# and assertions on the unit map it printed last.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"

: "${PC_WATCH_DRIVER:?PC_WATCH_DRIVER must name the watch-driver binary (ctest sets it)}"

# sd_start_driver [--bus SPEC] PATTERN... : runs the driver, output in $PC_TMP/driver.log; waits
# until it is connected and settled.
sd_start_driver() {
    pc_spawn driver pc_run_in_box "$PC_WATCH_DRIVER" "$@"
    sd_wait_state 10 1 0 || pc_fail "watch-driver never connected and settled"
}

# sd_wait_state SECS CONNECTED SETTLING : waits until the driver's last state line says so.
sd_wait_state() {
    pc_wait_for "$1" sd_state_is "$2" "$3"
}
sd_state_is() {
    [ "$(grep '^state ' "$PC_TMP/driver.log" | tail -n 1)" = "state connected=$1 settling=$2" ]
}

# The unit lines of the last map the driver printed (empty before the first on_change).
sd_last_map() {
    awk '/^-- changes=/ { last = cur; cur = ""; done = 1; next }
         /^unit=/ { cur = cur $0 "\n" }
         END { printf "%s", last }' "$PC_TMP/driver.log"
}

# Number of on_change calls so far.
sd_changes() {
    awk -F= '/^-- changes=/ { n = $2 } END { print n + 0 }' "$PC_TMP/driver.log"
}

# (No pipes into grep -q: under pipefail the writer's SIGPIPE would count as a failure.)
sd_map_has() {
    local m
    m=$(sd_last_map)
    grep -qxF "$1" <<<"$m"
}
sd_map_lacks_unit() {
    local m
    m=$(sd_last_map)
    ! grep -q "^unit=$1 " <<<"$m"
}

# sd_expect SECS LINE : the last map contains LINE within SECS seconds.
sd_expect() {
    if ! pc_wait_for "$1" sd_map_has "$2"; then
        pc_log "last map:"
        sd_last_map >&2
        pc_fail "expected '$2' within $1 s"
    fi
    pc_log "ok: $2"
}

# sd_expect_gone SECS UNIT : the last map has no line for UNIT within SECS seconds.
sd_expect_gone() {
    if ! pc_wait_for "$1" sd_map_lacks_unit "$2"; then
        sd_last_map >&2
        pc_fail "expected $2 to leave the map within $1 s"
    fi
    pc_log "ok: $2 gone"
}

# sd_simple_unit NAME [DIR] : a service that runs until stopped, installed into default.target.
sd_simple_unit() {
    pc_write_unit "$1" "${2:-}" <<UNIT
[Unit]
Description=portcullis test unit $1

[Service]
ExecStart=/bin/sleep infinity

[Install]
WantedBy=default.target
UNIT
}
