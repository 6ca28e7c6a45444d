#!/usr/bin/env bash
# `make run`: fakegram and igbridge on the demo config, a connect link on
# the terminal, Ctrl-C stops both.
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
mkdir -p var/demo/secrets
chmod 700 var/demo/secrets
for name in client_secret meta_app_secret link_secret verify_token; do
  f=var/demo/secrets/$name
  [ -s "$f" ] || head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$f"
done

# --media-webhooks: a demo convenience. The real Instagram sends no update
# for an account's own posts; igbridge finds those by polling.
# Two apps, as on Meta: the Instagram app (the OAuth client) inside the Meta
# app, each with its own secret (docs/meta-setup.md).
"$build/fakegram" --listen 127.0.0.1:8090 --dialect graph --client-id demo-client \
  --client-secret "$(cat var/demo/secrets/client_secret)" \
  --app-id demo-meta-app --meta-app-secret "$(cat var/demo/secrets/meta_app_secret)" \
  --verify-token "$(cat var/demo/secrets/verify_token)" \
  --webhook-url http://127.0.0.1:8080/hooks/instagram --media-webhooks &
fakegram_pid=$!
"$build/igbridge" serve -c config/demo.toml &
igbridge_pid=$!
trap 'kill $igbridge_pid $fakegram_pid 2>/dev/null; wait 2>/dev/null' INT TERM EXIT

for _ in $(seq 100); do
  curl -fs http://127.0.0.1:8081/readyz >/dev/null 2>&1 && break
  sleep 0.1
done
link=$("$build/igbridge" link-url -c config/demo.toml --user demo --ttl 3600)
cat <<MSG

  igbridge is running (fakegram plays Instagram).

  1. Connect Instagram:  $link
  2. Post a fake photo:  http://127.0.0.1:8090/   (caption with #eatdifferent)
  3. Watch it arrive:    http://127.0.0.1:8081/status   and   var/demo/imports.jsonl
  4. Check the setup:    $build/igbridge doctor -c config/demo.toml

  Ctrl-C stops both.

MSG
wait $igbridge_pid
