#!/usr/bin/env bash
# The period-report benchmark: a year of daily evidence packages of a generated tenant
# (default 2,000 users; every seventh day without a run), reported by
# `driftgate evidence report` on a release build: the whole chain verified (every file of every
# package hashed), then each package's manifest and report.json read.
#
#   bash benches/period_report.sh          # 2,000 users
#   bash benches/period_report.sh 5000     # another size
#
# Results: a Markdown table on stdout and in target/bench/period-report.md.
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-2000}
target=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet --bin driftgate --example gen_tenant --example gen_period
out=target/bench
mkdir -p "$out"
[ -s "$out/tenant-$users.json" ] || "$target"/release/examples/gen_tenant "$users" "$out"
[ -s "$out/baseline-$users.json" ] ||
    "$target"/release/driftgate baseline update "$out/tenant-$users.json" --baseline "$out/baseline-$users.json" >/dev/null
store="$out/period-$users"
[ -d "$store" ] || "$target"/release/examples/gen_period "$store" "$out/tenant-$users.recollected.json" "$out/baseline-$users.json" 365
dg="$target/release/driftgate"
runs=${BENCH_RUNS:-3}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() { # label, formats...
    local label=$1
    shift
    local times=()
    for _ in $(seq "$runs"); do
        local dir t0 t1
        dir=$(mktemp -d)
        t0=$(date +%s.%N)
        "$dg" evidence report "$store" --tenant acme-corp --from 2025-12-01 --to 2026-11-30 \
            --public-key examples/keys/demo.pub --out "$dir/r" "$@" 2>/dev/null
        t1=$(date +%s.%N)
        rm -rf "$dir"
        times+=("$(echo "$t1 - $t0" | bc -l)")
    done
    printf '| %s | %.2f |\n' "$label" "$(printf '%s\n' "${times[@]}" | median)"
}
{
    echo "evidence report over a year of daily packages of a $users-user tenant ($(find "$store/acme-corp" -name manifest.json | wc -l) packages, $(du -sh "$store" | cut -f1) on disk), median of $runs runs, $(nproc) core(s): $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
    echo
    echo "| formats | seconds |"
    echo "|---|---|"
    measure "json" --format json
    measure "json, html, csv, markdown, oscal" --format json --format html --format csv --format markdown --format oscal
} | tee "$out/period-report.md"
