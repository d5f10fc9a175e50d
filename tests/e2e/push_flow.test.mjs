// The push flow end to end with real processes (issue 10): musterd, two sample game servers,
// four players on WebSockets opened with URLs presigned by @smithy/signature-v4 from the
// credentials of @aws-sdk/client-cognito-identity, npm `ws` as the client. No polling request
// anywhere: every answer and event arrives on the socket.
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { Sha256 } from "@aws-crypto/sha256-js";
import { GetOpenIdTokenCommand } from "@aws-sdk/client-cognito-identity";
import { SignatureV4 } from "@smithy/signature-v4";
import WebSocket from "ws";

import {
  ADMIN, MUSTER_CLIENT, REGION, gameliftFetch, guestCredentials, identityClient, joinTcp, nodeForSuite, run, signedFetch, sql,
} from "./lib.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));

const LATENCIES = { "custom-local-a": 20, "custom-local-b": 60 };

// A WebSocket URL for /ws presigned with the player's credentials (service execute-api). A signed
// nonce makes each URL unique: two signed in the same second would otherwise be the same URL,
// and a URL opens one connection only.
async function presignedUrl(base, creds, { expiresIn = 60, signingDate, nonce = Math.random().toString(36).slice(2) } = {}) {
  const url = new URL(base);
  const signer = new SignatureV4({
    service: "execute-api", region: REGION, sha256: Sha256,
    credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, sessionToken: creds.sessionToken },
  });
  const presigned = await signer.presign(
    { method: "GET", protocol: "http:", hostname: url.hostname, port: Number(url.port), path: "/ws",
      query: nonce ? { nonce } : {}, headers: { host: url.host } },
    { expiresIn, ...(signingDate ? { signingDate } : {}) });
  const qs = new URLSearchParams(presigned.query).toString().replace(/\+/g, "%20");
  return `ws://${url.host}/ws?${qs}`;
}

// A connected player: every message it receives, parsed, in order; waits for one by predicate.
class Player {
  static async connect(url, options = {}) {
    const p = new Player();
    p.ws = new WebSocket(url, options);
    p.messages = [];
    p.waiters = [];
    p.closed = new Promise((resolve) => p.ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
    p.ws.on("message", (data) => {
      const m = JSON.parse(data.toString());
      p.messages.push(m);
      for (const w of [...p.waiters]) w();
    });
    await new Promise((resolve, reject) => {
      p.ws.once("open", resolve);
      p.ws.once("error", reject);
      p.ws.once("unexpected-response", (req, res) => {
        let body = "";
        res.on("data", (c) => { body += c; });
        res.on("end", () => reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body}`), { status: res.statusCode, body })));
      });
    });
    return p;
  }
  send(message) { this.ws.send(typeof message === "string" ? message : JSON.stringify(message)); }
  // The first message (from index `from`) that matches; rejects after timeoutMs.
  async next(predicate, timeoutMs = 20000, from = 0) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no such message; got ${JSON.stringify(this.messages)}`);
      await new Promise((resolve) => {
        const w = () => { this.waiters = this.waiters.filter((x) => x !== w); resolve(); };
        this.waiters.push(w);
        setTimeout(w, 100);
      });
    }
  }
  async request(message, timeoutMs = 10000) {
    const requestId = `r${Math.random().toString(36).slice(2)}`;
    this.send({ ...message, requestId });
    return this.next((m) => m.requestId === requestId, timeoutMs);
  }
  events(type) { return this.messages.filter((m) => m["detail-type"] && (!type || m.detail.type === type)); }
}

describe("push flow", () => {
  let node;
  nodeForSuite({ demoServers: 1 }, 2, (n) => { node = n; });

  test("four players matched over WebSocket: every event pushed, the last with their own seat", async () => {
    const creds = await Promise.all([0, 1, 2, 3].map(() => guestCredentials(node.base)));
    const players = await Promise.all(creds.map(async (c) => Player.connect(await presignedUrl(node.base, c))));
    const tickets = [];
    for (const p of players) {
      const reply = await p.request({ action: "startMatchmaking", latencies: LATENCIES });
      assert.equal(reply.type, "reply", JSON.stringify(reply));
      assert.equal(reply.action, "startMatchmaking");
      assert.equal(reply.ticket.status, "QUEUED");
      assert.equal(reply.ticket.configurationName, "demo-2v2");
      tickets.push(reply.ticket.ticketId);
    }
    const succeeded = await Promise.all(players.map((p) =>
      p.next((m) => m["detail-type"] === "GameLift Matchmaking Event" && m.detail.type === "MatchmakingSucceeded")));
    const seats = succeeded.map((e, i) => {
      assert.equal(e.source, "aws.gamelift");
      // Only the player's own ticket and its own seat: another's player session id is not shown.
      assert.deepEqual(e.detail.tickets.map((t) => t.ticketId), [tickets[i]]);
      const info = e.detail.gameSessionInfo;
      assert.equal(info.ipAddress, "127.0.0.1");
      assert.equal(info.port, node.ports.game, "lowest latency location (custom-local-a)");
      assert.equal(info.players.length, 1);
      assert.equal(info.players[0].playerId, creds[i].identityId);
      assert.match(info.players[0].playerSessionId, /^psess-/);
      return { session: info.gameSessionArn, psess: info.players[0].playerSessionId, port: info.port };
    });
    assert.equal(new Set(seats.map((s) => s.session)).size, 1, "one game session for the four");
    // Every event of each player's ticket arrived, in order, once.
    players.forEach((p, i) => {
      assert.deepEqual(p.events().map((e) => e.detail.type),
                       ["MatchmakingSearching", "PotentialMatchCreated", "MatchmakingSucceeded"], creds[i].identityId);
    });
    const lines = await Promise.all(seats.map((s) => joinTcp("127.0.0.1", s.port, s.psess)));
    lines.forEach((line, i) => assert.match(line, new RegExp(`^WELCOME ${seats[i].psess} `)));
    // Each open connection is a row (identity, node) while it is open, and none after.
    const rows = sql(node.db, "select id, idx, status, body from connections");
    for (const c of creds) {
      const row = rows.find((r) => r.idx === c.identityId);
      assert.ok(row, `a row for ${c.identityId}`);
      assert.match(row.status, /:\d+$/);
      assert.equal(JSON.parse(row.body).identity, c.identityId);
    }
    await Promise.all(players.map(async (p) => { p.ws.close(1000); assert.equal((await p.closed).code, 1000); }));
    for (let i = 0; i < 50 && sql(node.db, "select id from connections").length > 0; ++i) await sleep(50);
    assert.equal(sql(node.db, "select id from connections").length, 0);
  });

  test("four muster-client --push processes: one 2v2 match, all welcomed, no polling", async () => {
    const runs = await Promise.all([0, 1, 2, 3].map(() =>
      run(MUSTER_CLIENT, ["--endpoint", node.base, "--push", "--timeout-seconds", "30"])));
    const sessions = runs.map((r) => {
      assert.equal(r.code, 0, `muster-client failed:\n${r.out}\nmusterd:\n${node.proc.logs.slice(-40).join("\n")}`);
      assert.doesNotMatch(r.out, /requestmatchstatus/, "no polling");
      assert.match(r.out, /event MatchmakingSucceeded/);
      const m = r.out.match(/WELCOME (psess-[0-9a-f-]+) (arn:aws:gamelift:local::gamesession\/demo-fleet\/\S+)/);
      assert.ok(m, r.out);
      return m[2];
    });
    assert.equal(new Set(sessions).size, 1, "one game session for the four");
  });

  test("upgrades without a valid signature or token are refused before the upgrade, with a JSON reason", async () => {
    const creds = await guestCredentials(node.base);
    const refused = async (url, options) => {
      const e = await Player.connect(url, options).then(() => null, (err) => err);
      assert.ok(e, "refused");
      return { status: e.status, body: JSON.parse(e.body) };
    };
    let r = await refused(`ws://127.0.0.1:${node.ports.http}/ws`);
    assert.equal(r.status, 401);
    assert.match(r.body.message, /signature|Authorization/i);
    // Expired: presigned 10 minutes ago for 60 s.
    r = await refused(await presignedUrl(node.base, creds, { signingDate: new Date(Date.now() - 600_000) }));
    assert.equal(r.status, 403, JSON.stringify(r.body));
    // Forged: one character of the signature changed.
    const url = await presignedUrl(node.base, creds);
    const forged = url.replace(/X-Amz-Signature=([0-9a-f])/, (m, c) => `X-Amz-Signature=${c === "0" ? "1" : "0"}`);
    r = await refused(forged);
    assert.equal(r.status, 403);
    // Reused: a presigned URL opens one connection only.
    const once = await presignedUrl(node.base, creds);
    const first = await Player.connect(once);
    r = await refused(once);
    assert.equal(r.status, 403);
    assert.match(r.body.message, /used already/);
    // Nor with an extra signature parameter the verifier ignores.
    r = await refused(`${once}&x-amz-signature=${"0".repeat(64)}`);
    assert.equal(r.status, 403);
    assert.match(r.body.message, /used already/);
    first.ws.close();
    // Valid for more than 15 minutes: refused.
    r = await refused(await presignedUrl(node.base, creds, { expiresIn: 3600 }));
    assert.equal(r.status, 403);
    assert.match(r.body.message, /at most 900 s/);
    // Not an upgrade at all.
    const plain = await fetch(`${node.base}/ws`);
    assert.equal(plain.status, 426);
    assert.equal(plain.headers.get("upgrade"), "websocket");
    // Another path.
    r = await refused((await presignedUrl(node.base, creds)).replace("/ws?", "/other?"));
    assert.equal(r.status, 404);
    // A bearer token from GetOpenIdToken opens it; a damaged one does not.
    const { Token } = await identityClient(node.base).send(new GetOpenIdTokenCommand({ IdentityId: creds.identityId }));
    const p = await Player.connect(`ws://127.0.0.1:${node.ports.http}/ws`, { headers: { Authorization: `Bearer ${Token}` } });
    assert.equal((await p.request({ action: "ping" })).type, "pong");
    p.ws.close();
    r = await refused(`ws://127.0.0.1:${node.ports.http}/ws`, { headers: { Authorization: `Bearer ${Token}x` } });
    assert.equal(r.status, 401);
  });

  test("bad messages get an error on the socket, which stays open; a player sees only its own tickets", async () => {
    const [a, b] = await Promise.all([guestCredentials(node.base), guestCredentials(node.base)]);
    const pa = await Player.connect(await presignedUrl(node.base, a));
    const pb = await Player.connect(await presignedUrl(node.base, b));
    pa.send("not json");
    let m = await pa.next((x) => x.type === "error");
    assert.equal(m.error.code, "InvalidArgument");
    m = await pa.request({ action: "fly" });
    assert.equal(m.type, "error");
    assert.equal(m.action, "fly");
    assert.match(m.error.message, /unknown action 'fly'.*startMatchmaking/);
    m = await pa.request({ action: "startMatchmaking", latencies: { "custom-local-a": "fast" } });
    assert.equal(m.error.code, "InvalidArgument");
    assert.match(m.error.message, /latencies/);
    m = await pa.request({ action: "startMatchmaking", configuration: "no-such-mode" });
    assert.equal(m.error.code, "NotFound", JSON.stringify(m));
    m = await pa.request({ action: "stopMatchmaking" });
    assert.match(m.error.message, /ticketId/);
    // b's ticket is unknown to a, for every action.
    const started = await pb.request({ action: "startMatchmaking", latencies: LATENCIES });
    const theirs = started.ticket.ticketId;
    for (const action of ["describeTicket", "stopMatchmaking"]) {
      m = await pa.request({ action, ticketId: theirs });
      assert.equal(m.error.code, "NotFound", `${action}: ${JSON.stringify(m)}`);
    }
    m = await pa.request({ action: "acceptMatch", ticketId: theirs, accept: true });
    assert.equal(m.error.code, "NotFound");
    assert.equal(pa.events().length, 0, "no event of b's ticket reached a");
    // b describes and stops its own ticket and is told it was cancelled.
    m = await pb.request({ action: "describeTicket", ticketId: theirs });
    assert.equal(m.ticket.ticketId, theirs);
    m = await pb.request({ action: "stopMatchmaking", ticketId: theirs });
    assert.equal(m.ticket.status, "CANCELLED");
    await pb.next((x) => x.detail?.type === "MatchmakingCancelled");
    assert.equal(pa.ws.readyState, WebSocket.OPEN);
    pa.ws.close();
    pb.ws.close();
  });

  test("a connection flooding messages is closed with 1008 and the reason; the node goes on", async () => {
    const c = await guestCredentials(node.base);
    const p = await Player.connect(await presignedUrl(node.base, c));
    for (let i = 0; i < 500; ++i) p.send({ action: "ping" });
    const closed = await p.closed;
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /message rate limit exceeded for this connection/);
    const again = await Player.connect(await presignedUrl(node.base, await guestCredentials(node.base)));
    assert.equal((await again.request({ action: "ping" })).type, "pong");
    again.ws.close();
  });

  test("a player that reconnects gets the events it missed, in order, once", async () => {
    const c = await guestCredentials(node.base);
    let p = await Player.connect(await presignedUrl(node.base, c));
    const ticket = (await p.request({ action: "startMatchmaking", latencies: LATENCIES })).ticket.ticketId;
    await p.next((m) => m.detail?.type === "MatchmakingSearching");
    p.ws.close();
    await p.closed;
    // While it is away, the game's backend stops its ticket.
    const r = await gameliftFetch(node.base, "StopMatchmaking", { TicketId: ticket });
    assert.equal(r.status, 200, r.text);
    await sleep(300);
    p = await Player.connect(await presignedUrl(node.base, c));
    const cancelled = await p.next((m) => m.detail?.type === "MatchmakingCancelled");
    assert.equal(cancelled.detail.tickets[0].ticketId, ticket);
    await sleep(300);
    assert.deepEqual(p.events().map((e) => e.detail.type), ["MatchmakingCancelled"], "the missed one only");
    p.ws.close();
  });

  test("interop: Debian's python3-websockets sends fragments, pings and closes", async () => {
    const c = await guestCredentials(node.base);
    const r = await run("/usr/bin/python3", [path.join(here, "ws_peer.py"), await presignedUrl(node.base, c)]);
    assert.equal(r.code, 0, r.out);
    const steps = r.out.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(steps.map((s) => s.step), ["fragmented ping action", "websocket ping", "unknown ticket", "close"]);
    assert.equal(steps[0].answer.type, "pong");
    assert.equal(steps[0].answer.requestId, "py-1");
    assert.equal(steps[2].answer.error.code, "NotFound");
    assert.equal(steps[3].code, 1000);
  });

  test("the game's backend reads, pushes to and closes a connection by id (/@connections)", async () => {
    const c = await guestCredentials(node.base);
    const p = await Player.connect(await presignedUrl(node.base, c));
    let id;
    for (let i = 0; i < 50 && !id; ++i) {
      id = sql(node.db, `select id from connections where idx = '${c.identityId}'`)[0]?.id;
      if (!id) await sleep(50);
    }
    assert.ok(id, "the connection's row");
    let r = await signedFetch(node.base, ADMIN, "GET", `/@connections/${id}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.identity.identityId, c.identityId);
    assert.equal(r.json.identity.sourceIp, "127.0.0.1");
    assert.ok(Date.parse(r.json.connectedAt) > 0);
    r = await signedFetch(node.base, ADMIN, "POST", `/@connections/${id}`, {}, { body: JSON.stringify({ hello: "player" }) });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(await p.next((m) => m.hello), { hello: "player" });
    // A player's own credentials are not the backend's.
    r = await signedFetch(node.base, c, "GET", `/@connections/${id}`);
    assert.equal(r.status, 403, r.text);
    r = await signedFetch(node.base, ADMIN, "DELETE", `/@connections/${id}`);
    assert.equal(r.status, 204, r.text);
    assert.equal((await p.closed).code, 1000);
    r = await signedFetch(node.base, ADMIN, "GET", `/@connections/${id}`);
    assert.equal(r.status, 410);
  });
});
