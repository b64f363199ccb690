#!/usr/bin/env bash
# Set up (idempotent) and run every test: unit tests, fixture comparisons against the reference
# implementations, and integration tests on the real models.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh all
export KNOWSCOPE_REQUIRE_MODELS=1  # the real models are present now: their tests must not skip
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j 2
