#!/usr/bin/env node
// Load generator: end-to-end time from the fourth ticket of a 2v2 being accepted to all four
// status routes (GET /requestmatchstatus) returning the connection info, over N matches, with the
// sample game servers already running. Real musterd, real sample servers, signed requests.
//
//   [MUSTERD_ARGS="--flag value ..."] node bench/e2e_latency.mjs [--matches 200] [--build build]
//
// Each match: four guest players request tickets; the clock starts when the fourth request
// returns; every player polls its status route back to back (no sleep) until it is placed; the
// time of the last player to see its placement is the sample. Then the four join the game server
// over TCP and leave, so the server hosts the next game. Prints p50/p90/p99/max in milliseconds.
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
const { guestCredentials, joinTcp, signedFetch, startMusterd, waitForLocations } = lib;

const matches = Number(opt("matches", "200"));
// 4 guests per match from one address: lift the per-address limits meant for real clients.
const lifted = ["--identity-rate-per-minute", "--identity-burst", "--credentials-rate-per-minute",
                "--credentials-burst", "--tickets-rate-per-minute", "--tickets-burst",
                "--address-tickets-rate-per-minute", "--address-tickets-burst"].flatMap((f) => [f, "1000000"])
  .concat(["--max-connections-per-address", "0"]);  // each guest's SDK client opens its own
const extra = (process.env.MUSTERD_ARGS || "").split(" ").filter(Boolean);
const node = await startMusterd({ demoServers: 1, args: lifted.concat(extra) });
try {
  await waitForLocations(node.base, 2);
  const samples = [];
  for (let m = 0; m < matches; m++) {
    const players = await Promise.all([0, 1, 2, 3].map(() => guestCredentials(node.base)));
    await waitForLocations(node.base, 2);  // both game servers free again
    const tickets = [];
    for (const p of players) {
      const r = await signedFetch(node.base, p, "GET", "/requestmatchmaking", { latencies: "custom-local-a_10_custom-local-b_30" });
      if (r.status !== 200) throw new Error(`requestmatchmaking ${r.status}: ${r.text}`);
      tickets.push(r.json.TicketId);
    }
    const t0 = process.hrtime.bigint();
    const placed = await Promise.all(players.map(async (p, i) => {
      for (;;) {
        const r = await signedFetch(node.base, p, "GET", "/requestmatchstatus", { ticketId: tickets[i] });
        if (r.status !== 200) throw new Error(`requestmatchstatus ${r.status}: ${r.text}`);
        if (r.json.PlayerSessionId !== "NotPlacedYet") return { at: process.hrtime.bigint(), info: r.json };
      }
    }));
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
