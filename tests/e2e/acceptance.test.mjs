// The acceptance step through the client API, with real musterd, sample game servers and signed
// requests: four players are matched, one rejects (only their ticket is cancelled, the other three
// search again), a fifth player completes the match, everyone accepts and the match is placed on a
// real game server. Bad accept requests get clear errors.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { MUSTER_CLIENT, guestCredentials, joinTcp, nodeForSuite, run, signedFetch } from "./lib.mjs";

const JSON_HEADERS = { "content-type": "application/json" };

async function start(base, creds) {
  const r = await signedFetch(base, creds, "POST", "/v1/matchmaking", {}, {
    body: JSON.stringify({ latencies: { "custom-local-a": 20 } }), headers: JSON_HEADERS });
  assert.equal(r.status, 201, r.text);
  return r.json.ticketId;
}

async function waitStatus(base, creds, ticketId, want, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await signedFetch(base, creds, "GET", `/v1/matchmaking/${ticketId}`);
    assert.equal(r.status, 200, r.text);
    if (r.json.status === want) return r.json;
    if (Date.now() > deadline) throw new Error(`ticket ${ticketId} is ${r.json.status}, wanted ${want}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

function accept(base, creds, ticketId, yes) {
  return signedFetch(base, creds, "POST", `/v1/matchmaking/${ticketId}/accept`, {}, {
    body: JSON.stringify({ accept: yes }), headers: JSON_HEADERS });
}

describe("acceptance through the client API", () => {
  let node;
  nodeForSuite({ demoServers: 2, args: ["--acceptance-timeout-seconds", "20", "--locations", "custom-local-a"] }, 1,
               (n) => { node = n; });

  test("a rejecting player cancels only their ticket; the rest are matched again and placed", async () => {
    const players = await Promise.all([0, 1, 2, 3].map(() => guestCredentials(node.base)));
    const tickets = [];
    for (const p of players) tickets.push(await start(node.base, p));
    const proposed = await Promise.all(players.map((p, i) => waitStatus(node.base, p, tickets[i], "REQUIRES_ACCEPTANCE")));
    assert.ok(proposed.every((t) => typeof t.acceptanceDeadline === "string"));

    // Bad requests: not JSON, a missing field, someone else's ticket, a ticket not awaiting acceptance.
    let r = await signedFetch(node.base, players[0], "POST", `/v1/matchmaking/${tickets[0]}/accept`, {}, { body: "yes", headers: JSON_HEADERS });
    assert.equal(r.status, 400);
    r = await signedFetch(node.base, players[0], "POST", `/v1/matchmaking/${tickets[0]}/accept`, {}, { body: "{}", headers: JSON_HEADERS });
    assert.equal(r.status, 400);
    assert.match(r.json.message, /accept/);
    // Someone else's ticket answers exactly as an unknown one.
    r = await accept(node.base, players[0], tickets[1], true);
    assert.equal(r.status, 404);
    const unknown = await accept(node.base, players[0], "no-such-ticket", true);
    assert.equal(unknown.status, 404);
    assert.equal(r.json.error, unknown.json.error);

    for (let i = 0; i < 3; ++i) {
      r = await accept(node.base, players[i], tickets[i], true);
      assert.equal(r.status, 200, r.text);
    }
    r = await accept(node.base, players[3], tickets[3], false);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.status, "CANCELLED");
    for (let i = 0; i < 3; ++i) await waitStatus(node.base, players[i], tickets[i], "SEARCHING");
    r = await accept(node.base, players[0], tickets[0], true);
    assert.equal(r.status, 400, "no longer awaiting acceptance");

    const fifth = await guestCredentials(node.base);
    const fifthTicket = await start(node.base, fifth);
    const all = [...players.slice(0, 3), fifth];
    const allTickets = [...tickets.slice(0, 3), fifthTicket];
    await Promise.all(all.map((p, i) => waitStatus(node.base, p, allTickets[i], "REQUIRES_ACCEPTANCE")));
    for (let i = 0; i < 4; ++i) {
      r = await accept(node.base, all[i], allTickets[i], true);
      assert.equal(r.status, 200, r.text);
    }
    const done = await Promise.all(all.map((p, i) => waitStatus(node.base, p, allTickets[i], "COMPLETED")));
    const sessions = new Set(done.map((t) => t.connection.gameSessionArn));
    assert.equal(sessions.size, 1);
    const welcome = await joinTcp(done[0].connection.ipAddress, done[0].connection.port, done[0].connection.playerSessionId);
    assert.match(welcome, /^WELCOME/);
  });

  test("muster-client accepts the proposed match for its player and joins the game", async () => {
    const runs = await Promise.all([0, 1, 2, 3].map(() =>
      run(MUSTER_CLIENT, ["--endpoint", node.base, "--timeout-seconds", "30"])));
    const sessions = new Set();
    for (const r of runs) {
      assert.equal(r.code, 0, `muster-client failed:\n${r.out}`);
      assert.match(r.out, /accepted the proposed match/);
      const m = r.out.match(/WELCOME psess-[0-9a-f-]+ (\S+)/);
      assert.ok(m, r.out);
      sessions.add(m[1]);
    }
    assert.equal(sessions.size, 1);
  });
});
