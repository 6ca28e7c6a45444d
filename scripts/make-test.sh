#!/usr/bin/env bash
# `make test`: the release build and its tests, the sanitizer tests and the
# short fuzz runs. The next configuration compiles beside each stage at the
# lowest CPU priority, so the stage keeps the cores it asks for; its output
# goes to a log that is shown when it fails. Every stage runs even after a
# failure, and the exit status says whether all passed.
#
#   scripts/make-test.sh [make]
set -u
make_cmd=${1:-make}
logs=$(mktemp -d)
failed=()

start=$SECONDS
elapsed() { echo "$(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s"; }

# Runs "$@" niced in the background; `finish NAME` waits for it.
declare -A pids
background() {
  local name=$1
  shift
  nice -n 19 "$@" > "$logs/$name.log" 2>&1 &
  pids[$name]=$!
}
finish() {
  local name=$1
  if ! wait "${pids[$name]}"; then
    echo "=== $name failed at $(elapsed); its output:"
    cat "$logs/$name.log"
    failed+=("$name")
    return 1
  fi
  echo "=== $name done at $(elapsed)"
}
stage() {
  local name=$1
  shift
  echo "=== $name at $(elapsed)"
  "$@" || { failed+=("$name"); return 1; }
}

# The sanitizer build starts with the release build and takes the cycles it
# leaves (its links and make's waits), then those of the release tests.
background asan-build "$make_cmd" --no-print-directory asan-build
stage build "$make_cmd" --no-print-directory build \
  && stage test-release "$make_cmd" --no-print-directory test-release
asan_ok=1
finish asan-build || asan_ok=0

background fuzz-build "$make_cmd" --no-print-directory fuzz-build
if [ "$asan_ok" = 1 ]; then
  stage test-asan "$make_cmd" --no-print-directory asan-ctest
fi
finish fuzz-build && stage test-fuzz "$make_cmd" --no-print-directory test-fuzz

echo "=== make test: $(elapsed)"
rm -rf "$logs"
if [ ${#failed[@]} -gt 0 ]; then
  echo "make test: FAILED: ${failed[*]}"
  exit 1
fi
echo "make test: all passed"
