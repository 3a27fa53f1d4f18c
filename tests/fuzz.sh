#!/usr/bin/env bash
# Fuzzing: every decoder that reads bytes from outside, under libFuzzer
# (cargo-fuzz, coverage-guided), for a set number of executions each; prints
# each target's count and the total. A crash stops the run with the input in
# fuzz/artifacts/<target>/. What the runs add to fuzz/corpus/ is kept: the
# corpus is replayed by `cargo test -p ledger-fuzzing` (command 2).
#
#   tests/fuzz.sh [executions per target=2000000] [target…]
#
# Needs the nightly toolchain (cargo-fuzz's instrumentation flags); installs
# cargo-fuzz from crates.io when it is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs="${1:-2000000}"
shift || true
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2
cargo run -q --locked -p ledger-fuzzing --bin fuzz-seeds -- fuzz/corpus
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)
total=0
for target in "${targets[@]}"; do
    log="$(mktemp)"
    # No sanitizer (none of the code is unsafe), debug assertions on: an
    # arithmetic overflow is a crash.
    cargo +nightly fuzz run --sanitizer none --debug-assertions "$target" -- \
        -runs="$runs" -max_len=65536 -print_final_stats=1 >"$log" 2>&1 || {
        tail -n 40 "$log"
        echo "fuzz: $target crashed (input in fuzz/artifacts/$target/)" >&2
        exit 1
    }
    done_runs="$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *\([0-9]*\)/\1/p' "$log" | tail -n 1)"
    echo "fuzz: $target: ${done_runs:-0} executions, no crash (${rate:-?} exec/s)"
    total=$(( total + ${done_runs:-0} ))
    rm -f "$log"
done
echo "fuzz: ${total} executions in total, no crash"
