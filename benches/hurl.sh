#!/usr/bin/env bash
# Compares pplay with Hurl (https://hurl.dev) on the same calls, side by side
# in one run: N templated `ppal-create-clip` calls, each reading the previous
# reply's id, checked for status 200 and `noteCount == 1` (pplay also checks
# every call against the tool's schema). The server is nginx answering every
# call with one fixed JSON body (and the pinned catalog for GET /api/tools),
# so what is measured is the client. A bare Python keep-alive loop sending
# the same bodies gives the floor.
#
# Neither Hurl nor nginx is a dependency of the project, and CI never runs
# this. To get them: apt-get install -y nginx-light libcurl4-openssl-dev
# pkg-config libclang-dev && cargo install hurl --version 8.0.1
# Usage: benches/hurl.sh [N]   (default 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-2000}"
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "nginx is not installed; nothing to compare (apt-get install nginx-light)"; exit 0; }
command -v hurl >/dev/null || { echo "hurl is not installed; nothing to compare (cargo install hurl)"; exit 0; }

cargo build --release -q
bin=$PWD/target/release/pplay
[ -n "${CARGO_TARGET_DIR:-}" ] && bin=$CARGO_TARGET_DIR/release/pplay
work=$(mktemp -d)
trap '[ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; rm -rf "$work"' EXIT

# The playbook and the Hurl file come from the scale benchmark's generator,
# so both sides send the same calls.
cargo bench -q --bench scale -- --write "$work" "$n" >/dev/null

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
reply='{"result":{"id":"clip-1","noteCount":1},"isError":false}'
mkdir -p "$work/logs"
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
daemon on;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $work/body;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$port;
    location = /api/tools {
      default_type application/json;
      alias $PWD/schemas/producer-pal-1.4.6.json;
    }
    location /api/tools/ {
      default_type application/json;
      return 200 '$reply';
    }
  }
}
CONF
"$nginx" -p "$work" -e "$work/logs/error.log" -c "$work/nginx.conf"
for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
url="http://127.0.0.1:$port"

cat > "$work/floor.py" <<'PY'
import http.client, json, sys
host = sys.argv[1].removeprefix("http://")
conn = http.client.HTTPConnection(host)
last = None
for i in range(int(sys.argv[2])):
    name = "first" if last is None else "after " + last
    body = json.dumps({"trackIndex": 0, "notes": "C3 1|1", "name": name})
    conn.request("POST", "/api/tools/ppal-create-clip?format=json", body, {"Content-Type": "application/json"})
    r = conn.getresponse()
    assert r.status == 200
    reply = json.loads(r.read())
    assert reply["result"]["noteCount"] == 1
    last = reply["result"]["id"]
PY
floor=(python3 "$work/floor.py" "$url" "$n")
hurl_run=(hurl --test --variable "url=$url" --variable track=0 --variable "notes=C3 1|1" "$work/templated-$n.hurl")
pplay_run=("$bin" run -q --url "$url" "$work/templated-$n.yaml")

# Each must pass before it is timed.
"${floor[@]}"
"${hurl_run[@]}" >/dev/null 2>&1 || { echo "hurl failed:"; "${hurl_run[@]}"; exit 1; }
"${pplay_run[@]}"

# Wall time (µs) and peak RSS (KiB) of one process.
measure() {
  local t0 t1 rss
  t0=$(date +%s%N)
  rss=$(/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1)
  t1=$(date +%s%N)
  echo "$(( (t1 - t0) / 1000 )) $rss"
}
declare -A best_t best_m
for _ in 1 2 3 4 5; do
  for who in floor hurl_run pplay_run; do
    declare -n cmd=$who
    read -r t m < <(measure "${cmd[@]}")
    if [ -z "${best_t[$who]:-}" ] || (( t < best_t[$who] )); then best_t[$who]=$t; best_m[$who]=$m; fi
  done
done
line() { awk -v t="$2" -v m="$3" -v n="$n" -v w="$1" 'BEGIN { printf "%-32s %7.1f µs per call, %5.1f MiB peak\n", w, t / n, m / 1024 }'; }
echo "$n templated calls to nginx answering a fixed body; whole process, best of 5 interleaved runs"
line "python keep-alive loop (floor):" "${best_t[floor]}" "${best_m[floor]}"
line "hurl $(hurl --version | head -1 | cut -d' ' -f2):" "${best_t[hurl_run]}" "${best_m[hurl_run]}"
line "pplay (check included):" "${best_t[pplay_run]}" "${best_m[pplay_run]}"
awk -v h="${best_t[hurl_run]}" -v p="${best_t[pplay_run]}" 'BEGIN { printf "hurl / pplay: %.2fx  (target: >= 1.5x)\n", h / p }'
