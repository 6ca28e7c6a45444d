#!/usr/bin/env bash
# Runs one fuzz target: fuzz/run.sh TARGET SECONDS [BUILD_DIR]
#
#   1. seeds BUILD_DIR/corpus/TARGET from tests/samples, config/*.toml and
#      fuzz/seeds/TARGET (the corpus keeps what earlier runs found);
#   2. replays fuzz/regressions/TARGET/* (inputs that once failed);
#   3. fuzzes for SECONDS, then prints executions and coverage and appends
#      them to BUILD_DIR/results.tsv.
#
# Exits non-zero on any crash, leak, sanitizer report, failed check,
# timeout (-timeout=10 per input) or out-of-memory (-rss_limit_mb=2048); the
# input is kept under BUILD_DIR/artifacts/TARGET/ and the log's tail printed.
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 TARGET SECONDS [BUILD_DIR]" >&2
  exit 2
fi
target=$1
seconds=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
build=$(realpath -m "${3:-$root/build-fuzz}")
bin="$build/${target}_fuzz"
[[ -x "$bin" ]] || { echo "fuzz: $bin is not built (make fuzz builds it)" >&2; exit 2; }

# Absolute paths throughout: the config target runs in a directory of its own.
corpus="$build/corpus/$target"
artifacts="$build/artifacts/$target"
log="$build/logs/$target.log"
dict="$build/dicts/$target.dict"
mkdir -p "$corpus" "$artifacts" "$(dirname "$log")" "$(dirname "$dict")"

# -- seeds ----------------------------------------------------------------

samples="$root/tests/samples"
seed() { # seed FILE...: copy into the corpus, named after their origin
  local f
  for f in "$@"; do
    [[ -f "$f" ]] && cp "$f" "$corpus/seed-$(basename "$(dirname "$f")")-$(basename "$f")"
  done
  return 0
}
shopt -s nullglob
seed "$here/seeds/$target"/*
dicts=()
extra=()
case $target in
  http_request)
    dicts=(http)
    # Room for the real 8 KiB header limit to be crossed.
    extra=(-max_len=20000)
    ;;
  graph_update)
    dicts=(json)
    seed "$samples/graph_webhook.json"
    ;;
  legacy_update)
    dicts=(json)
    seed "$samples/legacy_update.json"
    ;;
  provider_answers)
    dicts=(json provider)
    # Every JSON sample but the two webhook bodies is a provider answer.
    for f in "$samples"/*.json; do
      case $(basename "$f") in
        graph_webhook.json | legacy_update.json) ;;
        *) seed "$f" ;;
      esac
    done
    ;;
  signed_request)
    dicts=(json)
    # The sample payload, both as itself (the target signs it) and as a field
    # signed with the target's app secret (signed_request_fuzz.cpp).
    python3 - "$samples/signed_request.txt" "$corpus" <<'EOF'
import base64, hashlib, hmac, re, sys
text = open(sys.argv[1], encoding="utf-8").read()
payloads = re.findall(r'^\s*(\{"algorithm".*\})\s*$', text, re.M)
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=")
for i, p in enumerate(payloads):
    seg = b64(p.encode())
    sig = b64(hmac.new(b"fuzz-app-secret", seg, hashlib.sha256).digest())
    open(f"{sys.argv[2]}/seed-samples-payload-{i}.json", "wb").write(p.encode())
    open(f"{sys.argv[2]}/seed-samples-field-{i}.txt", "wb").write(sig + b"." + seg)
EOF
    ;;
  config)
    dicts=(toml)
    seed "$root/config"/*.toml
    ;;
  *)
    echo "fuzz: no seeding rule for '$target'" >&2
    ;;
esac
: >"$dict"
for d in "${dicts[@]}"; do
  cat "$here/dicts/$d.dict" >>"$dict"
done
# Plus the names the parsers look for, as the sources spell them today:
# JSON keys from src/instagram, TOML keys and sections from src/config.
literals() { grep -ohE '"[A-Za-z_][A-Za-z0-9_.-]{1,40}"' "$@" | sort -u; }
case " ${dicts[*]} " in
  *" json "*) literals "$root"/src/instagram/*.cpp | sed 's/^"\(.*\)"$/"\\"\1\\""/' >>"$dict" ;;
esac
case " ${dicts[*]} " in
  *" toml "*) literals "$root"/src/config/*.cpp >>"$dict" ;;
esac

# -- run ------------------------------------------------------------------

# No terminal and /dev/null as stdin: the config target opens whatever path
# its input names, and a read from a tty or an inherited pipe would block.
detach=()
if command -v setsid >/dev/null; then
  detach=(setsid -w)
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
common=(-timeout=10 -rss_limit_mb=2048 -artifact_prefix="$artifacts/")

regressions=("$here/regressions/$target"/*)
if ((${#regressions[@]} > 0)); then
  echo "fuzz $target: replaying ${#regressions[@]} regression input(s)"
  if ! "${detach[@]}" "$bin" "${common[@]}" "${regressions[@]}" </dev/null >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz $target: FAILED on a regression input (log: $log)" >&2
    exit 1
  fi
fi

echo "fuzz $target: ${seconds}s over $corpus"
status=0
# The outer timeout only guards against libFuzzer itself wedging.
timeout -k 10 $((seconds + 300)) "${detach[@]}" "$bin" "${common[@]}" \
  -max_total_time="$seconds" -print_final_stats=1 -dict="$dict" "${extra[@]}" \
  "$corpus" </dev/null >"$log" 2>&1 || status=$?

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
line=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1 || true)
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$line")
ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$line")
corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$line")
echo "fuzz $target: ${execs:-?} executions (${rate:-?}/s), cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}"
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$seconds" "${execs:-}" "${rate:-}" \
  "${cov:-}" "${ft:-}" "${corp:-}" >>"$build/results.tsv"

if ((status != 0)); then
  tail -n 80 "$log"
  echo "fuzz $target: FAILED (exit $status); input kept in $artifacts/, log: $log" >&2
  exit "$status"
fi
