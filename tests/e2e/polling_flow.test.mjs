// The polling flow end to end with real processes (issue 2, item 10): musterd, two sample game
// servers (one per location, started by musterd's demo supervisor), four clients → one 2v2 match,
// every client welcomed by the same game server. Once with our muster-client command, once with
// the identity and signing done by the real npm clients.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { GetOpenIdTokenCommand } from "@aws-sdk/client-cognito-identity";

import {
  MUSTER_CLIENT, guestCredentials, identityClient, joinTcp, pollPlacement, run, signedFetch,
  nodeForSuite, sql,
} from "./lib.mjs";

describe("polling flow", () => {
  let node;
  nodeForSuite({ demoServers: 1 }, 2, (n) => { node = n; });

  test("four muster-client processes: one 2v2 match, all welcomed by the same game session", async () => {
    const runs = await Promise.all([0, 1, 2, 3].map(() =>
      run(MUSTER_CLIENT, ["--endpoint", node.base, "--timeout-seconds", "30"])));
    const welcomes = runs.map((r) => {
      assert.equal(r.code, 0, `muster-client failed:\n${r.out}\nmusterd:\n${node.proc.logs.slice(-40).join("\n")}`);
      const m = r.out.match(/WELCOME (psess-[0-9a-f-]+) (arn:aws:gamelift:local::gamesession\/demo-fleet\/\S+)/);
      assert.ok(m, r.out);
      return { psess: m[1], session: m[2] };
    });
    assert.equal(new Set(welcomes.map((w) => w.session)).size, 1, "one game session for the four");
    assert.equal(new Set(welcomes.map((w) => w.psess)).size, 4, "four distinct player sessions");
    // The store agrees: the four player sessions belong to that game session.
    const rows = sql(node.db, `select id, idx, status from player_sessions where idx = '${welcomes[0].session}'`);
    assert.equal(rows.length, 4);
  });

  test("the same flow with @aws-sdk/client-cognito-identity and @smithy/signature-v4", async () => {
    const players = await Promise.all([0, 1, 2, 3].map(() => guestCredentials(node.base)));
    for (const p of players) {
      assert.match(p.identityId, /^local:[0-9a-f-]{36}$/);
      assert.match(p.accessKeyId, /^ASIA[A-Z0-9]{16}$/);
      assert.ok(p.expiration instanceof Date && p.expiration > new Date());
    }
    const tickets = [];
    for (const p of players) {
      const r = await signedFetch(node.base, p, "GET", "/requestmatchmaking",
                                  { latencies: "custom-local-a_20_custom-local-b_60" });
      assert.equal(r.status, 200, r.text);
      assert.match(r.json.TicketId, /^[0-9a-f-]{36}$/);
      assert.equal(r.json.ConfigurationName, "demo-2v2");
      assert.equal(r.json.Status, "QUEUED");
      tickets.push(r.json.TicketId);
    }
    const placements = await Promise.all(players.map((p, i) => pollPlacement(node.base, p, tickets[i])));
    for (const pl of placements) {
      assert.deepEqual(Object.keys(pl).sort(), ["DnsName", "IpAddress", "PlayerSessionId", "Port"]);
      assert.equal(pl.IpAddress, "127.0.0.1");
      assert.equal(pl.Port, node.ports.game, "lowest latency location (custom-local-a)");
    }
    const lines = await Promise.all(placements.map((pl) => joinTcp(pl.IpAddress, pl.Port, pl.PlayerSessionId)));
    const sessions = new Set();
    lines.forEach((line, i) => {
      assert.match(line, new RegExp(`^WELCOME ${placements[i].PlayerSessionId} `));
      sessions.add(line.split(" ")[2]);
    });
    assert.equal(sessions.size, 1);
    // Every ticket has its MatchmakingSucceeded event in the durable outbox.
    const events = sql(node.db, "select body from events where topic = 'matchmaking'").map((e) => JSON.parse(e.body));
    for (const t of tickets) {
      const types = events.filter((e) => e.detail.tickets.some((x) => x.ticketId === t)).map((e) => e.detail.type);
      assert.deepEqual(types, ["MatchmakingSearching", "PotentialMatchCreated", "MatchmakingSucceeded"], t);
    }
  });

  test("GetOpenIdToken returns a signed JWT for the identity", async () => {
    const p = await guestCredentials(node.base);
    const { IdentityId, Token } = await identityClient(node.base).send(
      new GetOpenIdTokenCommand({ IdentityId: p.identityId }));
    assert.equal(IdentityId, p.identityId);
    const [header, claims, sig] = Token.split(".");
    assert.ok(sig.length > 0);
    assert.equal(JSON.parse(Buffer.from(header, "base64url")).alg, "ES256");
    assert.equal(JSON.parse(Buffer.from(claims, "base64url")).sub, p.identityId);
  });
});
