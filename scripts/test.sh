#!/usr/bin/env bash
# Set up (idempotent) and run every test: unit tests, fixture comparisons against the reference
# implementations, integration tests on the real models, and every test binary once more under
# AddressSanitizer and UndefinedBehaviorSanitizer (without the real-model comparisons).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh all
export KNOWSCOPE_REQUIRE_MODELS=1  # the real models are present now: their tests must not skip
export KNOWSCOPE_REQUIRE_BROWSER=1  # chromium is installed by the setup: the report test must not skip

if [[ ${KNOWSCOPE_SKIP_SANITIZERS:-0} != 1 ]]; then
  asan=${BUILD_DIR:-build}-asan
  # -O1 -g1: what the sanitizers need (line tables for reports) at a fraction of the -O2 -g compile time.
  cmake -S . -B "$asan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
    -DKNOWSCOPE_SANITIZE=ON \
    -DKNOWSCOPE_BENCH=OFF -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
  echo "test: building the sanitizer tests in $asan"
  if ! cmake --build "$asan" --target test_core test_io test_model test_hooks test_sae test_study \
      > "$asan/build.log" 2>&1; then
    cat "$asan/build.log"
    exit 1
  fi
  for t in test_core test_io test_model test_hooks test_sae test_study; do
    echo "== $t under AddressSanitizer + UndefinedBehaviorSanitizer"
    # The real-model comparisons run once, in the optimized build below (minutes under ASan).
    filter='*'
    [[ $t == test_model ]] && filter='-Cache/RealModel.*'
    ASAN_OPTIONS=detect_leaks=1 "$asan/$t" --gtest_brief=1 --gtest_filter="$filter"
  done
fi

ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j 2
