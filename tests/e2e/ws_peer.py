#!/usr/bin/python3
"""An independent WebSocket peer for the push flow's interop test: Debian's python3-websockets.

    ws_peer.py URL

Connects to URL (presigned by the caller), sends a ping action as a message in three fragments,
a WebSocket ping with a payload, and a describeTicket for an unknown ticket; then closes with
1000. Prints one JSON line per step; exits non-zero on any surprise.
"""
import asyncio
import json
import sys

import websockets


async def main(url):
    async with websockets.connect(url, compression=None, max_size=1 << 20) as ws:
        # A text message sent as three fragments (an iterable makes the library fragment it).
        await ws.send(iter(['{"action":"ping",', '"requestId":', '"py-1"}']))
        pong = json.loads(await asyncio.wait_for(ws.recv(), 10))
        print(json.dumps({"step": "fragmented ping action", "answer": pong}), flush=True)
        waiter = await ws.ping(b"from python")
        await asyncio.wait_for(waiter, 10)
        print(json.dumps({"step": "websocket ping", "answer": "pong"}), flush=True)
        await ws.send(json.dumps({"action": "describeTicket", "ticketId": "nope", "requestId": "py-2"}))
        err = json.loads(await asyncio.wait_for(ws.recv(), 10))
        print(json.dumps({"step": "unknown ticket", "answer": err}), flush=True)
        await ws.close(code=1000, reason="done")
        print(json.dumps({"step": "close", "code": ws.close_code}), flush=True)


asyncio.run(main(sys.argv[1]))
