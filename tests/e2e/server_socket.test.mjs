// The game server socket driven by a strict independent peer (npm ws) playing a game server:
// activation, the CreateGameSession push, a reconnect with the same pID getting the unactivated
// session pushed again on its NEW socket, ActivateGameSession completing the players' tickets,
// and the requests the SDK expects to succeed (fleet role credentials, creation policy).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { guestCredentials, nodeForSuite, pollPlacement, signedFetch, sql } from "./lib.mjs";
import { Peer, peerUrl } from "./peer.mjs";

describe("server socket with a strict peer", () => {
  let node, url;
  nodeForSuite({ demoServers: 0 }, 0, (n) => {
    node = n;
    url = peerUrl(node, "peer-1");
  });

  test("reconnect re-push, activation, fleet role credentials, creation policy", async () => {
    let peer = new Peer(url);
    await peer.open();
    let m = await peer.request({ Action: "ActivateServerProcess", SdkVersion: "5.4.0", SdkLanguage: "Go", Port: 40111, LogPaths: null });
    assert.equal(m.StatusCode, 200);
    m = await peer.request({ Action: "GetFleetRoleCredentials", RoleArn: "arn:aws:iam::1:role/x", RoleSessionName: "s" });
    assert.equal(m.StatusCode, 200);
    assert.equal(m.AccessKeyId, "");

    const players = await Promise.all([0, 1, 2, 3].map(() => guestCredentials(node.base)));
    const tickets = [];
    for (const p of players) {
      const r = await signedFetch(node.base, p, "GET", "/requestmatchmaking", { latencies: "custom-local-a_10" });
      assert.equal(r.status, 200, r.text);
      tickets.push(r.json.TicketId);
    }
    const push = await peer.next((x) => x.Action === "CreateGameSession");
    assert.equal(push.RequestId ?? "", "");
    assert.equal(push.MaximumPlayerSessionCount, 4);
    assert.equal(push.Port, 40111);
    assert.equal(JSON.parse(push.MatchmakerData).teams.flatMap((t) => t.players).length, 4);

    // The game server drops its socket before activating and reconnects as the same process.
    await peer.close();
    peer = new Peer(url);
    await peer.open();
    const again = await peer.next((x) => x.Action === "CreateGameSession");
    assert.equal(again.GameSessionId, push.GameSessionId);

    m = await peer.request({ Action: "ActivateGameSession", GameSessionId: push.GameSessionId });
    assert.equal(m.StatusCode, 200);
    const placed = await Promise.all(players.map((p, i) => pollPlacement(node.base, p, tickets[i])));
    for (const pl of placed) assert.equal(pl.Port, 40111);

    m = await peer.request({ Action: "UpdatePlayerSessionCreationPolicy", GameSessionId: push.GameSessionId, PlayerSessionPolicy: "DENY_ALL" });
    assert.equal(m.StatusCode, 200);
    m = await peer.request({ Action: "AcceptPlayerSession", GameSessionId: push.GameSessionId, PlayerSessionId: placed[0].PlayerSessionId });
    assert.equal(m.StatusCode, 200);
    m = await peer.request({ Action: "AcceptPlayerSession", GameSessionId: push.GameSessionId, PlayerSessionId: placed[0].PlayerSessionId });
    assert.equal(m.StatusCode, 400, "reused");
    const gsRows = sql(node.db, `select status from game_sessions where id = '${push.GameSessionId}'`);
    assert.equal(gsRows[0].status, "ACTIVE");
    await peer.close();
  });

  test("a process that was terminated and reconnects with its pID is told to end", async () => {
    const terminatedUrl = url.replace("pID=peer-1", "pID=peer-2");
    let peer = new Peer(terminatedUrl);
    await peer.open();
    let m = await peer.request({ Action: "ActivateServerProcess", SdkVersion: "5.4.0", SdkLanguage: "Go", Port: 40112, LogPaths: null });
    assert.equal(m.StatusCode, 200);
    m = await peer.request({ Action: "TerminateServerProcess" });
    assert.equal(m.StatusCode, 200);
    await peer.close();
    peer = new Peer(terminatedUrl);
    await peer.open();
    const push = await peer.next((x) => x.Action === "TerminateProcess");
    assert.ok(Number.isInteger(push.TerminationTime) && push.TerminationTime > 1.7e9, JSON.stringify(push));
    await peer.close();
  });

  test("native start with latencies in the body", async () => {
    const p = await guestCredentials(node.base);
    let r = await signedFetch(node.base, p, "POST", "/v1/matchmaking", {}, {
      body: JSON.stringify({ latencies: { "custom-local-a": 20, "custom-local-b": 35 } }), headers: { "content-type": "application/json" } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.status, "QUEUED");
    const row = JSON.parse(sql(node.db, `select body from tickets where id = '${r.json.ticketId}'`)[0].body);
    assert.deepEqual(row.Players[0].LatencyInMs, { "custom-local-a": 20, "custom-local-b": 35 });
    r = await signedFetch(node.base, p, "DELETE", `/v1/matchmaking/${r.json.ticketId}`);
    assert.equal(r.json.status, "CANCELLED");
    r = await signedFetch(node.base, p, "POST", "/v1/matchmaking", {}, {
      body: JSON.stringify({ latencies: { "custom-local-a": "fast" } }), headers: { "content-type": "application/json" } });
    assert.equal(r.status, 400);
    assert.match(r.json.message, /latencies\.custom-local-a: must be an integer/);
  });
});
