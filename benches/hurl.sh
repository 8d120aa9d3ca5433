#!/usr/bin/env bash
# Compares pplay with Hurl (https://hurl.dev) on the same calls: N POSTs of
# one Producer Pal tool call to `pplay sim` on loopback, each checked for
# status 200. Hurl is not a dependency of the project; install it with
# `cargo install hurl` (it needs libcurl4-openssl-dev and pkg-config).
# Usage: benches/hurl.sh [N]   (default 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-2000}"
if ! command -v hurl >/dev/null; then
  echo "hurl is not installed; nothing to compare (cargo install hurl)"
  exit 0
fi
cargo build --release -q
bin=target/release/pplay
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" sim --port "$port" >/dev/null &
sim=$!
trap 'kill $sim 2>/dev/null || true; rm -rf "$work"' EXIT
work=$(mktemp -d)
for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done

# The same call N times, as a Hurl file and as a playbook.
for i in $(seq 0 $((n - 1))); do
  printf 'POST http://127.0.0.1:%s/api/tools/ppal-select?format=json\n{"view":"session","sceneIndex":%s}\nHTTP 200\n\n' "$port" $((i % 8))
done > "$work/calls.hurl"
cat > "$work/calls.yaml" <<YAML
name: hurl comparison
steps:
  - tool: ppal-select
    loop: range($n)
    args: { view: session, sceneIndex: "{{ item % 8 }}" }
YAML

time_it() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000 )); }
best_h=999999999; best_p=999999999
for _ in 1 2 3; do
  h=$(time_it hurl --test "$work/calls.hurl")
  p=$(time_it "$bin" run "$work/calls.yaml" --url "http://127.0.0.1:$port" -q)
  (( h < best_h )) && best_h=$h
  (( p < best_p )) && best_p=$p
done
echo "hurl $(hurl --version | head -1 | cut -d' ' -f2): $((best_h / n)) µs per call (best of 3 runs of $n calls, whole process)"
echo "pplay:      $((best_p / n)) µs per call (best of 3 runs of $n calls, whole process, check included)"
