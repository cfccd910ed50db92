#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs every libFuzzer target of a fuzz build (the "fuzz" preset) for SECONDS each, one at a
# time, on a copy of its corpus (tests/fuzz/corpus/NAME) in a temporary directory, so the
# committed corpus only changes when someone merges on purpose. Fails when any target finds
# something (a crash, a timeout, a leak, an out-of-memory: libFuzzer then exits non-zero and
# writes an artifact, which is kept and named) and prints, per target, its executions, its
# coverage and its corpus size.
#   bash tests/fuzz/run-fuzzers.sh build-fuzz 60
set -euo pipefail

usage() {
    echo "usage: $0 BUILD_DIR SECONDS [TARGET...]" >&2
    exit 2
}
[ $# -ge 2 ] || usage
build=$1
seconds=$2
shift 2
[[ $seconds =~ ^[1-9][0-9]*$ ]] || usage
here=$(cd "$(dirname "$0")" && pwd)
bin="$build/tests/fuzz"
[ -d "$bin" ] || { echo "$0: no $bin: configure and build the fuzz preset first" >&2; exit 2; }

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for c in "$here"/corpus/*/; do
        targets+=("$(basename "$c")")
    done
fi

work=$(mktemp -d /tmp/portcullis-fuzz.XXXXXX)
keep=0
cleanup() {
    if [ "$keep" = 0 ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

failed=()
summary=()
for t in "${targets[@]}"; do
    exe="$bin/fuzz-$t"
    [ -x "$exe" ] || { echo "$0: $exe is missing" >&2; exit 2; }
    mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
    cp -r "$here/corpus/$t/." "$work/$t/corpus/"
    log="$work/$t/log"
    echo "== fuzz-$t: ${seconds} s"
    status=0
    # One process, no forking: the machine's other users keep their cores. The time limit
    # bounds the run; -timeout turns a hang into a finding; -rss_limit_mb an unbounded
    # allocation. Leaks are findings (ASan's leak check is on by default).
    nice "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$work/$t/artifacts/" "$work/$t/corpus" >"$log" 2>&1 || status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    files=$(find "$work/$t/corpus" -type f | wc -l)
    artifacts=$(find "$work/$t/artifacts" -type f | wc -l)
    line="fuzz-$t: ${execs:-0} execs in ${seconds} s, cov ${cov:-?}, ft ${ft:-?}, corpus $files files"
    if [ "$status" != 0 ] || [ "$artifacts" != 0 ]; then
        line="$line: FAILED (exit $status, $artifacts artifacts)"
        failed+=("$t")
        keep=1
        grep -E 'ERROR|SUMMARY|runtime error|Test unit written|ALARM|out-of-memory' "$log" | head -20 || true
        echo "   log: $log; artifacts: $work/$t/artifacts/"
    fi
    echo "   $line"
    summary+=("$line")
done

echo "== fuzzing summary"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzzing found problems in: ${failed[*]} (inputs kept in $work; replay one with" \
        "$bin/fuzz-NAME FILE, then add it to tests/fuzz/corpus/NAME/ with the fix)"
    exit 1
fi
echo "fuzzing: ${#summary[@]} targets, no findings"
