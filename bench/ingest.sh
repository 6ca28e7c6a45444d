#!/usr/bin/env bash
# Webhook ingest against a web server that does nothing (issue 12).
#
#   bench/ingest.sh [IGBRIDGE_BIN[@STORAGE_DIR][%changelog] ...]
#
# For each igbridge binary given (default build/igbridge): fakegram and
# igbridge (graph dialect, polling off) with USERS linked users, started by
# bench.py's `hold`. Beside them nginx with one worker answering `return 200`.
# The same client, wrk with CONNECTIONS keep-alive connections, sends the
# same signed 1-entry graph payloads, rotated over the users, to each
# (bench/ingest.lua). Several binaries are measured side by side in one
# run, turn by turn, so a busy machine slows them alike. Printed:
#   - max rate: acknowledged webhooks/s, p50/p99, igbridge CPU µs per
#     acknowledged webhook (utime+stime from /proc/PID/stat before/after,
#     over the 200s), and nginx req/s and the ratio; webhooks per commit
#     and a commit's mean time (igbridge's store metrics), and the rate
#     that commit time allows the closed loop of connections;
#   - p50/p99 at half the max rate: the same connections, each waiting
#     between an answer and its next request (wrk's delay() hook, since
#     wrk2 is not in Debian); the wait is calibrated by two short passes
#     so the achieved rate lands near half the max;
#   - one sequential connection's p50 beside one fsync (a 4 KiB overwrite
#     and fsync, median of 200, taken just before and just after the
#     sequential run) in igbridge's storage directory.
# BIN@DIR puts that instance's storage under DIR; BIN%changelog runs it with
# mutation capture on (IGBRIDGE_CHANGELOG_FILE: every committed batch's
# mutations appended to a file on tmpfs, /dev/shm, removed at the end), so
# the same binary with and without it shows what capture costs.
# Every process the script starts is stopped at the end.
#
# Environment: DURATION (s per measured run, 10), CONNECTIONS (32),
# THREADS (wrk threads, 2), USERS (200), ROUNDS (rounds of every
# measurement, the binaries taking turns; medians reported; 1),
# SEQ_DURATION (5), FAKEGRAM_BIN (build/fakegram), PERF=1 (after the
# measurements, one more max-rate run per binary under `perf record -g`,
# summed up by bench/perf_summary.py; the work directory is kept).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
USERS=${USERS:-200}
ROUNDS=${ROUNDS:-1}
SEQ_DURATION=${SEQ_DURATION:-5}
export FAKEGRAM_BIN=${FAKEGRAM_BIN:-$root/build/fakegram}
specs=("$@")
if [ ${#specs[@]} -eq 0 ]; then
  specs=("$root/build/igbridge")
fi
# BIN@DIR: that binary with its storage under DIR (say /dev/shm, where a
# flush costs nothing: what the disk path costs, side by side).
# BIN%changelog (also BIN@DIR%changelog): with mutation capture on.
bins=()
stores=()
changelogs=() # 1: capture on
for spec in "${specs[@]}"; do
  rest=$spec
  c=""
  case "$rest" in
    *%changelog) rest=${rest%\%changelog} c=1 ;;
  esac
  b=${rest%%@*}
  s=""
  [ "$b" = "$rest" ] || s=${rest#*@}
  [ -x "$b" ] || { echo "not an executable: $b" >&2; exit 2; }
  [ -z "$s" ] || [ -d "$s" ] || { echo "not a directory: $s" >&2; exit 2; }
  bins+=("$b")
  stores+=("$s")
  changelogs+=("$c")
done

# -- tools ---------------------------------------------------------------------
# A bench, not part of make test: install Debian's wrk and nginx when missing.
need=()
command -v wrk >/dev/null || need+=(wrk)
[ -x /usr/sbin/nginx ] || need+=(nginx)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "installing ${need[*]}"
  # The package would start its own nginx on port 80; policy-rc.d says no.
  policy_added=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d
    policy_added=1
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
  [ -z "$policy_added" ] || $sudo rm -f /usr/sbin/policy-rc.d
fi
if [ -n "${PERF:-}" ] && ! command -v perf >/dev/null; then
  echo "PERF=1 needs perf (Debian package linux-perf)" >&2
  exit 2
fi

work=$(mktemp -d /tmp/igbridge-ingest.XXXXXX)
holders=()
nginx_pid=""
cleanup() {
  for p in "${holders[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
  done
  [ -z "$nginx_pid" ] || kill -TERM "$nginx_pid" 2>/dev/null || true
  for p in "${holders[@]}" $nginx_pid; do
    wait "$p" 2>/dev/null || true
  done
  rm -f /dev/shm/"$(basename "$work")".changelog*
  if [ -n "${PERF:-}" ] || [ -n "${KEEP:-}" ]; then
    echo "work directory kept: $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# utime+stime of a process and, for nginx, its workers (clock ticks).
cpu_ticks() {
  local total=0 pid line rest
  for pid in "$@"; do
    read -r line <"/proc/$pid/stat"
    rest=${line##*) }
    # shellcheck disable=SC2086
    set -- $rest
    total=$((total + ${12} + ${13}))
  done
  echo "$total"
}
tick_us=$((1000000 / $(getconf CLK_TCK)))

field() { # field LINE KEY
  sed -n "s/.* $2=\([0-9]*\).*/\1/p" <<<"$1"
}

run_wrk() { # run_wrk URL BODIES CONNECTIONS THREADS SECONDS [THINK_MS]
  wrk -t"$4" -c"$3" -d"$5"s -s "$here/ingest.lua" "$1" -- "$2" "${6:-}" | grep '^INGEST'
}

metric() { # metric ADMIN_URL SERIES -> its value (0 when absent)
  curl -sf "$1/metrics" | awk -v k="$2" '$1 == k {v = $2 + 0} END {print v + 0}'
}
scheduled_hints() { # scheduled_hints ADMIN_URL
  metric "$1" 'igbridge_webhook_hints_total{result="scheduled"}'
}
# Commits so far and the seconds they took, from the writer's own metrics.
commit_totals() { # commit_totals ADMIN_URL -> "COUNT SECONDS"
  echo "$(metric "$1" igbridge_store_commits_total) $(metric "$1" igbridge_store_commit_duration_seconds_sum)"
}

# -- igbridge instances ---------------------------------------------------------
changelog_of() { echo "/dev/shm/$(basename "$work").changelog$1"; }
echo "starting ${#bins[@]} igbridge instance(s) with $USERS linked users each"
for i in "${!bins[@]}"; do
  # The harness puts each daemon's directory (storage included) there.
  env ${stores[$i]:+IGBRIDGE_ARTIFACTS="${stores[$i]}"} \
    ${changelogs[$i]:+IGBRIDGE_CHANGELOG_FILE="$(changelog_of "$i")"} IGBRIDGE_BIN="${bins[$i]}" \
    python3 "$here/bench.py" hold --users "$USERS" \
    --out "$work/setup$i.json" >"$work/hold$i.log" 2>&1 &
  holders+=($!)
done
for i in "${!bins[@]}"; do
  for _ in $(seq 600); do
    [ -f "$work/setup$i.json" ] && break
    kill -0 "${holders[$i]}" 2>/dev/null || { cat "$work/hold$i.log" >&2; exit 1; }
    sleep 0.5
  done
  [ -f "$work/setup$i.json" ] || { echo "instance $i did not come up" >&2; exit 1; }
done

# Signed bodies, one line per linked user: "<signature>\t<body>".
for i in "${!bins[@]}"; do
  python3 - "$work/setup$i.json" "$work/bodies$i.txt" <<'EOF'
import hashlib, hmac, json, sys, time
setup = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as out:
    for n, ig in enumerate(setup["ids"]):
        body = json.dumps({"object": "instagram", "entry": [{
            "id": ig, "time": int(time.time()), "changes": [{
                "field": "mentions",
                "value": {"media_id": str(17918195224117851 + n),
                          "comment_id": str(17894227972186120 + n)}}]}]},
            separators=(",", ":"))
        sig = hmac.new(setup["secret"].encode(), body.encode(), hashlib.sha256).hexdigest()
        out.write(f"sha256={sig}\t{body}\n")
EOF
done
setup() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }

# -- nginx -----------------------------------------------------------------------
nginx_port=$(free_port)
mkdir -p "$work/nginx"
cat >"$work/nginx.conf" <<EOF
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen 127.0.0.1:$nginx_port;
    location / { return 200; }
  }
}
EOF
/usr/sbin/nginx -e "$work/nginx/error.log" -p "$work/nginx" -c "$work/nginx.conf" \
  -g 'daemon off;' &
nginx_pid=$!
for _ in $(seq 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$nginx_port/" && break
  sleep 0.1
done
nginx_procs() { echo "$nginx_pid" $(pgrep -P "$nginx_pid"); }

# Median of 200 fsyncs after a 4 KiB overwrite of a file already written
# and synced, in igbridge's storage directory (the same filesystem).
fsync_probe() { # fsync_probe DIR -> µs
  python3 - "$1" <<'EOF'
import os, statistics, sys, time
path = os.path.join(sys.argv[1], "fsync-probe")
fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
try:
    os.write(fd, os.urandom(16 * 4096))
    os.fsync(fd)
    t = []
    for i in range(200):
        os.pwrite(fd, os.urandom(4096), (i % 16) * 4096)
        t0 = time.perf_counter()
        os.fsync(fd)
        t.append(time.perf_counter() - t0)
    print(round(statistics.median(t) * 1e6))
finally:
    os.close(fd)
    os.unlink(path)
EOF
}

# -- measurements ----------------------------------------------------------------
results="$work/results.tsv" # who phase rps p50_us p99_us cpu_us_per_ack acked non2xx errors
: >"$results"

measure_max() { # measure_max WHO URL BODIES PIDS ADMIN
  local who=$1 url=$2 bodies=$3 pids=$4 admin=${5:-} before after line n bad err h0=0 h1=0 c0 c1
  before=$(cpu_ticks $pids)
  [ -z "$admin" ] || { h0=$(scheduled_hints "$admin"); c0=$(commit_totals "$admin"); }
  line=$(run_wrk "$url" "$bodies" "$CONNECTIONS" "$THREADS" "$DURATION")
  after=$(cpu_ticks $pids)
  [ -z "$admin" ] || { h1=$(scheduled_hints "$admin"); c1=$(commit_totals "$admin"); }
  n=$(field "$line" requests)
  bad=$(field "$line" non2xx)
  err=$(($(field "$line" connect) + $(field "$line" read) + $(field "$line" write) + $(field "$line" timeout)))
  local acked=$((n - bad))
  printf '%s\tmax\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$who" \
    "$(awk -v n="$acked" -v d="$(field "$line" duration_us)" 'BEGIN {printf "%.0f", n / d * 1e6}')" \
    "$(field "$line" p50_us)" "$(field "$line" p99_us)" \
    "$(awk -v t="$((after - before))" -v u="$tick_us" -v n="$acked" 'BEGIN {printf "%.1f", n ? t * u / n : 0}')" \
    "$acked" "$bad" "$err" >>"$results"
  if [ -n "$admin" ]; then
    printf '%s\thints\t%s\n' "$who" "$(awk -v a="$h0" -v b="$h1" 'BEGIN {printf "%.0f", b - a}')" >>"$results"
    # who commits COUNT SECONDS ACKED: the commits of this run and their time.
    printf '%s\tcommits\t%s\n' "$who" "$(awk -v a="$c0" -v b="$c1" -v n="$acked" \
      'BEGIN {split(a, x, " "); split(b, y, " "); printf "%.0f\t%.6f\t%d", y[1] - x[1], y[2] - x[2], n}')" >>"$results"
  fi
}

labels=()
for i in "${!bins[@]}"; do
  labels+=("igbridge[$i]")
  url="http://127.0.0.1:$(setup "$work/setup$i.json" port)"
  # Warm-up: first mailbox growth, page cache, LMDB pages of every user.
  run_wrk "$url" "$work/bodies$i.txt" "$CONNECTIONS" "$THREADS" 2 >/dev/null
done
run_wrk "http://127.0.0.1:$nginx_port" "$work/bodies0.txt" "$CONNECTIONS" "$THREADS" 2 >/dev/null

for round in $(seq "$ROUNDS"); do
  echo "round $round/$ROUNDS: max rate, $CONNECTIONS connections, ${DURATION}s each"
  measure_max nginx "http://127.0.0.1:$nginx_port" "$work/bodies0.txt" "$(nginx_procs)"
  for i in "${!bins[@]}"; do
    measure_max "igbridge[$i]" "http://127.0.0.1:$(setup "$work/setup$i.json" port)" \
      "$work/bodies$i.txt" "$(setup "$work/setup$i.json" pid)" "$(setup "$work/setup$i.json" admin)"
  done
done

median_rps() { # median_rps WHO
  awk -F'\t' -v w="$1" '$1 == w && $2 == "max" {print $3}' "$results" | sort -n |
    awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}

# Half rate: each binary's wait is calibrated once (two short passes),
# then the half-rate and sequential runs take turns over the rounds too.
thinks=()
targets=()
for i in "${!bins[@]}"; do
  url="http://127.0.0.1:$(setup "$work/setup$i.json" port)"
  max=$(median_rps "igbridge[$i]")
  target=$((max / 2))
  think=$(awk -v c="$CONNECTIONS" -v r="$target" 'BEGIN {printf "%.3f", c * 1000 / r}')
  echo "igbridge[$i]: half rate ($target/s), calibrating the wait"
  think0=$think
  for _ in 1 2; do
    line=$(run_wrk "$url" "$work/bodies$i.txt" "$CONNECTIONS" "$THREADS" 3 "$think")
    got=$(awk -v n="$(field "$line" requests)" -v d="$(field "$line" duration_us)" 'BEGIN {print n / d * 1e6}')
    # Each connection's cycle is its wait plus one answer: take the answer's
    # share out of the wait so the next pass lands on the target (never
    # below a quarter of the plain wait: a slow pass must not turn the
    # half-rate run into a max-rate one).
    think=$(awk -v c="$CONNECTIONS" -v r="$target" -v g="$got" -v t="$think" -v t0="$think0" \
      'BEGIN {a = c * 1000 / g - t; w = c * 1000 / r - a; printf "%.3f", (w > t0 / 4 ? w : t0 / 4)}')
  done
  thinks+=("$think")
  targets+=("$target")
done

for round in $(seq "$ROUNDS"); do
  echo "round $round/$ROUNDS: half rate ${DURATION}s, then one sequential connection ${SEQ_DURATION}s between two fsync probes"
  for i in "${!bins[@]}"; do
    url="http://127.0.0.1:$(setup "$work/setup$i.json" port)"
    line=$(run_wrk "$url" "$work/bodies$i.txt" "$CONNECTIONS" "$THREADS" "$DURATION" "${thinks[$i]}")
    printf 'igbridge[%s]\thalf\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$i" \
      "$(awk -v n="$(field "$line" requests)" -v d="$(field "$line" duration_us)" 'BEGIN {printf "%.0f", n / d * 1e6}')" \
      "$(field "$line" p50_us)" "$(field "$line" p99_us)" "${thinks[$i]}" "${targets[$i]}" "$(field "$line" non2xx)" "" >>"$results"

    storage=$(setup "$work/setup$i.json" storage)
    f0=$(fsync_probe "$storage")
    line=$(run_wrk "$url" "$work/bodies$i.txt" 1 1 "$SEQ_DURATION")
    f1=$(fsync_probe "$storage")
    printf 'igbridge[%s]\tseq\t%s\t%s\t%s\t%s\t%s\t%s\t\n' "$i" \
      "$(awk -v n="$(field "$line" requests)" -v d="$(field "$line" duration_us)" 'BEGIN {printf "%.0f", n / d * 1e6}')" \
      "$(field "$line" p50_us)" "$(field "$line" p99_us)" "$f0" "$f1" "$(field "$line" non2xx)" >>"$results"
  done
done

if [ -n "${PERF:-}" ]; then
  for i in "${!bins[@]}"; do
    pid=$(setup "$work/setup$i.json" pid)
    echo "igbridge[$i]: profiling one more max-rate run (perf record -g -p $pid)"
    perf record -q -g -p "$pid" -o "$work/perf$i.data" -- sleep "$DURATION" 2>/dev/null &
    perf_pid=$!
    run_wrk "http://127.0.0.1:$(setup "$work/setup$i.json" port)" "$work/bodies$i.txt" \
      "$CONNECTIONS" "$THREADS" "$DURATION" >/dev/null
    wait "$perf_pid" || true
    perf report -i "$work/perf$i.data" --no-children --sort comm,dso,symbol --stdio 2>/dev/null |
      grep -v '^$' | head -400 >"$work/perf$i.txt" || true
    python3 "$here/perf_summary.py" "$work/perf$i.data" | tee "$work/perf$i.summary" | sed 's/^/  /'
    echo "  full report: $work/perf$i.txt"
  done
fi

# -- report ----------------------------------------------------------------------
for i in "${!bins[@]}"; do
  [ -z "${changelogs[$i]}" ] || echo "igbridge[$i]: changelog $(stat -c %s "$(changelog_of "$i")") bytes"
done
python3 - "$results" "$CONNECTIONS" "$DURATION" "$ROUNDS" "${specs[@]}" <<'EOF'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
conns, duration, rounds = sys.argv[2], sys.argv[3], int(sys.argv[4])
bins = sys.argv[5:]

def med(who, phase, col):
    vals = [float(r[col]) for r in rows if r[0] == who and r[1] == phase and r[col] != ""]
    return statistics.median(vals) if vals else float("nan")

def total(who, phase, col):
    return sum(int(float(r[col])) for r in rows if r[0] == who and r[1] == phase and r[col] != "")

ms = lambda us: f"{us / 1000:.2f} ms"
nginx = med("nginx", "max", 2)
print()
print(f"max rate: wrk, {conns} keep-alive connections, {duration}s per run, "
      f"{'median of %d rounds' % rounds if rounds > 1 else 'one round'}")
print(f"  nginx return 200 (1 worker): {nginx:8.0f} req/s  p50 {ms(med('nginx', 'max', 3))}  "
      f"p99 {ms(med('nginx', 'max', 4))}  CPU {med('nginx', 'max', 5):.1f} µs/req")
for i, b in enumerate(bins):
    w = f"igbridge[{i}]"
    rps = med(w, "max", 2)
    bad, err = total(w, "max", 7), total(w, "max", 8)
    acked, hints = total(w, "max", 6), total(w, "hints", 2)
    print(f"  {w} {b}")
    print(f"    max rate:   {rps:8.0f} acknowledged/s  p50 {ms(med(w, 'max', 3))}  "
          f"p99 {ms(med(w, 'max', 4))}  CPU {med(w, 'max', 5):.1f} µs/ack  "
          f"ratio to nginx {rps / nginx:.2f}x")
    print(f"                {acked} acknowledged, {hints} hints scheduled, {bad} non-2xx, "
          f"{err} socket errors")
    # The closed loop's bound set by the store: a request's answer waits for
    # its commit, so no C connections pass C / commit; with the writer
    # always busy it waits for the commit under way first, so about half
    # the connections ride in each commit: C / (2 x commit).
    runs = [r for r in rows if r[0] == w and r[1] == "commits" and int(r[2]) > 0]
    if runs:
        commit_us = statistics.median(float(r[3]) / int(r[2]) * 1e6 for r in runs)
        per_commit = statistics.median(int(r[4]) / int(r[2]) for r in runs)
        c = int(conns)
        print(f"    commits:    {per_commit:.1f} webhooks per commit, a commit {commit_us:.0f} µs: "
              f"the store bounds the rate at {c / commit_us * 1e6:.0f}/s, "
              f"{c / 2 / commit_us * 1e6:.0f}/s with a commit always under way")
    half = [r for r in rows if r[0] == w and r[1] == "half"][0]
    print(f"    half rate:  {med(w, 'half', 2):8.0f} req/s (target {half[6]}/s, wait {half[5]} ms "
          f"per connection)  p50 {ms(med(w, 'half', 3))}  p99 {ms(med(w, 'half', 4))}")
    # One fsync: the mean of the probes just before and after each run.
    seqs = [r for r in rows if r[0] == w and r[1] == "seq"]
    fsync_us = statistics.median((float(r[5]) + float(r[6])) / 2 for r in seqs)
    over = statistics.median(float(r[3]) - (float(r[5]) + float(r[6])) / 2 for r in seqs)
    print(f"    sequential: {med(w, 'seq', 2):8.0f} req/s  p50 {ms(med(w, 'seq', 3))}  "
          f"p99 {ms(med(w, 'seq', 4))}  one fsync {ms(fsync_us)}: p50 - fsync = {ms(over)}")
    print(f"    per round:  max " + " ".join(f"{float(r[2]):.0f}/s" for r in rows
                                           if r[0] == w and r[1] == "max")
          + ";  half-rate p99 " + " ".join(ms(float(r[4])) for r in rows
                                           if r[0] == w and r[1] == "half")
          + ";  sequential p50 - fsync " + " ".join(
              ms(float(r[3]) - (float(r[5]) + float(r[6])) / 2) for r in seqs))
EOF
