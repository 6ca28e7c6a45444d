#!/usr/bin/env bash
# `make run-cluster`: three nats-server (JetStream R3), three igbridge nodes
# and fakegram on loopback, from the demo config; a connect link on the
# terminal, Ctrl-C stops everything. State stays under var/cluster.
#   nats:     127.0.0.1:4222, 4223, 4224 (routes 6222-6224)
#   igbridge: public 8080, 8082, 8084; admin 8081, 8083, 8085
#   fakegram: 127.0.0.1:8090 (its webhooks go to the first node)
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
dir=var/cluster
mkdir -p "$dir/secrets"
chmod 700 "$dir/secrets"
for name in client_secret meta_app_secret link_secret verify_token; do
  f=$dir/secrets/$name
  [ -s "$f" ] || head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$f"
done

# The nodes stop first, so that they leave the cluster while NATS is there.
pids=()
nodes=()
trap 'kill "${nodes[@]}" 2>/dev/null; wait "${nodes[@]}" 2>/dev/null;
      kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null' INT TERM EXIT

python3 tests/integration/nats_cluster.py "$dir/nats" 4222 6222 4223 6223 4224 6224 \
  > "$dir/nats.out" &
pids+=($!)
for _ in $(seq 150); do
  [ -s "$dir/nats.out" ] && break
  sleep 0.1
done

"$build/fakegram" --listen 127.0.0.1:8090 --dialect graph --client-id demo-client \
  --client-secret "$(cat $dir/secrets/client_secret)" \
  --app-id demo-meta-app --meta-app-secret "$(cat $dir/secrets/meta_app_secret)" \
  --verify-token "$(cat $dir/secrets/verify_token)" \
  --webhook-url http://127.0.0.1:8080/hooks/instagram --media-webhooks > "$dir/fakegram.log" &
pids+=($!)

# Each node: the demo config on its own ports, store and JSONL file (in a
# cluster each node appends its own shards' events), plus [cluster].
for n in 1 2 3; do
  pub=$((8078 + 2 * n)); adm=$((pub + 1))
  mkdir -p "$dir/node$n"
  sed -e "s|127.0.0.1:8080|127.0.0.1:$pub|g" -e "s|127.0.0.1:8081|127.0.0.1:$adm|g" \
      -e "s|var/demo/db|$dir/node$n/db|" -e "s|var/demo/imports.jsonl|$dir/node$n/imports.jsonl|" \
      -e "s|var/demo/secrets|$dir/secrets|g" config/demo.toml > "$dir/node$n/igbridge.toml"
  cat >> "$dir/node$n/igbridge.toml" <<TOML

[cluster]
nats_urls = ["nats://127.0.0.1:4222", "nats://127.0.0.1:4223", "nats://127.0.0.1:4224"]
node_id = "node$n"
shards = 16
lease_ttl_s = 2
replicas = 3
TOML
  "$build/igbridge" serve -c "$dir/node$n/igbridge.toml" 2> "$dir/node$n/igbridge.log" &
  nodes+=($!)
done

for adm in 8081 8083 8085; do
  for _ in $(seq 300); do
    curl -fs "http://127.0.0.1:$adm/readyz" >/dev/null 2>&1 && break
    sleep 0.1
  done
done
link=$("$build/igbridge" link-url -c "$dir/node1/igbridge.toml" --user demo --ttl 3600)
cat <<MSG

  A 3-node igbridge cluster is running on 3 nats-server (fakegram plays Instagram).

  1. Connect Instagram:  $link
  2. Post a fake photo:  http://127.0.0.1:8090/   (caption with #eatdifferent)
  3. The cluster:        curl -s http://127.0.0.1:8081/status | python3 -m json.tool
                         (any node: admin ports 8081, 8083, 8085)
  4. Logs and state:     $dir/

  Ctrl-C stops everything.

MSG
wait "${nodes[0]}"
