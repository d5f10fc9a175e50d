#!/usr/bin/env bash
# Soak: StartMatchmaking at a steady rate (admin-signed, one new player per ticket, STANDALONE 1v1,
# so every ticket ends COMPLETED) for a long time, with short retentions, sampling the store's size
# on disk, its row counts and musterd's RSS and CPU. The curve shows whether the store and the
# memory level off under steady load. musterd is pinned to core 0, muster-load to core 1.
#   bench/soak.sh [-d SECONDS] [-r TICKETS_PER_S] [-i SAMPLE_S] [-a "EXTRA MUSTERD ARGS"] [-o CSV] [MUSTERD]
# Defaults: one hour at 1,000 tickets/s, a sample every 30 s, ticket and event retention 10 min.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
secs=3600 rate=1000 every=30 extra="" out=soak.csv
while getopts "d:r:i:a:o:" o; do
  case $o in d) secs=$OPTARG ;; r) rate=$OPTARG ;; i) every=$OPTARG ;; a) extra=$OPTARG ;; o) out=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
bin=${1:-$here/build/src/daemon/musterd}
load="$here/build/tools/load/muster-load"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

hp=$(port); wp=$(port)
# shellcheck disable=SC2086
taskset -c 0 "$bin" --data-dir "$work/data" --http-port "$hp" --server-ws-port "$wp" --server-wss-port 0 \
  --demo-servers 0 --log-level warn --ticket-retention 10m --event-retention 10m $extra > "$work/musterd.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$hp/healthz" >/dev/null && break; sleep 0.1; done
(cd "$here/tests/e2e" && node "$here/bench/setup_standalone.mjs" "http://127.0.0.1:$hp")
taskset -c 1 "$load" --mode start --configuration duel --url "http://127.0.0.1:$hp" --rate "$rate" \
  --connections 64 --duration "$secs" --server-pid "$pid" --json "$out.load.json" > "$work/load.out" 2>&1 &
loadpid=$!
python3 - "$work/data" "$pid" "$loadpid" "$every" "$out" <<'PY'
import os, sqlite3, sys, time
data, pid, loadpid, every, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
tick = os.sysconf("SC_CLK_TCK")
def alive(p):
    try:
        with open(f"/proc/{p}/stat") as f: return f.read().split(")")[1].split()[0] != "Z"
    except OSError: return False
db = os.path.join(data, "muster.db")
start = time.time()
with open(out, "w") as f:
    f.write("seconds,db_bytes,wal_bytes,tickets,events,rss_kib,cpu_s\n")
    while alive(loadpid):
        size = lambda p: os.path.getsize(p) if os.path.exists(p) else 0
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        tickets = con.execute("select count(*) from tickets").fetchone()[0]
        events = con.execute("select count(*) from events").fetchone()[0]
        con.close()
        rss = next(int(l.split()[1]) for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS:"))
        st = open(f"/proc/{pid}/stat").read().split(")")[1].split()
        cpu = (int(st[11]) + int(st[12])) / tick
        row = f"{time.time() - start:.0f},{size(db)},{size(db + '-wal')},{tickets},{events},{rss},{cpu:.1f}"
        f.write(row + "\n"); f.flush(); print(row, flush=True)
        time.sleep(every)
PY
wait "$loadpid" || true
tail -n 30 "$work/load.out"
kill "$pid"; wait "$pid" 2>/dev/null || true
grep -v "^$" "$work/musterd.log" | tail -n 5 || true
