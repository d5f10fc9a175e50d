#!/usr/bin/env node
// Load generator: end-to-end time from the fourth ticket of a 2v2 being accepted to all four
// status routes (GET /requestmatchstatus) returning the connection info, over N matches, with the
// sample game servers already running. Real musterd, real sample servers, signed requests.
//
//   [MUSTERD_ARGS="--flag value ..."] [MUSTERD_WRAPPER="taskset -c 0"] node bench/e2e_latency.mjs
//     [--matches 200] [--build build]
//
// Each match: four guest players request tickets; the clock starts when the fourth request
// returns; every player polls its status route back to back (no sleep) on a keep-alive
// connection of its own until it is placed; the time of the last player to see its placement is
// the sample. Each player's status request is signed once, by @smithy/signature-v4 with
// Node's native SHA-256, and sent again as it is, as a client may within the signature's skew
// window: the server still verifies every copy, and the signer's cost (a few milliseconds per
// signature with the pure-JavaScript SHA-256, four players on one event loop) stays out of the
// figure but for the fourth player's one signature, made after the clock started. Then the
// four join the game server over TCP and leave, so the server hosts the next game. Prints
// p50/p90/p99/max in milliseconds.
import { createHash, createHmac } from "node:crypto";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
process.env.MUSTER_BUILD_DIR ||= path.resolve(here, "..", opt("build", "build"));
const lib = await import("../tests/e2e/lib.mjs");
const { guestCredentials, joinTcp, signedFetch, signedHeaders, startMusterd, waitForLocations } = lib;

// The hash interface @smithy/signature-v4 takes, on Node's native SHA-256 and HMAC.
class NativeSha256 {
  constructor(secret) { this.h = secret ? createHmac("sha256", secret) : createHash("sha256"); }
  update(data) { this.h.update(data); }
  async digest() { return new Uint8Array(this.h.digest()); }
}

// A keep-alive HTTP/1.1 connection that sends a prepared request and returns the answer's status
// and body (answers carry Content-Length).
async function replayer(base) {
  const url = new URL(base);
  const sock = net.connect(Number(url.port), url.hostname);
  sock.setNoDelay(true);
  await new Promise((res, rej) => { sock.once("connect", res); sock.once("error", rej); });
  let buf = Buffer.alloc(0);
  let waiting = null;
  sock.on("data", (d) => {
    buf = Buffer.concat([buf, d]);
    const end = buf.indexOf("\r\n\r\n");
    if (end < 0 || !waiting) return;
    const head = buf.subarray(0, end).toString("latin1");
    const len = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (buf.length < end + 4 + len) return;
    const body = buf.subarray(end + 4, end + 4 + len).toString("utf8");
    buf = buf.subarray(end + 4 + len);
    const w = waiting;
    waiting = null;
    w({ status: Number(head.split(" ")[1]), text: body });
  });
  return {
    send(request) { return new Promise((res) => { waiting = res; sock.write(request); }); },
    close() { sock.destroy(); },
  };
}

const matches = Number(opt("matches", "200"));
// 4 guests per match from one address: lift the per-address limits meant for real clients.
const lifted = ["--identity-rate-per-minute", "--identity-burst", "--credentials-rate-per-minute",
                "--credentials-burst", "--tickets-rate-per-minute", "--tickets-burst",
                "--address-tickets-rate-per-minute", "--address-tickets-burst"].flatMap((f) => [f, "1000000"])
  .concat(["--max-connections-per-address", "0"]);  // each guest's SDK client opens its own
const extra = (process.env.MUSTERD_ARGS || "").split(" ").filter(Boolean);
const wrapper = (process.env.MUSTERD_WRAPPER || "").split(" ").filter(Boolean);
const node = await startMusterd({ demoServers: 1, args: lifted.concat(extra), wrapper });
try {
  await waitForLocations(node.base, 2);
  const samples = [];
  for (let m = 0; m < matches; m++) {
    const players = await Promise.all([0, 1, 2, 3].map(() => guestCredentials(node.base)));
    await waitForLocations(node.base, 2);  // both game servers free again
    const conns = await Promise.all(players.map(() => replayer(node.base)));
    const statusRequest = async (p, ticketId) => {
      const headers = await signedHeaders(node.base, p, "GET", "/requestmatchstatus", { ticketId }, NativeSha256);
      const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
      return `GET /requestmatchstatus?ticketId=${encodeURIComponent(ticketId)} HTTP/1.1\r\n` +
             `host: ${new URL(node.base).host}\r\n${lines}\r\n`;
    };
    const requests = [];
    let t0;
    for (const [i, p] of players.entries()) {
      const r = await signedFetch(node.base, p, "GET", "/requestmatchmaking", { latencies: "custom-local-a_10_custom-local-b_30" });
      if (r.status !== 200) throw new Error(`requestmatchmaking ${r.status}: ${r.text}`);
      if (i === 3) t0 = process.hrtime.bigint();
      requests.push(await statusRequest(p, r.json.TicketId));
    }
    const placed = await Promise.all(conns.map(async (c, i) => {
      for (;;) {
        const r = await c.send(requests[i]);
        if (r.status !== 200) throw new Error(`requestmatchstatus ${r.status}: ${r.text}`);
        const info = JSON.parse(r.text);
        if (info.PlayerSessionId !== "NotPlacedYet") return { at: process.hrtime.bigint(), info };
      }
    }));
    for (const c of conns) c.close();
    const last = placed.reduce((a, b) => (a.at > b.at ? a : b)).at;
    samples.push(Number(last - t0) / 1e6);
    const lines = await Promise.all(placed.map(({ info }) => joinTcp(info.IpAddress, info.Port, info.PlayerSessionId)));
    for (const l of lines) if (!l.startsWith("WELCOME")) throw new Error(`not welcomed: ${l}`);
    if ((m + 1) % 20 === 0) process.stderr.write(`  ${m + 1}/${matches} matches\n`);
  }
  samples.sort((a, b) => a - b);
  const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
  console.log(JSON.stringify({
    matches: samples.length,
    p50_ms: +q(0.5).toFixed(2), p90_ms: +q(0.9).toFixed(2), p99_ms: +q(0.99).toFixed(2),
    max_ms: +samples[samples.length - 1].toFixed(2),
  }));
} finally {
  await node.stop();
  node.cleanup();
}
