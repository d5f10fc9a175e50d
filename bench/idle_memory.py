#!/usr/bin/env python3
"""Memory of idle connections in musterd: resident bytes per idle HTTP keep-alive connection (one
request done, waiting for the next), per silent new connection (connected, nothing sent) and per
idle TLS connection (handshake done on the wss listener, nothing sent), for one or more builds
side by side in the same run.

    bench/idle_memory.py [--connections N] [--runs R] BUILD_DIR [BUILD_DIR ...]

Each run starts a fresh musterd of the build (no demo servers), opens N connections from many
loopback source addresses (so no per-address cap applies), measures VmRSS of musterd before and
after, and reports (after - before) / N. The client sockets live in this process; they add no
resident memory to musterd. Prints one line per build and run.
"""
import argparse
import os
import shutil
import ssl
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def connect(port, i):
    s = socket.socket()
    s.bind((f"127.{1 + i // 60000}.{1 + (i // 240) % 250}.{1 + i % 240}", 0))
    s.connect(("127.0.0.1", port))
    return s


def measure(build, n, mode):
    data = tempfile.mkdtemp(prefix="muster-idle-")
    http, wss = free_port(), free_port()
    proc = subprocess.Popen(
        [os.path.join(build, "src/daemon/musterd"), "--data-dir", data, "--http-port", str(http),
         "--server-ws-port", str(free_port()), "--server-wss-port", str(wss), "--demo-servers", "0",
         "--log-level", "warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    tls.check_hostname = False
    tls.verify_mode = ssl.CERT_NONE
    socks = []
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", http), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        # Warm up the allocator and the loop with the same kind of connections, then measure.
        for phase in ("warm", "measure"):
            if phase == "measure":
                time.sleep(0.5)
                before = rss_kib(proc.pid)
            batch = []
            for i in range(n if phase == "measure" else n // 10):
                if mode == "tls":
                    s = tls.wrap_socket(connect(wss, len(socks) + i))
                else:
                    s = connect(http, len(socks) + i)
                if mode == "keepalive":
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                batch.append(s)
            if mode == "keepalive":
                for s in batch:
                    got = b""
                    while b"ok" not in got:
                        got += s.recv(4096)
            socks.extend(batch)
        time.sleep(1.0)
        after = rss_kib(proc.pid)
        return (after - before) * 1024 / n
    finally:
        for s in socks:
            s.close()
        proc.terminate()
        proc.wait()
        shutil.rmtree(data, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("builds", nargs="+")
    ap.add_argument("--connections", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--modes", default="keepalive,silent,tls")
    args = ap.parse_args()
    for run in range(args.runs):
        for build in args.builds:
            for mode in args.modes.split(","):
                b = measure(build, args.connections, mode)
                print(f"run {run + 1}  {build}  {mode:9s}  {args.connections} connections  "
                      f"{b:8.0f} bytes each", flush=True)


if __name__ == "__main__":
    sys.exit(main())
