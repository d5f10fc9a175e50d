#!/usr/bin/env bash
# Requests/s of the signed GET /requestmatchstatus on one core, side by side with nginx serving a
# static file of the same size on the same core (wrk on the other core, same connections and
# duration). Prints both figures and the ratio.
#   bench/status_vs_nginx.sh [build-dir] [seconds] [connections]
# MUSTERD_ARGS adds flags to musterd (e.g. MUSTERD_ARGS="--threads 1"). Also prints each side's CPU
# time per request (from /proc; steadier than req/s on a noisy VM, where the core is shared).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
secs=${2:-10}
conns=${3:-32}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; rm -rf "$work"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

hp=$(port); wp=$(port); np=$(port)
taskset -c 0 "$build/src/daemon/musterd" --data-dir "$work/data" --http-port "$hp" --server-ws-port "$wp" \
  --server-wss-port 0 --demo-servers 0 --log-level warn ${MUSTERD_ARGS:-} > "$work/musterd.log" 2>&1 &
mpid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$hp/healthz" >/dev/null && break; sleep 0.1; done
info=$(cd "$here/tests/e2e" && node "$here/bench/sign_status.mjs" "http://127.0.0.1:$hp" 2>/dev/null)
path=$(node -e 'console.log(JSON.parse(process.argv[1]).path)' "$info")
bytes=$(node -e 'console.log(JSON.parse(process.argv[1]).bodyBytes)' "$info")
node -e 'console.log(JSON.parse(process.argv[1]).lua)' "$info" > "$work/signed.lua"

mkdir -p "$work/www" "$work/nginx"
chmod 755 "$work" "$work/www"
head -c "$bytes" /dev/zero | tr '\0' 'x' > "$work/www/status.json"
chmod 644 "$work/www/status.json"
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server { listen 127.0.0.1:$np; location / { root $work/www; default_type application/json; } }
}
CONF
taskset -c 0 nginx -c "$work/nginx.conf" -p "$work/nginx"
sleep 0.5

npid=$(pgrep -P "$(cat "$work/nginx.pid")" | head -1)  # the worker
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# run PID WRK-ARGS...: prints req/s and the CPU µs per request of PID during the run.
run() {
  local pid=$1; shift
  local before; before=$(cpu_ticks "$pid")
  taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" "$@" > "$work/wrk.out"
  local after; after=$(cpu_ticks "$pid")
  if grep -q "Non-2xx" "$work/wrk.out"; then echo "non-2xx responses:" >&2; cat "$work/wrk.out" >&2; exit 1; fi
  local reqs; reqs=$(awk '/requests in/ {print $1}' "$work/wrk.out")
  echo "$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out") $(python3 -c "print(f'{($after - $before) / $(getconf CLK_TCK) * 1e6 / $reqs:.1f}')")"
}
read -r m mcpu < <(run "$mpid" -s "$work/signed.lua" "http://127.0.0.1:$hp$path")
read -r n ncpu < <(run "$npid" "http://127.0.0.1:$np/status.json")
status=$(grep -c ' ERROR ' "$work/musterd.log" || true)
echo "body bytes: $bytes, connections: $conns, seconds: $secs"
echo "musterd /requestmatchstatus (signed): $m req/s, $mcpu µs CPU/request"
echo "nginx static file:                   $n req/s, $ncpu µs CPU/request"
python3 -c "print(f'ratio musterd/nginx: {$m/$n:.3f} (req/s), {$ncpu/$mcpu:.3f} (CPU per request, nginx/musterd)')"
