#!/usr/bin/env python3
"""Memory of idle connections in musterd: resident bytes per idle HTTP keep-alive connection (one
request done, waiting for the next), per silent new connection (connected, nothing sent), per
idle TLS connection (handshake done on the wss listener, nothing sent) and per idle push
WebSocket (mode push: a guest's presigned upgrade to /ws done, attached to its events, recorded
in the store), for one or more builds side by side in the same run.

    bench/idle_memory.py [--connections N] [--runs R] BUILD_DIR [BUILD_DIR ...]

Each run starts a fresh musterd of the build (no demo servers), opens N connections from many
loopback source addresses (so no per-address cap applies), measures VmRSS of musterd before and
after, and reports (after - before) / N. The client sockets live in this process; they add no
resident memory to musterd. Prints one line per build and run.
"""
import argparse
import datetime
import hashlib
import hmac
import json
import os
import urllib.parse
import urllib.request
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


POOL = "local:00000000-0000-0000-0000-000000000000"


def identity_call(port, op, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/", data=json.dumps(body).encode(), headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"AWSCognitoIdentityService.{op}"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def guest(port):
    identity = identity_call(port, "GetId", {"IdentityPoolId": POOL})["IdentityId"]
    c = identity_call(port, "GetCredentialsForIdentity", {"IdentityId": identity})["Credentials"]
    return c["AccessKeyId"], c["SecretKey"], c["SessionToken"]


def presigned_ws_target(port, creds, nonce, region="local", service="execute-api"):
    """GET /ws presigned with SigV4 (query form), as docs/push.md describes."""
    ak, sk, token = creds
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    scope = f"{day}/{region}/{service}/aws4_request"
    params = {"X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": f"{ak}/{scope}",
              "X-Amz-Date": amz_date, "X-Amz-Expires": "300", "X-Amz-Security-Token": token,
              "X-Amz-SignedHeaders": "host", "nonce": nonce}
    query = "&".join(f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}"
                     for k, v in sorted(params.items()))
    host = f"127.0.0.1:{port}"
    creq = f"GET\n/ws\n{query}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD"
    to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(creq.encode()).hexdigest()}"
    key = ("AWS4" + sk).encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"/ws?{query}&X-Amz-Signature={signature}", host


def push_upgrade(s, port, creds, i):
    target, host = presigned_ws_target(port, creds, f"n{i}")
    s.sendall((f"GET {target} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())


def measure(build, n, mode):
    data = tempfile.mkdtemp(prefix="muster-idle-")
    http, wss = free_port(), free_port()
    proc = subprocess.Popen(
        [os.path.join(build, "src/daemon/musterd"), "--data-dir", data, "--http-port", str(http),
         "--server-ws-port", str(free_port()),
         # Push mode: no wss listener, so that the open-file budget (split over the listeners)
         # leaves the client port room for about 9,700 connections under a limit of 20,000.
         "--server-wss-port", str(0 if mode == "push" else wss), "--demo-servers", "0",
         "--log-level", "warn", "--max-connections", str(n + n // 10 + 100),
         "--push-connections-per-identity", "1000", "--push-connects-per-minute", "0",
         "--push-address-connects-per-minute", "0"],
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
        guests = [guest(http) for _ in range((n + n // 10) // 1000 + 1)] if mode == "push" else []
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
                elif mode == "push":
                    k = len(socks) + i
                    push_upgrade(s, http, guests[k // 1000], k)
                batch.append(s)
            if mode in ("keepalive", "push"):
                for s in batch:
                    got = b""
                    while b"\r\n\r\n" not in got:
                        got += s.recv(4096)
                    if mode == "push" and not got.startswith(b"HTTP/1.1 101"):
                        raise RuntimeError(f"upgrade refused: {got[:300]!r}")
                    if mode == "keepalive":
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
