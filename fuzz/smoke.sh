#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS seconds each, starting from the
# committed seeds, and exits non-zero if any target finds a crash.
#
#   fuzz/smoke.sh 60
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). New
# corpus entries go to a scratch directory, so the committed seeds stay as they
# are; a crashing input is left in fuzz/artifacts/TARGET/ for a regression test.
set -euo pipefail

seconds=${1:?usage: fuzz/smoke.sh SECONDS}
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

targets=$(cargo +nightly fuzz list)
cargo +nightly fuzz build

status=0
for target in $targets; do
  mkdir -p "$scratch/$target"
  # Committed seeds, and inputs that once crashed (replayed first, every run).
  seeds=()
  [ -d "seeds/$target" ] && seeds+=("seeds/$target")
  [ -d "regressions/$target" ] && seeds+=("regressions/$target")
  log="$scratch/$target.log"
  if cargo +nightly fuzz run "$target" "$scratch/$target" "${seeds[@]}" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=512 -print_final_stats=1 \
      >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    echo "fuzz $target: ${seconds}s, $runs executions, 0 crashes"
  else
    echo "fuzz $target: CRASH (log follows; the input is in fuzz/artifacts/$target/)"
    tail -n 60 "$log"
    status=1
  fi
done
exit $status
