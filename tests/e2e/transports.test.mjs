// Transports and the game server's verdicts, end to end: the presigned-query form of SigV4, a
// game server on the TLS server socket (wss), a strict WebSocket peer over TLS, players joining
// over UDP, and the game server refusing unknown, reused, other-session and expired player
// session ids.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { describe, test } from "node:test";

import WebSocket from "ws";

import {
  MUSTER_CLIENT, freePort, guestCredentials, joinTcp, pollPlacement, run, signedFetch,
  nodeForSuite, sql, startSampleServer, waitForLocations,
} from "./lib.mjs";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";

function joinUdp(host, port, id) {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket("udp4");
    const t = setTimeout(() => { s.close(); reject(new Error("no UDP reply")); }, 5000);
    s.on("message", (m) => { clearTimeout(t); s.send("BYE", port, host, () => s.close()); resolve(m.toString().trim()); });
    s.send(id, port, host);
  });
}

async function fourPlaced(base) {
  const players = await Promise.all([0, 1, 2, 3].map(() => guestCredentials(base)));
  const tickets = [];
  for (const p of players) {
    const r = await signedFetch(base, p, "GET", "/requestmatchmaking", { latencies: "custom-local-a_10_custom-local-b_50" });
    assert.equal(r.status, 200, r.text);
    tickets.push(r.json.TicketId);
  }
  return Promise.all(players.map((p, i) => pollPlacement(base, p, tickets[i])));
}

describe("transports", () => {
  let node;
  nodeForSuite({ demoServers: 1 }, 2, (n) => { node = n; });

  test("presigned query form (X-Amz-* in the query string) is accepted; a tampered one is not", async () => {
    const p = await guestCredentials(node.base);
    const t = await signedFetch(node.base, p, "GET", "/requestmatchmaking", { latencies: "custom-local-a_10" });
    assert.equal(t.status, 200, t.text);
    const url = new URL(node.base);
    const signer = new SignatureV4({ service: "execute-api", region: "local", sha256: Sha256,
      credentials: { accessKeyId: p.accessKeyId, secretAccessKey: p.secretAccessKey, sessionToken: p.sessionToken } });
    const pre = await signer.presign({ method: "GET", protocol: "http:", hostname: url.hostname, port: Number(url.port),
      path: "/requestmatchstatus", query: { ticketId: t.json.TicketId }, headers: { host: url.host } }, { expiresIn: 60 });
    const qs = new URLSearchParams(pre.query).toString();
    try {
      let r = await fetch(`${node.base}/requestmatchstatus?${qs}`);
      assert.equal(r.status, 200, await r.text());
      // QUEUED until the matchmaker's run after the start has committed (status reads are served
      // on any loop, from committed state), SEARCHING after.
      assert.ok(["QUEUED", "SEARCHING"].includes(r.headers.get("x-muster-ticket-status")),
                r.headers.get("x-muster-ticket-status"));
      r = await fetch(`${node.base}/requestmatchstatus?${qs.replace(/ticketId=[^&]+/, "ticketId=someone-else")}`);
      assert.equal(r.status, 403);
    } finally {
      // A ticket left searching would join the next tests' matches.
      await signedFetch(node.base, p, "DELETE", `/v1/matchmaking/${t.json.TicketId}`);
    }
  });

  test("a game server on wss:// registers and hosts; a strict ws peer negotiates TLS", async () => {
    const row = sql(node.db, "select body from computes where id = 'demo-fleet/custom-local-b-compute'");
    const token = JSON.parse(row[0].body).AuthToken;
    const gamePort = await freePort();
    const wssServer = startSampleServer({ sdkUrl: `wss://127.0.0.1:${node.ports.wss}`, compute: "custom-local-b-compute",
                                          token, port: gamePort, location: "custom-local-b" });
    const logs = () => wssServer.logs.join("\n");
    try {
      for (let i = 0; i < 100 && !/ready on port/.test(logs()); i++) await new Promise((r) => setTimeout(r, 50));
      assert.match(logs(), /connected to wss:\/\/127\.0\.0\.1/);
      assert.match(logs(), /ready on port/);
      assert.ok(node.proc.logs.some((l) => l.includes("custom-local-b-compute/") && l.includes("connected")));

      const ws = new WebSocket(`wss://127.0.0.1:${node.ports.wss}/?` + new URLSearchParams({
        Authorization: token, ComputeId: "custom-local-b-compute", FleetId: "demo-fleet", pID: "tls-peer", sdkLanguage: "Go", sdkVersion: "5.4.0" }),
        { rejectUnauthorized: false });
      await new Promise((resolve, reject) => { ws.on("open", resolve); ws.on("error", reject); });
      const proto = ws._socket.getProtocol();
      assert.ok(["TLSv1.2", "TLSv1.3"].includes(proto), proto);
      const reply = await new Promise((resolve) => {
        ws.once("message", (d) => resolve(JSON.parse(d.toString())));
        ws.send(JSON.stringify({ Action: "HeartbeatServerProcess", RequestId: "h1", HealthStatus: true }));
      });
      assert.equal(reply.StatusCode, 200);
      assert.equal(reply.Action, "HeartbeatServerProcess");
      ws.close(1001);
    } finally {
      wssServer.kill("SIGTERM");
      await wssServer.exited;
    }
  });

  test("players join over UDP with muster-client", async () => {
    await waitForLocations(node.base, 2);
    const runs = await Promise.all([0, 1, 2, 3].map((i) =>
      run(MUSTER_CLIENT, ["--endpoint", node.base, "--transport", i % 2 ? "udp" : "tcp", "--timeout-seconds", "30"])));
    for (const r of runs) assert.equal(r.code, 0, r.out);
    const sessions = runs.map((r) => r.out.match(/WELCOME psess-\S+ (\S+)/)[1]);
    assert.equal(new Set(sessions).size, 1);
  });

  test("the game server rejects unknown, reused and other-session ids", async () => {
    await waitForLocations(node.base, 2);
    const placed = await fourPlaced(node.base);
    const { IpAddress: ip, Port: port } = placed[0];
    assert.match(await joinTcp(ip, port, "psess-00000000-0000-0000-0000-000000000000"), /^REJECTED .*does not exist/);
    assert.match(await joinTcp(ip, port, placed[0].PlayerSessionId, { keepOpenMs: 2000 }), /^WELCOME /);
    assert.match(await joinTcp(ip, port, placed[0].PlayerSessionId), /^REJECTED .*ACTIVE/);
    assert.match(await joinUdp(ip, port, placed[1].PlayerSessionId), /^WELCOME /);
    assert.match(await joinTcp(ip, port, placed[2].PlayerSessionId), /^WELCOME /);
    assert.match(await joinTcp(ip, port, placed[3].PlayerSessionId), /^WELCOME /);
  });
});

describe("reservation timeout", () => {
  let node;
  nodeForSuite({ demoServers: 1, args: ["--reserved-timeout-seconds", "1"] }, 2, (n) => { node = n; });

  test("a player session not used within the RESERVED timeout is refused and TIMEDOUT", async () => {
    const placed = await fourPlaced(node.base);
    await new Promise((r) => setTimeout(r, 1600));
    const line = await joinTcp(placed[0].IpAddress, placed[0].Port, placed[0].PlayerSessionId);
    assert.match(line, /^REJECTED .*(TIMEDOUT|timed out)/);
    const rows = sql(node.db, `select status from player_sessions where id = '${placed[0].PlayerSessionId}'`);
    assert.equal(rows[0].status, "TIMEDOUT");
  });
});
