#!/usr/bin/env bash
# Set-up on a fresh Debian 12 machine, idempotent: Debian packages, models into the cache, the build.
# Usage: bash scripts/setup.sh [MODEL ...]   (default models: gemma-3-270m)
# Environment: KNOWSCOPE_HOME (cache, default ~/.cache/knowscope), BUILD_DIR (default build).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake ninja-build g++ pkg-config ccache libopenblas-dev nlohmann-json3-dev libcli11-dev
          libcpp-httplib-dev zlib1g-dev libgtest-dev libbenchmark-dev python3 python3-pip
          libjs-chart.js chromium wordnet-base dict-gcide fortunes bible-kjv-text)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# python3/pip may come from elsewhere (pyenv); only ask apt for them when they are not usable.
if python3 -m pip --version >/dev/null 2>&1; then
  filtered=(); for p in "${missing[@]}"; do [[ $p == python3 || $p == python3-pip ]] || filtered+=("$p"); done
  missing=("${filtered[@]}")
fi
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=(); [[ $(id -u) == 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python3 scripts/fetch_models.py "${@:-gemma-3-270m}"
python3 scripts/build_corpus.py

build=${BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
echo "setup: building in $build (log: $build/build.log)"
if ! cmake --build "$build" > "$build/build.log" 2>&1; then
  cat "$build/build.log"
  echo "setup: build failed" >&2
  exit 1
fi
grep -E "warning:" "$build/build.log" || true
echo "setup: done ($build/knowscope)"
