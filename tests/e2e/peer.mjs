// A game server played by a strict independent WebSocket peer (npm ws) on the server socket.
import WebSocket from "ws";

import { sql } from "./lib.mjs";

// The server socket URL of the demo fleet's custom-local-a compute, as process `pid` with the
// SDK's per-process IdempotencyToken `token` (none when empty).
export function peerUrl(node, pid, idempotencyToken = "idem") {
  const row = sql(node.db, "select body from computes where id = 'demo-fleet/custom-local-a-compute'");
  const token = JSON.parse(row[0].body).AuthToken;
  return `ws://127.0.0.1:${node.ports.ws}/?` + new URLSearchParams({
    Authorization: token, ComputeId: "custom-local-a-compute", FleetId: "demo-fleet", pID: pid,
    sdkLanguage: "Go", sdkVersion: "5.4.0", ...(idempotencyToken ? { IdempotencyToken: idempotencyToken } : {}) });
}

export class Peer {
  constructor(url) {
    this.ws = new WebSocket(url);
    this.inbox = [];
    this.waiters = [];
    this.ws.on("message", (d) => {
      const m = JSON.parse(d.toString());
      const i = this.waiters.findIndex((w) => w.match(m));
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(m);
      else this.inbox.push(m);
    });
  }
  open() { return new Promise((res, rej) => { this.ws.on("open", res); this.ws.on("error", rej); }); }
  next(match, ms = 10000) {
    const i = this.inbox.findIndex(match);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const w = { match, resolve };
      this.waiters.push(w);
      setTimeout(() => reject(new Error("timed out waiting for a message")), ms);
    });
  }
  request(body) {
    const id = `r-${Math.random().toString(36).slice(2)}`;
    this.ws.send(JSON.stringify({ ...body, RequestId: id }));
    return this.next((m) => m.RequestId === id);
  }
  close() { return new Promise((res) => { this.ws.on("close", res); this.ws.close(1001); }); }
}

