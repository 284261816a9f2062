#!/usr/bin/env bash
# The audit-search benchmark: an archive of a year of a large tenant's audit events (default
# 1,000,000 in 365 signed daily batches), searched by `driftgate audit search` on a release
# build. Every search checks every batch of its window against its signed manifest (chain
# entry, signature, size and SHA-256 of events.ndjson) before it scans it; the rate is the
# events of the window scanned per second of wall time, on one core (taskset) and on all.
#
#   bash benches/audit_search.sh            # 1,000,000 events
#   bash benches/audit_search.sh 2000000    # another size
#
# Results: a Markdown table on stdout and in target/bench/audit-search.md.
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-1000000}
target=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet --bin driftgate --example gen_archive
out=target/bench
archive="$out/archive-$events"
mkdir -p "$out"
[ -d "$archive" ] || "$target"/release/examples/gen_archive "$archive" "$events" 365
dg="$target/release/driftgate"
pub=examples/keys/demo.pub
runs=${BENCH_RUNS:-3}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() { # label, cpu list, args...
    local label=$1 cpus=$2
    shift 2
    local times=() matches
    for _ in $(seq "$runs"); do
        local t0 t1
        t0=$(date +%s.%N)
        matches=$(taskset -c "$cpus" "$dg" audit search --store "$archive" --tenant bench-tenant --public-key "$pub" \
            --format ndjson "$@" 2>/dev/null | wc -l)
        t1=$(date +%s.%N)
        times+=("$(echo "$t1 - $t0" | bc -l)")
    done
    local t
    t=$(printf '%s\n' "${times[@]}" | median)
    printf '| %s | %s | %s | %.3f | %.2f M |\n' "$label" "$cpus" "$matches" "$t" "$(echo "$events / $t / 1000000" | bc -l)"
}
all=$(($(nproc) - 1))
{
    echo "audit search over $events archived events in 365 batches ($(du -sh "$archive" | cut -f1) on disk), median of $runs runs, $(nproc) core(s): $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
    echo
    echo "| search | cores | matches | seconds | events/s scanned |"
    echo "|---|---|---|---|---|"
    measure "--user (1 in 1000)" 0 --from 2025-12-01T00:00:00Z --to 2026-12-01T00:00:00Z --user bench-needle-user
    measure "--user (1 in 1000)" "0-$all" --from 2025-12-01T00:00:00Z --to 2026-12-01T00:00:00Z --user bench-needle-user
    measure "--entity + --action" 0 --from 2025-12-01T00:00:00Z --to 2026-12-01T00:00:00Z --entity bench-needle-entity --action Update
    measure "--contains (no match)" 0 --from 2025-12-01T00:00:00Z --to 2026-12-01T00:00:00Z --contains "no such text"
    measure "no filter (every event printed)" 0 --from 2025-12-01T00:00:00Z --to 2026-12-01T00:00:00Z
    measure "no filter (every event printed)" "0-$all" --from 2025-12-01T00:00:00Z --to 2026-12-01T00:00:00Z
} | tee "$out/audit-search.md"
