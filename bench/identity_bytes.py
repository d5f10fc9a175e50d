#!/usr/bin/env python3
"""Bytes the store keeps per guest identity: a fresh musterd (rate limits off), N guests each doing
what a game client does at start (GetId, then GetCredentialsForIdentity), and one guest asking for
credentials 1000 times in a row. Reports the growth of the SQLite file's used pages per identity,
and per table (dbstat).

    bench/identity_bytes.py [--identities N] BUILD_DIR
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

POOL = "local:00000000-0000-0000-0000-000000000000"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def call(base, op, body):
    req = urllib.request.Request(base + "/", data=json.dumps(body).encode(), method="POST", headers={
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "AWSCognitoIdentityService." + op})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def used_bytes(db):
    out = subprocess.run(
        ["sqlite3", db, "PRAGMA wal_checkpoint(TRUNCATE);",
         "SELECT name, sum(pgsize) FROM dbstat GROUP BY name;"],
        capture_output=True, text=True, check=True).stdout
    sizes = {}
    for line in out.splitlines():
        parts = line.split("|")
        if len(parts) == 2 and parts[1].isdigit():
            sizes[parts[0]] = int(parts[1])
    return sizes


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build")
    ap.add_argument("--identities", type=int, default=2000)
    args = ap.parse_args()
    data = tempfile.mkdtemp(prefix="muster-bytes-")
    http = free_port()
    proc = subprocess.Popen(
        [os.path.join(args.build, "src/daemon/musterd"), "--data-dir", data, "--http-port", str(http),
         "--server-ws-port", str(free_port()), "--server-wss-port", "0", "--demo-servers", "0",
         "--identity-rate-per-minute", "0", "--credentials-rate-per-minute", "0", "--log-level", "warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{http}"
    db = os.path.join(data, "muster.db")
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz").read()
                break
            except OSError:
                time.sleep(0.05)
        call(base, "GetOpenIdToken", {"IdentityId": call(base, "GetId", {"IdentityPoolId": POOL})["IdentityId"]})
        before = used_bytes(db)
        for _ in range(args.identities):
            identity = call(base, "GetId", {"IdentityPoolId": POOL})["IdentityId"]
            call(base, "GetCredentialsForIdentity", {"IdentityId": identity})
        after = used_bytes(db)
        total = sum(after.values()) - sum(before.values())
        print(f"{args.identities} guests (GetId + GetCredentialsForIdentity): "
              f"{total / args.identities:.0f} bytes each")
        for name in sorted(after):
            grew = after[name] - before.get(name, 0)
            if grew > 0:
                print(f"  {name:32s} {grew / args.identities:8.0f} bytes each")
        # One identity asking again and again: its rows stay bounded.
        identity = call(base, "GetId", {"IdentityPoolId": POOL})["IdentityId"]
        mid = used_bytes(db)
        for _ in range(1000):
            call(base, "GetCredentialsForIdentity", {"IdentityId": identity})
        end = used_bytes(db)
        rows = subprocess.run(["sqlite3", db, f"SELECT count(*) FROM credentials WHERE idx = '{identity}'"],
                              capture_output=True, text=True, check=True).stdout.strip()
        print(f"one guest asking for credentials 1000 times: {rows} credential rows kept, "
              f"store grew {sum(end.values()) - sum(mid.values())} bytes")
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
