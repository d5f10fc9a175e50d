// Backfill from a game server over the real server socket (strict ws peer as the game server):
// a player leaves a running 2v2, the game server asks for backfill with its remaining players,
// a new player's ticket is matched into the same game session, and the game server receives
// UpdateGameSession with the new MatchmakerData. Stopping a backfill is answered with
// BACKFILL_CANCELLED; a new request replaces a searching one; another process's session is refused.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { guestCredentials, nodeForSuite, pollPlacement, signedFetch, sql } from "./lib.mjs";
import { Peer, peerUrl } from "./peer.mjs";

// MatchmakerData players → StartMatchBackfill players (attribute types as the SDK sends them).
function backfillPlayers(data, skipPlayerId) {
  const out = [];
  for (const team of data.teams) {
    for (const p of team.players) {
      if (p.playerId === skipPlayerId) continue;
      const attrs = {};
      for (const [name, a] of Object.entries(p.attributes)) {
        attrs[name] = a.attributeType === "DOUBLE" ? { AttrType: "DOUBLE", N: a.valueAttribute }
                                                   : { AttrType: "STRING", S: a.valueAttribute };
      }
      out.push({ PlayerId: p.playerId, PlayerAttributes: attrs, LatencyInMs: { "custom-local-a": 10 }, Team: team.name });
    }
  }
  return out;
}

describe("backfill from a game server", () => {
  let node;
  nodeForSuite({ demoServers: 0 }, 0, (n) => { node = n; });

  test("a leaving player's slot is filled by a new match", async () => {
    const peer = new Peer(peerUrl(node, "bf-1"));
    await peer.open();
    let m = await peer.request({ Action: "ActivateServerProcess", SdkVersion: "5.4.0", SdkLanguage: "Go", Port: 40211, LogPaths: null });
    assert.equal(m.StatusCode, 200);

    const players = await Promise.all([0, 1, 2, 3].map(() => guestCredentials(node.base)));
    const tickets = [];
    for (const p of players) {
      const r = await signedFetch(node.base, p, "GET", "/requestmatchmaking", { latencies: "custom-local-a_10" });
      assert.equal(r.status, 200, r.text);
      tickets.push(r.json.TicketId);
    }
    const create = await peer.next((x) => x.Action === "CreateGameSession");
    const arn = create.GameSessionId;
    m = await peer.request({ Action: "ActivateGameSession", GameSessionId: arn });
    assert.equal(m.StatusCode, 200);
    const placed = await Promise.all(players.map((p, i) => pollPlacement(node.base, p, tickets[i])));
    for (const pl of placed) {
      m = await peer.request({ Action: "AcceptPlayerSession", GameSessionId: arn, PlayerSessionId: pl.PlayerSessionId });
      assert.equal(m.StatusCode, 200);
    }
    // The first player leaves.
    const leaving = placed[0];
    m = await peer.request({ Action: "RemovePlayerSession", GameSessionId: arn, PlayerSessionId: leaving.PlayerSessionId });
    assert.equal(m.StatusCode, 200);

    const data = JSON.parse(create.MatchmakerData);
    const leavingId = sql(node.db, `select body from player_sessions where id = '${leaving.PlayerSessionId}'`)
      .map((r) => JSON.parse(r.body).PlayerId)[0];
    const remaining = backfillPlayers(data, leavingId);
    assert.equal(remaining.length, 3);

    // Bad requests first: no team, another process's session.
    const noTeam = remaining.map((p) => ({ ...p, Team: undefined }));
    m = await peer.request({ Action: "StartMatchBackfill", GameSessionArn: arn, MatchmakingConfigurationArn: data.matchmakingConfigurationArn, Players: noTeam });
    assert.equal(m.StatusCode, 400);
    assert.match(m.ErrorMessage, /Team/);
    m = await peer.request({ Action: "StartMatchBackfill", GameSessionArn: arn + "-other", MatchmakingConfigurationArn: data.matchmakingConfigurationArn, Players: remaining });
    assert.equal(m.StatusCode, 403);

    m = await peer.request({ Action: "StartMatchBackfill", TicketId: "bf-e2e-1", GameSessionArn: arn,
                             MatchmakingConfigurationArn: data.matchmakingConfigurationArn, Players: remaining });
    assert.equal(m.StatusCode, 200, m.ErrorMessage);
    assert.equal(m.TicketId, "bf-e2e-1");

    const newcomer = await guestCredentials(node.base);
    const r = await signedFetch(node.base, newcomer, "GET", "/requestmatchmaking", { latencies: "custom-local-a_10" });
    assert.equal(r.status, 200, r.text);
    const update = await peer.next((x) => x.Action === "UpdateGameSession");
    assert.equal(update.UpdateReason, "MATCHMAKING_DATA_UPDATED");
    assert.equal(update.BackfillTicketId, "bf-e2e-1");
    assert.equal(update.GameSession.GameSessionId, arn);
    const newData = JSON.parse(update.GameSession.MatchmakerData);
    const ids = newData.teams.flatMap((t) => t.players.map((p) => p.playerId));
    assert.equal(ids.length, 4);
    assert.ok(!ids.includes(leavingId));
    // The remaining players kept their teams.
    for (const p of remaining) {
      const team = newData.teams.find((t) => t.players.some((q) => q.playerId === p.PlayerId));
      assert.equal(team.name, p.Team);
    }
    const joined = await pollPlacement(node.base, newcomer, r.json.TicketId);
    assert.equal(joined.Port, 40211);
    m = await peer.request({ Action: "AcceptPlayerSession", GameSessionId: arn, PlayerSessionId: joined.PlayerSessionId });
    assert.equal(m.StatusCode, 200);
    assert.equal(sql(node.db, "select status from tickets where id = 'bf-e2e-1'")[0].status, "COMPLETED");

    // A backfill that is stopped is reported back with BACKFILL_CANCELLED.
    m = await peer.request({ Action: "StartMatchBackfill", TicketId: "bf-e2e-2", GameSessionArn: arn,
                             MatchmakingConfigurationArn: data.matchmakingConfigurationArn, Players: remaining });
    assert.equal(m.StatusCode, 200, m.ErrorMessage);
    m = await peer.request({ Action: "StopMatchBackfill", TicketId: "bf-e2e-2", GameSessionArn: arn,
                             MatchmakingConfigurationArn: data.matchmakingConfigurationArn });
    assert.equal(m.StatusCode, 200, m.ErrorMessage);
    const cancelled = await peer.next((x) => x.Action === "UpdateGameSession");
    assert.equal(cancelled.UpdateReason, "BACKFILL_CANCELLED");
    assert.equal(sql(node.db, "select status from tickets where id = 'bf-e2e-2'")[0].status, "CANCELLED");

    // A new request replaces the session's searching backfill ticket, which is cancelled.
    for (const id of ["bf-e2e-3", "bf-e2e-4"]) {
      m = await peer.request({ Action: "StartMatchBackfill", TicketId: id, GameSessionArn: arn,
                               MatchmakingConfigurationArn: data.matchmakingConfigurationArn, Players: remaining });
      assert.equal(m.StatusCode, 200, m.ErrorMessage);
    }
    const replaced = await peer.next((x) => x.Action === "UpdateGameSession");
    assert.equal(replaced.UpdateReason, "BACKFILL_CANCELLED");
    assert.equal(replaced.BackfillTicketId, "bf-e2e-3");
    assert.equal(sql(node.db, "select status from tickets where id = 'bf-e2e-3'")[0].status, "CANCELLED");
    assert.ok(["QUEUED", "SEARCHING"].includes(sql(node.db, "select status from tickets where id = 'bf-e2e-4'")[0].status));
    await peer.close();
  });
});
