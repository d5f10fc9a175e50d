// musterd killed with SIGKILL after tickets were accepted, then restarted on the same store
// (issue 2, item 10): every ticket still completes or ends in a terminal state with its event, and
// nothing is placed twice. The sample game servers run outside musterd so they live through the
// crash and reconnect (the SDK reconnects with the same pID). The kill lands at different moments
// of the cascade (before matching, while placing, after placing).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import {
  freePort, guestCredentials, joinTcp, pollPlacement, signedFetch, sql, startMusterd,
  startSampleServer, tempDir, waitForLocations,
} from "./lib.mjs";

const TERMINAL_EVENTS = ["MatchmakingSucceeded", "MatchmakingFailed", "MatchmakingTimedOut", "MatchmakingCancelled"];

// Scenarios:
//   searching: three tickets (no 2v2 possible yet) → SIGKILL → restart → the fourth arrives.
//   placing:   no game server yet, four tickets match and wait for placement → SIGKILL → restart
//              → the game servers start.
//   racing:    game servers up, SIGKILL right after the fourth ticket (wherever the cascade is).
async function round(scenario) {
  const dataDir = tempDir("crash");
  const ports = { http: await freePort(), ws: await freePort(), wss: await freePort(), game: 7777 };  // no demo servers here
  let node = await startMusterd({ dataDir, ports, demoServers: 0 });
  const servers = [];
  const startServers = async () => {
    for (const loc of ["custom-local-a", "custom-local-b"]) {
      const row = sql(node.db, `select body from computes where id = 'demo-fleet/${loc}-compute'`);
      servers.push(startSampleServer({
        wsPort: ports.ws, compute: `${loc}-compute`, token: JSON.parse(row[0].body).AuthToken,
        port: await freePort(), location: loc,
      }));
    }
    await waitForLocations(node.base, 2);
  };
  const request = async (p) => {
    const r = await signedFetch(node.base, p, "GET", "/requestmatchmaking", { latencies: "custom-local-a_15_custom-local-b_40" });
    assert.equal(r.status, 200, r.text);
    return r.json.TicketId;
  };
  const waitForStatus = async (status, n) => {
    for (let i = 0; i < 100; i++) {
      if (sql(node.db, `select id from tickets where status = '${status}'`).length >= n) return;
      await sleep(50);
    }
    assert.fail(`tickets never reached ${status}: ${JSON.stringify(sql(node.db, "select id, status from tickets"))}`);
  };
  try {
    if (scenario !== "placing") await startServers();
    const players = await Promise.all([0, 1, 2, 3].map(() => guestCredentials(node.base)));
    const tickets = [];
    const first = scenario === "searching" ? 3 : 4;
    for (const p of players.slice(0, first)) tickets.push(await request(p));
    if (scenario === "searching") await waitForStatus("SEARCHING", 3);
    if (scenario === "placing") await waitForStatus("PLACING", 4);
    await node.stop("SIGKILL");

    // Every accepted ticket was durable before the client heard "accepted".
    const stored = sql(node.db, `select id, status from tickets`);
    assert.deepEqual(stored.map((t) => t.id).sort(), [...tickets].sort());

    node = await startMusterd({ dataDir, ports, demoServers: 0 });
    if (scenario === "searching") tickets.push(await request(players[3]));
    if (scenario === "placing") await startServers();
    const placed = await Promise.all(players.map((p, i) => pollPlacement(node.base, p, tickets[i], 60000)));
    const lines = await Promise.all(placed.map((pl) => joinTcp(pl.IpAddress, pl.Port, pl.PlayerSessionId)));
    for (const l of lines) assert.match(l, /^WELCOME psess-/, l);

    // One terminal event per ticket, in the durable outbox.
    const events = sql(node.db, "select body from events where topic = 'matchmaking'").map((e) => JSON.parse(e.body));
    for (const t of tickets) {
      const terminal = events.filter((e) => TERMINAL_EVENTS.includes(e.detail.type) &&
                                            e.detail.tickets.some((x) => x.ticketId === t));
      assert.equal(terminal.length, 1, `ticket ${t}: ${terminal.map((e) => e.detail.type)}`);
      assert.equal(terminal[0].detail.type, "MatchmakingSucceeded");
    }
    // Nothing placed twice: one player session per player, all in one game session, and every
    // game session ever created for this match is that one.
    const ps = sql(node.db, "select idx, body from player_sessions").map((r) => ({ gs: r.idx, ...JSON.parse(r.body) }));
    const byPlayer = new Map();
    for (const s of ps) byPlayer.set(s.PlayerId, (byPlayer.get(s.PlayerId) || 0) + 1);
    for (const p of players) assert.equal(byPlayer.get(p.identityId), 1, `player sessions of ${p.identityId}`);
    assert.equal(new Set(ps.map((s) => s.gs)).size, 1);
    const activeSessions = sql(node.db, "select id, status from game_sessions where status in ('ACTIVE','TERMINATED')");
    assert.equal(activeSessions.length, 1, JSON.stringify(activeSessions));
    const completed = sql(node.db, "select id from tickets where status = 'COMPLETED'");
    assert.equal(completed.length, 4);
  } finally {
    // Game servers first, while musterd can still confirm their ProcessEnding.
    for (const s of servers) s.kill("SIGTERM");
    await Promise.all(servers.map((s) => s.exited));
    await node.stop();
    node.cleanup();
  }
}

describe("crash and restart", () => {
  for (const scenario of ["searching", "placing", "racing"]) {
    test(`SIGKILL with tickets ${scenario}, then restart`, { timeout: 120000 }, async () => {
      await round(scenario);
    });
  }
});
