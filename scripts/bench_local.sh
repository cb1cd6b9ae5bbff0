#!/usr/bin/env bash
# Benchmark the local AWS endpoint: GetStage req/s over HTTP and memory with 10,000 stages.
# Usage: scripts/bench_local.sh [SECONDS] [CONCURRENCY] [STAGES]
# PROFILE=dev skips the (slow, first-time) release build.
set -euo pipefail
cd "$(dirname "$0")/.."
profile_flag="--release"
if [[ "${PROFILE:-release}" == "dev" ]]; then profile_flag=""; fi
exec cargo run -q $profile_flag --example bench_local -- "$@"
