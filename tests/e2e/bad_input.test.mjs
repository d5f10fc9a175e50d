// Every bad input gets a clear error with the right status and corrupts nothing (issue 2, "Bad
// input"). One real musterd; the client API is driven by the npm signer, the server socket by a
// strict independent WebSocket peer (npm ws). The last test runs the happy path on the same node.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import WebSocket from "ws";

import net from "node:net";

import {
  POOL, gameliftFetch, guestCredentials, joinTcp, nodeForSuite, pollPlacement, signedFetch, sql, waitForLocations,
} from "./lib.mjs";

async function identityApi(base, op, body, raw) {
  const r = await fetch(`${base}/`, {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `AWSCognitoIdentityService.${op}` },
    body: raw !== undefined ? raw : JSON.stringify(body),
  });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch {}
  return { status: r.status, json, text };
}

function openSocket(url) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on("open", () => resolve({ ws }));
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode, body }));
    });
    ws.on("error", (e) => resolve({ error: e }));
  });
}

// Sends raw bytes on a new TCP connection and returns everything the server answers until it
// closes (or 5 s pass).
function rawExchange(port, bytes, { tls = false } = {}) {
  return new Promise((resolve) => {
    let out = "";
    const sock = net.connect(port, "127.0.0.1", () => sock.write(bytes));
    sock.setTimeout(5000, () => sock.destroy());
    sock.on("data", (d) => (out += d.toString()));
    sock.on("close", () => resolve(out));
    sock.on("error", () => {});
  });
}

function reply(ws, frame) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("no reply")), 5000);
    ws.once("message", (data) => { clearTimeout(t); resolve(JSON.parse(data.toString())); });
    ws.send(frame);
  });
}

describe("bad input", () => {
  let node, alice, bob, aliceTicket;
  nodeForSuite({ demoServers: 1 }, 2, async (n) => {
    node = n;
    alice = await guestCredentials(node.base);
    bob = await guestCredentials(node.base);
  });

  test("identity API: malformed JSON, unknown fields, unknown pool and identity", async () => {
    let r = await identityApi(node.base, "GetId", null, "{\"IdentityPoolId\": ");
    assert.equal(r.status, 400);
    assert.equal(r.json.__type, "InvalidParameterException");
    r = await identityApi(node.base, "GetId", { IdentityPoolId: POOL, Bogus: 1 });
    assert.equal(r.status, 400);
    assert.match(r.json.message, /Bogus/);
    r = await identityApi(node.base, "GetId", { IdentityPoolId: "local:11111111-1111-1111-1111-111111111111" });
    assert.equal(r.json.__type, "ResourceNotFoundException");
    r = await identityApi(node.base, "GetCredentialsForIdentity", { IdentityId: "local:22222222-2222-2222-2222-222222222222" });
    assert.equal(r.status, 400);
    assert.match(r.json.__type, /ResourceNotFoundException|NotAuthorizedException/);
    r = await identityApi(node.base, "GetId", null, JSON.stringify({ IdentityPoolId: "x".repeat(2 * 1024 * 1024) }));
    assert.ok(r.status === 413 || r.status === 400, `oversized body: ${r.status}`);
  });

  test("client API: missing, forged, expired and wrong-service signatures; unknown credentials", async () => {
    let r = await fetch(`${node.base}/requestmatchmaking?latencies=custom-local-a_10`);
    assert.equal(r.status, 401);
    assert.match((await r.json()).message, /signature|Authorization/i);

    r = await signedFetch(node.base, alice, "GET", "/requestmatchmaking", { latencies: "custom-local-a_10" }, {
      mutate: (s) => { s.headers.authorization = s.headers.authorization.replace(/.$/, (c) => (c === "0" ? "1" : "0")); },
    });
    assert.equal(r.status, 403, r.text);
    assert.match(r.json.message, /signature/i);

    r = await signedFetch(node.base, alice, "GET", "/requestmatchmaking", { latencies: "custom-local-a_10" }, {
      signingDate: new Date(Date.now() - 10 * 60 * 1000),
    });
    assert.equal(r.status, 403, r.text);
    assert.match(r.json.message, /skew|time/i);

    r = await signedFetch(node.base, alice, "GET", "/requestmatchmaking", { latencies: "custom-local-a_10" }, { service: "gamelift" });
    assert.equal(r.status, 401, r.text);
    assert.match(r.json.message, /execute-api/);

    r = await signedFetch(node.base, { ...alice, accessKeyId: "ASIAAAAAAAAAAAAAAAAA" }, "GET", "/requestmatchstatus", { ticketId: "x" });
    assert.equal(r.status, 401, r.text);

    r = await signedFetch(node.base, { ...alice, sessionToken: bob.sessionToken }, "GET", "/requestmatchstatus", { ticketId: "x" });
    assert.equal(r.status, 403, r.text);
    assert.match(r.json.message, /security token/i);
  });

  test("signatures are strict: the node's region, the signed body, no unsigned payload", async () => {
    // Signed for another region: the client API and the management API refuse it.
    let r = await signedFetch(node.base, alice, "GET", "/requestmatchstatus", { ticketId: "x" }, { region: "us-east-1" });
    assert.equal(r.status, 401, r.text);
    assert.match(r.json.message, /region 'us-east-1'.*region 'local'/);
    r = await gameliftFetch(node.base, "DescribeMatchmakingConfigurations", {}, undefined, { region: "us-west-2" });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.__type, "UnauthorizedException");
    assert.match(r.json.message, /region/);
    r = await gameliftFetch(node.base, "DescribeMatchmakingConfigurations", {});
    assert.equal(r.status, 200, r.text);

    // A signed body swapped for another: the declared x-amz-content-sha256 no longer matches.
    const json = { "content-type": "application/json" };
    const signedBody = JSON.stringify({ latencies: { "custom-local-a": 10 } });
    const otherBody = JSON.stringify({ latencies: { "custom-local-b": 10 } });
    r = await signedFetch(node.base, alice, "POST", "/v1/matchmaking", {}, { body: signedBody, sendBody: otherBody, headers: json });
    assert.equal(r.status, 403, r.text);
    assert.match(r.json.message, /x-amz-content-sha256 does not match the body/);
    // The header dropped after signing: the signature named it.
    r = await signedFetch(node.base, alice, "POST", "/v1/matchmaking", {}, {
      body: signedBody, sendBody: otherBody, headers: json, mutate: (s) => { delete s.headers["x-amz-content-sha256"]; },
    });
    assert.equal(r.status, 403, r.text);
    assert.match(r.json.message, /signed header 'x-amz-content-sha256' is missing/);
    // Signed without the header at all: the signature covers the hash of the body that arrives.
    r = await signedFetch(node.base, alice, "POST", "/v1/matchmaking", {}, {
      body: signedBody, sendBody: otherBody, headers: json, applyChecksum: false,
    });
    assert.equal(r.status, 403, r.text);
    assert.match(r.json.message, /signature does not match/i);
    r = await signedFetch(node.base, alice, "POST", "/v1/matchmaking", {}, { body: signedBody, headers: json, applyChecksum: false });
    assert.equal(r.status, 201, `the body as signed is accepted without the header: ${r.text}`);
    r = await signedFetch(node.base, alice, "DELETE", `/v1/matchmaking/${r.json.ticketId}`);
    assert.equal(r.status, 200, r.text);
    // UNSIGNED-PAYLOAD would leave the body free to swap: refused on these JSON APIs.
    r = await signedFetch(node.base, alice, "POST", "/v1/matchmaking", {}, {
      body: otherBody, headers: { ...json, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
    });
    assert.equal(r.status, 403, r.text);
    assert.match(r.json.message, /x-amz-content-sha256 'UNSIGNED-PAYLOAD' is not accepted/);
    assert.equal(sql(node.db, `select id from tickets where idx = '${alice.identityId}' and status = 'SEARCHING'`).length, 0);

    // An HTTP/1.1 request without Host.
    const raw = await rawExchange(node.ports.http, "GET /healthz HTTP/1.1\r\n\r\n");
    assert.match(raw, /^HTTP\/1\.1 400 /);
    assert.match(raw, /needs a Host header/);
  });

  test("client API: malformed and unknown latencies, bad queries and bodies", async () => {
    for (const [latencies, pattern] of [
      ["custom-local-a", /pairs/],
      ["custom-local-a_fast", /milliseconds/],
      ["custom-local-a_-3", /milliseconds/],
      ["custom-local-z_20", /unknown location 'custom-local-z'/],
    ]) {
      const r = await signedFetch(node.base, alice, "GET", "/requestmatchmaking", { latencies });
      assert.equal(r.status, 400, `${latencies}: ${r.text}`);
      assert.match(r.json.message, pattern);
    }
    let r = await signedFetch(node.base, alice, "GET", "/requestmatchmaking", { latencies: "custom-local-a_10", skill: "9999" });
    assert.equal(r.status, 400);
    assert.match(r.json.message, /unknown query parameter 'skill'/);
    r = await signedFetch(node.base, alice, "GET", "/requestmatchmaking", { latencies: "x".repeat(5000) });
    assert.equal(r.status, 400);
    r = await signedFetch(node.base, alice, "POST", "/v1/matchmaking", {}, { body: "{not json", headers: { "content-type": "application/json" } });
    assert.equal(r.status, 400);
    assert.match(r.json.message, /malformed JSON/);
    r = await signedFetch(node.base, alice, "POST", "/v1/matchmaking", {}, { body: JSON.stringify({ skill: 3000 }), headers: { "content-type": "application/json" } });
    assert.equal(r.status, 400);
    assert.match(r.json.message, /skill: unknown field/);
  });

  test("client API: unknown ticket, another player's ticket, cancel", async () => {
    let r = await signedFetch(node.base, alice, "GET", "/requestmatchstatus", { ticketId: "no-such-ticket" });
    assert.equal(r.status, 404);
    r = await signedFetch(node.base, alice, "GET", "/requestmatchmaking", { latencies: "custom-local-a_10_custom-local-b_10" });
    assert.equal(r.status, 200, r.text);
    aliceTicket = r.json.TicketId;
    // Another player's ticket answers exactly like an unknown one (no existence oracle).
    const unknown = await signedFetch(node.base, bob, "GET", "/requestmatchstatus", { ticketId: "no-such-ticket" });
    r = await signedFetch(node.base, bob, "GET", "/requestmatchstatus", { ticketId: aliceTicket });
    assert.equal(r.status, 404);
    assert.deepEqual(Object.keys(r.json).sort(), Object.keys(unknown.json).sort());
    assert.equal(r.json.error, unknown.json.error);
    assert.equal(r.json.message.replace(aliceTicket, "X"), unknown.json.message.replace("no-such-ticket", "X"));
    r = await signedFetch(node.base, bob, "DELETE", `/v1/matchmaking/${aliceTicket}`);
    assert.equal(r.status, 404);
    r = await signedFetch(node.base, bob, "GET", `/v1/matchmaking/${aliceTicket}`);
    assert.equal(r.status, 404);
    // A second ticket for the same player while one is searching is refused.
    r = await signedFetch(node.base, alice, "GET", "/requestmatchmaking", { latencies: "custom-local-a_10" });
    assert.equal(r.status, 409, r.text);
    r = await signedFetch(node.base, alice, "DELETE", `/v1/matchmaking/${aliceTicket}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.status, "CANCELLED");
    const rows = sql(node.db, `select status from tickets where id = '${aliceTicket}'`);
    assert.equal(rows[0].status, "CANCELLED");
  });

  test("server socket: refused upgrades, malformed frames, unknown actions, wrong types, foreign sessions", async () => {
    const compute = sql(node.db, "select body from computes where id = 'demo-fleet/custom-local-a-compute'");
    const token = JSON.parse(compute[0].body).AuthToken;
    const url = (q) => `ws://127.0.0.1:${node.ports.ws}/?${new URLSearchParams(q)}`;
    const ids = { ComputeId: "custom-local-a-compute", FleetId: "demo-fleet", pID: "strict-peer", sdkLanguage: "Cpp", sdkVersion: "5.4.0", IdempotencyToken: "t" };

    let o = await openSocket(url(ids));
    assert.equal(o.status, 401);
    assert.match(o.body, /Authorization/);
    o = await openSocket(url({ ...ids, Authorization: "wrong-token" }));
    assert.equal(o.status, 401);
    o = await openSocket(url({ ...ids, ComputeId: "nope", Authorization: token }));
    assert.equal(o.status, 403);

    o = await openSocket(url({ ...ids, Authorization: token }));
    assert.ok(o.ws, "connected");
    const ws = o.ws;
    let m = await reply(ws, "{not json");
    assert.equal(m.StatusCode, 400);
    assert.match(m.ErrorMessage, /JSON/);
    m = await reply(ws, JSON.stringify({ Action: "FlyToTheMoon", RequestId: "r1" }));
    assert.equal(m.StatusCode, 400);
    assert.equal(m.RequestId, "r1");
    assert.match(m.ErrorMessage, /FlyToTheMoon/);
    m = await reply(ws, JSON.stringify({ Action: "ActivateServerProcess", RequestId: "r2", SdkVersion: "5.4.0", SdkLanguage: "Cpp", Port: "7777" }));
    assert.equal(m.StatusCode, 400);
    assert.equal(m.Action, "ActivateServerProcess");
    assert.match(m.ErrorMessage, /Port/);
    m = await reply(ws, JSON.stringify({ Action: "ActivateServerProcess", RequestId: "r3", SdkVersion: "5.4.0", SdkLanguage: "Cpp", Port: 39999, LogPaths: null }));
    assert.equal(m.StatusCode, 200);
    m = await reply(ws, JSON.stringify({ Action: "AcceptPlayerSession", RequestId: "r4", GameSessionId: "arn:aws:gamelift:local::gamesession/demo-fleet/gsess-not-mine", PlayerSessionId: "psess-x" }));
    assert.equal(m.StatusCode, 403);
    assert.match(m.ErrorMessage, /not hosted by this process/);
    // The same RequestId again gets the same answer without running twice.
    m = await reply(ws, JSON.stringify({ Action: "AcceptPlayerSession", RequestId: "r4", GameSessionId: "arn:aws:gamelift:local::gamesession/demo-fleet/gsess-not-mine", PlayerSessionId: "psess-x" }));
    assert.equal(m.StatusCode, 403);
    m = await reply(ws, JSON.stringify({ Action: "TerminateServerProcess", RequestId: "r5" }));
    assert.equal(m.StatusCode, 200);

    const closed = new Promise((resolve) => ws.on("close", (code) => resolve(code)));
    ws.send("x".repeat(300 * 1024));
    assert.equal(await closed, 1009);
  });

  test("after all of that, the node still matches and places four players", async () => {
    const res = await fetch(`${node.base}/healthz`);
    assert.equal(res.status, 200);
    await waitForLocations(node.base, 2);
    const players = await Promise.all([0, 1, 2, 3].map(() => guestCredentials(node.base)));
    const tickets = [];
    for (const p of players) {
      const r = await signedFetch(node.base, p, "GET", "/requestmatchmaking", { latencies: "custom-local-a_30_custom-local-b_30" });
      assert.equal(r.status, 200, r.text);
      tickets.push(r.json.TicketId);
    }
    const placed = await Promise.all(players.map((p, i) => pollPlacement(node.base, p, tickets[i])));
    const lines = await Promise.all(placed.map((pl) => joinTcp(pl.IpAddress, pl.Port, pl.PlayerSessionId)));
    for (const l of lines) assert.match(l, /^WELCOME psess-/);
    assert.equal(new Set(lines.map((l) => l.split(" ")[2])).size, 1);
  });
});
