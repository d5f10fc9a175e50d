// Nothing an unauthenticated peer sends may stop or exhaust the node (issue 8). Each test drives a
// real musterd over real sockets: oversized trailers on every listener, a crash and an immediate
// restart, the descriptors children inherit, bodies that never arrive, per-address caps, anonymous
// connections piling up on the game server socket, pID takeovers, identity floods, retention.
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { CognitoIdentityClient, GetIdCommand } from "@aws-sdk/client-cognito-identity";

import { POOL, gameliftFetch, guestCredentials, signedFetch, sql, startMusterd, tempDir, waitForLocations } from "./lib.mjs";
import { Peer, peerUrl } from "./peer.mjs";

// Opens a TCP (or TLS) connection from `localAddress`, sends `bytes`, and resolves with what the
// server answered and when it closed.
function exchange(port, bytes, { secure = false, localAddress, timeoutMs = 8000 } = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    let out = "";
    const opts = { port, host: "127.0.0.1", localAddress };
    const sock = secure
      ? tls.connect({ ...opts, rejectUnauthorized: false }, () => sock.write(bytes))
      : net.connect(opts, () => sock.write(bytes));
    sock.setTimeout(timeoutMs, () => sock.destroy());
    sock.on("data", (d) => (out += d.toString()));
    sock.on("close", () => resolve({ out, ms: Date.now() - started }));
    sock.on("error", () => {});
  });
}

// An idle TCP connection from `localAddress`; resolves once connected.
function idleSocket(port, localAddress) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: "127.0.0.1", localAddress }, () => resolve(sock));
    sock.on("error", reject);
  });
}

const status = (raw) => Number(raw.slice(9, 12));

// A keep-alive connection the node has certainly admitted: it answered one request on it (a
// connected socket alone may still wait in the kernel's accept queue of another loop).
function admittedSocket(port, localAddress) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: "127.0.0.1", localAddress }, () => {
      sock.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    });
    let got = "";
    const onData = (d) => {
      got += d.toString();
      if (!got.includes("\r\n\r\n")) return;
      sock.off("data", onData);
      if (status(got) === 200) resolve(sock);
      else reject(new Error(`not admitted: ${got}`));
    };
    sock.on("data", onData);
    sock.on("error", reject);
  });
}
const trailerRequest = (size) =>
  "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n" +
  `X-Big: ${"a".repeat(size)}\r\n\r\n`;

function fdTargets(pid) {
  const out = new Map();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try { out.set(Number(fd), readlinkSync(`/proc/${pid}/fd/${fd}`)); } catch {}
  }
  return out;
}

function childrenOf(pid) {
  const kids = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) kids.push(Number(p));
    } catch {}
  }
  return kids;
}

describe("hardening", () => {
  test("an oversized trailer on every listener is refused, and the node goes on serving", async () => {
    const node = await startMusterd({ demoServers: 0 });
    try {
      for (const [port, secure] of [[node.ports.http, false], [node.ports.ws, false], [node.ports.wss, true]]) {
        for (const size of [64 * 1024, 70 * 1024]) {
          const r = await exchange(port, trailerRequest(size), { secure });
          assert.equal(status(r.out), 431, `port ${port} (${secure ? "tls" : "plain"}), ${size} bytes: ${r.out.slice(0, 200)}`);
        }
        const ok = await exchange(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", { secure });
        assert.ok([200, 404].includes(status(ok.out)), ok.out.slice(0, 200));
      }
      assert.equal(node.proc.exitCode, null, "musterd is still running");
      const health = await fetch(`${node.base}/healthz`);
      assert.equal(health.status, 200);
    } finally {
      await node.stop();
      node.cleanup();
    }
  });

  test("children get stdio only; a crash followed by an immediate restart binds its ports", { timeout: 60000 }, async () => {
    const dataDir = tempDir("restart");
    const node = await startMusterd({ dataDir, demoServers: 1 });
    await waitForLocations(node.base, 2);
    const parentFds = fdTargets(node.proc.pid);
    const kids = childrenOf(node.proc.pid);
    assert.equal(kids.length, 2, "two sample game servers");
  // Sockets, pipes and files name their inode or path; anonymous inodes all read alike.
    const inherited = new Set([...parentFds].filter(([fd, t]) => fd > 2 && !t.startsWith("anon_inode:")).map(([, t]) => t));
    assert.ok([...inherited].some((t) => t.endsWith("muster.db")), "the node holds its store");
    for (const kid of kids) {
      for (const [fd, target] of fdTargets(kid)) {
        if (fd <= 2) continue;
        assert.ok(!inherited.has(target), `sample server ${kid} holds musterd's ${target} as fd ${fd}`);
      }
    }
    // SIGKILL: the children get SIGTERM and take a moment to end; the new node binds at once.
    await node.stop("SIGKILL");
    const again = await startMusterd({ dataDir, demoServers: 1, ports: node.ports });
    try {
      await waitForLocations(again.base, 2, 30000);
    } finally {
      await again.stop();
      again.cleanup();
    }
  });

  test("a request body that never arrives is cut at the body timeout", async () => {
    const node = await startMusterd({ demoServers: 0, args: ["--body-timeout-seconds", "1"] });
    try {
      for (const partial of ["Content-Length: 100\r\n\r\n0123456789",
                             "Transfer-Encoding: chunked\r\n\r\n64\r\n0123456789"]) {
        const r = await exchange(node.ports.http, `POST / HTTP/1.1\r\nHost: x\r\n${partial}`, { timeoutMs: 10000 });
        assert.equal(r.out, "", "no answer to a request that never completed");
        assert.ok(r.ms >= 900 && r.ms < 5000, `closed after ${r.ms} ms`);
      }
    } finally {
      await node.stop();
      node.cleanup();
    }
  });

  test("a per-address cap is reached while another address still connects", async () => {
    const node = await startMusterd({ demoServers: 0, args: ["--max-connections-per-address", "4"] });
    const held = [];
    try {
      for (let i = 0; i < 4; i++) held.push(await admittedSocket(node.ports.http, "127.0.0.2"));
      const refused = await exchange(node.ports.http, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", { localAddress: "127.0.0.2" });
      assert.equal(status(refused.out), 503, refused.out);
      assert.match(refused.out, /too many open connections from your address/);
      const other = await exchange(node.ports.http, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", { localAddress: "127.0.0.3" });
      assert.equal(status(other.out), 200, other.out);
    } finally {
      for (const s of held) s.destroy();
      await node.stop();
      node.cleanup();
    }
  });

  test("the game server socket keeps room for processes when anonymous connections pile up", async () => {
    const node = await startMusterd({
      demoServers: 0,
      args: ["--max-connections", "12", "--server-max-connections-per-address", "4"],
    });
    const held = [];
    try {
      let evicted = 0;
      for (const addr of ["127.0.0.2", "127.0.0.3", "127.0.0.4"]) {
        for (let i = 0; i < 4; i++) {
          const s = await idleSocket(node.ports.ws, addr);
          s.on("close", () => evicted++);
          held.push(s);
        }
      }
      await sleep(200);  // all twelve slots are taken by anonymous connections
      const peer = new Peer(peerUrl(node, "room-1"));
      await peer.open();
      const m = await peer.request({ Action: "ActivateServerProcess", SdkVersion: "5.4.0", SdkLanguage: "Go", Port: 40200, LogPaths: null });
      assert.equal(m.StatusCode, 200);
      await sleep(100);
      assert.equal(evicted, 1, "the longest-idle anonymous connection made room");
      await peer.close();
    } finally {
      for (const s of held) s.destroy();
      await node.stop();
      node.cleanup();
    }
  });

  test("every listener's connections fit the open-file limit: idle floods never reach EMFILE", async () => {
    const node = await startMusterd({ demoServers: 0, wrapper: ["prlimit", "--nofile=512:512"] });
    const held = [];
    try {
      assert.ok(node.proc.logs.some((l) => /does not fit the open-file limit 512 .*using 138/.test(l)), node.proc.logs.join("\n"));
      // More idle connections than fit, on every listener, from several addresses.
      for (const port of [node.ports.http, node.ports.ws]) {
        for (const addr of ["127.0.0.2", "127.0.0.3"]) {
          for (let i = 0; i < 120; i++) held.push(await idleSocket(port, addr));
        }
      }
      const r = await exchange(node.ports.http, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assert.equal(status(r.out), 200, r.out);
      const peer = new Peer(peerUrl(node, "fd-1"));
      await peer.open();
      await peer.close();
      assert.ok(!node.proc.logs.some((l) => /Too many open files/.test(l)), "no EMFILE");
    } finally {
      for (const s of held) s.destroy();
      await node.stop();
      node.cleanup();
    }
  });

  test("connections stalled in their body cannot lock anyone out", async () => {
    const node = await startMusterd({ demoServers: 0, args: ["--max-connections", "12"] });
    const held = [];
    try {
      for (const addr of ["127.0.0.2", "127.0.0.3", "127.0.0.4"]) {
        for (let i = 0; i < 4; i++) {
          const s = await idleSocket(node.ports.http, addr);
          s.write("POST /v1/matchmaking HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{");
          held.push(s);
        }
      }
      await sleep(200);
      const r = await exchange(node.ports.http, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assert.equal(status(r.out), 200, r.out);
    } finally {
      for (const s of held) s.destroy();
      await node.stop();
      node.cleanup();
    }
  });

  test("refused connects cannot flood or forge the log", async () => {
    const node = await startMusterd({ demoServers: 0 });
    try {
      // 300 refused connects from 30 addresses, each pID carrying a forged log line.
      const forged = "2026-12-05T05:59:59.000Z INFO server socket: process forged connected";
      const before = node.proc.logs.length;
      const tries = [];
      for (let a = 0; a < 30; a++) {
        for (let i = 0; i < 10; i++) {
          const q = new URLSearchParams({ Authorization: "bad-token", ComputeId: "custom-local-a-compute",
            FleetId: "demo-fleet", pID: `x${i}\n${forged}` });
          tries.push(exchange(node.ports.ws, `GET /?${q} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", { localAddress: `127.0.1.${a + 1}` }));
        }
      }
      const answers = await Promise.all(tries);
      const odd = answers.filter((x) => status(x.out) !== 401 && status(x.out) !== 403);
      assert.equal(odd.length, 0, odd.slice(0, 3).map((x) => JSON.stringify(x.out.slice(0, 200))).join("\n"));
      await sleep(200);
      const lines = node.proc.logs.slice(before).filter((l) => /refusing a connect/.test(l));
      assert.ok(lines.length >= 10 && lines.length <= 62, `${lines.length} refusals logged`);
      assert.ok(!node.proc.logs.some((l) => l.startsWith(forged)), "no forged line");
      assert.ok(lines.some((l) => l.includes("\\x0a2026")), "the newline is escaped");
    } finally {
      await node.stop();
      node.cleanup();
    }
  });

  test("guessing the admin secret is throttled per address", async () => {
    const node = await startMusterd({ demoServers: 0, args: ["--admin-failures-burst", "12"] });
    try {
      const wrong = { accessKeyId: "demo", secretAccessKey: "guess" };
      const answers = [];
      for (let i = 0; i < 15; i++) answers.push(await gameliftFetch(node.base, "DescribeMatchmakingConfigurations", {}, wrong));
      assert.ok(answers.slice(0, 12).every((r) => r.status === 400 && r.json.__type === "UnauthorizedException"));
      assert.ok(answers.slice(12).every((r) => r.status === 429 && r.json.__type === "ThrottlingException"), answers[14].text);
      assert.match(answers[14].json.message, /too many failed signatures from your address; retry in \d+ s/);
      // The right secret waits too while the address is throttled.
      const right = await gameliftFetch(node.base, "DescribeMatchmakingConfigurations", {});
      assert.equal(right.status, 429);
    } finally {
      await node.stop();
      node.cleanup();
    }
  });

  test("a live pID cannot be taken over; the same process (IdempotencyToken) can reconnect", { timeout: 60000 }, async () => {
    const node = await startMusterd({ demoServers: 0, args: ["--server-replaced-close-seconds", "1"] });
    try {
      const url = (token) => peerUrl(node, "victim", token);
      const real = new Peer(url("token-real"));
      await real.open();
      let m = await real.request({ Action: "ActivateServerProcess", SdkVersion: "5.4.0", SdkLanguage: "Go", Port: 40300, LogPaths: null });
      assert.equal(m.StatusCode, 200);

      // Another connection claiming the live pID, with another token or none: refused before the upgrade.
      for (const token of ["token-thief", ""]) {
        const thief = new Peer(url(token));
        const outcome = await thief.open().then(() => "open", (e) => e.message);
        assert.match(outcome, /409/, `claim with token '${token}'`);
      }

      // The real process still gets its pushes.
      const players = await Promise.all([0, 1, 2, 3].map(() => guestCredentials(node.base)));
      for (const p of players) {
        const r = await signedFetch(node.base, p, "GET", "/requestmatchmaking", { latencies: "custom-local-a_10" });
        assert.equal(r.status, 200, r.text);
      }
      const push = await real.next((x) => x.Action === "CreateGameSession");

      // The same process reconnecting (its SDK keeps the token) takes over: the unactivated
      // session is pushed again on the new socket, and the old one is closed with 1000.
      const oldClosed = new Promise((resolve) => real.ws.on("close", (code) => resolve(code)));
      const reconnected = new Peer(url("token-real"));
      await reconnected.open();
      const again = await reconnected.next((x) => x.Action === "CreateGameSession");
      assert.equal(again.GameSessionId, push.GameSessionId);
      assert.equal(await oldClosed, 1000);
      m = await reconnected.request({ Action: "ActivateGameSession", GameSessionId: push.GameSessionId });
      assert.equal(m.StatusCode, 200);

      // While the process is disconnected (its SDK about to reconnect), its pID still cannot be
      // claimed with another token; the process itself comes back.
      await reconnected.close();
      await sleep(100);
      for (const token of ["token-thief", ""]) {
        const thief = new Peer(url(token));
        const outcome = await thief.open().then(() => "open", (e) => e.message);
        assert.match(outcome, /409/, `claim of a disconnected process with token '${token}'`);
      }
      const back = new Peer(url("token-real"));
      await back.open();
      m = await back.request({ Action: "HeartbeatServerProcess", HealthStatus: true });
      assert.equal(m.StatusCode, 200, JSON.stringify(m));
      await back.close();
    } finally {
      await node.stop();
      node.cleanup();
    }
  });

  test("ticket floods are limited per player and per address", async () => {
    const node = await startMusterd({ demoServers: 0, args: ["--tickets-burst", "3", "--address-tickets-burst", "5"] });
    try {
      const json = { "content-type": "application/json" };
      const body = JSON.stringify({ latencies: { "custom-local-a": 10 } });
      const startAndCancel = async (player) => {
        const r = await signedFetch(node.base, player, "POST", "/v1/matchmaking", {}, { body, headers: json });
        if (r.status === 201) {
          const c = await signedFetch(node.base, player, "DELETE", `/v1/matchmaking/${r.json.ticketId}`);
          assert.equal(c.status, 200, c.text);
        }
        return r;
      };
      const [a, b, c] = await Promise.all([0, 1, 2].map(() => guestCredentials(node.base)));
      for (let i = 0; i < 3; i++) assert.equal((await startAndCancel(a)).status, 201);
      let r = await startAndCancel(a);
      assert.equal(r.status, 429, r.text);
      assert.match(r.json.message, /from this player; retry in \d+ s/);
      // New players from the same address share its budget: 3 + 2, then none.
      for (let i = 0; i < 2; i++) assert.equal((await startAndCancel(b)).status, 201);
      r = await startAndCancel(c);
      assert.equal(r.status, 429, r.text);
      assert.match(r.json.message, /from your address; retry in \d+ s/);
      assert.equal(sql(node.db, "select count(*) as n from tickets")[0].n, 5);
    } finally {
      await node.stop();
      node.cleanup();
    }
  });

  test("a SigV4 game server connect must be signed for the node's region", async () => {
    const node = await startMusterd({ demoServers: 0 });
    try {
      // The server SDK's own form (WIRE.md §1): it signs the sorted, URI-encoded query string of
      // ComputeId, FleetId and pID, with the admin credentials.
      const connect = (region) => {
        const ids = { ComputeId: "custom-local-a-compute", FleetId: "demo-fleet", pID: `sigv4-${region}` };
        const amzDate = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
        const date8 = amzDate.slice(0, 8);
        const scope = `${date8}/${region}/gamelift/aws4_request`;
        const canonical = Object.keys(ids).sort().map((k) => `${k}=${encodeURIComponent(ids[k])}`).join("&");
        const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, createHash("sha256").update(canonical).digest("hex")].join("\n");
        let key = "AWS4demo-secret";
        for (const part of [date8, region, "gamelift", "aws4_request"]) key = createHmac("sha256", key).update(part).digest();
        const signature = createHmac("sha256", key).update(toSign).digest("hex");
        const query = new URLSearchParams({
          ...ids, Authorization: "SigV4", "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
          "X-Amz-Credential": `demo/${scope}`, "X-Amz-Date": amzDate, "X-Amz-Signature": signature,
          IdempotencyToken: "t", sdkLanguage: "Go", sdkVersion: "5.4.0",
        });
        const peer = new Peer(`ws://127.0.0.1:${node.ports.ws}/?${query}`);
        return peer.open().then(() => peer, (e) => e.message);
      };
      const refused = await connect("us-east-1");
      assert.match(refused, /401/);
      const accepted = await connect("local");
      assert.ok(accepted instanceof Peer, String(accepted));
      await accepted.close();
    } finally {
      await node.stop();
      node.cleanup();
    }
  });

  test("GetId and GetCredentialsForIdentity floods are limited and the store stays small", async () => {
    const node = await startMusterd({
      demoServers: 0,
      args: ["--identity-rate-per-minute", "60", "--identity-burst", "10",
             "--credentials-rate-per-minute", "60", "--credentials-burst", "20"],
    });
    const call = async (op, body) => {
      const r = await fetch(`${node.base}/`, {
        method: "POST",
        headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `AWSCognitoIdentityService.${op}` },
        body: JSON.stringify(body),
      });
      return { status: r.status, json: await r.json() };
    };
    try {
      const ids = await Promise.all(Array.from({ length: 200 }, () => call("GetId", { IdentityPoolId: POOL })));
      const made = ids.filter((r) => r.status === 200);
      const limited = ids.filter((r) => r.status === 429);
      assert.ok(made.length >= 10 && made.length <= 13, `${made.length} identities made`);
      assert.equal(made.length + limited.length, 200);
      assert.equal(limited[0].json.__type, "TooManyRequestsException");
      assert.match(limited[0].json.message, /too many identities created from your address/);
      assert.equal(sql(node.db, "select count(*) as n from identities where idx = '" + POOL + "'")[0].n, made.length);

      // The real client sees the typed exception (one attempt: no retries).
      const client = new CognitoIdentityClient({
        endpoint: node.base, region: "local", maxAttempts: 1,
        credentials: { accessKeyId: "unused", secretAccessKey: "unused" },
      });
      await assert.rejects(client.send(new GetIdCommand({ IdentityPoolId: POOL })), (e) => e.name === "TooManyRequestsException");

      const identity = made[0].json.IdentityId;
      const creds = await Promise.all(Array.from({ length: 200 }, () => call("GetCredentialsForIdentity", { IdentityId: identity })));
      const issued = creds.filter((r) => r.status === 200).length;
      assert.ok(issued >= 20 && issued <= 23, `${issued} credentials issued`);
      // However many were issued, one identity holds five live ones at most.
      assert.ok(sql(node.db, `select count(*) as n from credentials where idx = '${identity}'`)[0].n <= 5);
      assert.ok(sql(node.db, "select count(*) as n from credentials")[0].n <= 5);
    } finally {
      await node.stop();
      node.cleanup();
    }
  });

  test("ended rows past their retention are deleted, young ones stay", async () => {
    const dataDir = tempDir("retention");
    let node = await startMusterd({ dataDir, demoServers: 0 });
    await node.stop();
    const old = Date.now() - 2 * 24 * 3600 * 1000;
    sql(node.db, `insert into tickets (id, idx, status, body, version, updated) values
      ('old-done', 'p', 'COMPLETED', '{}', 1, ${old}), ('young-done', 'r', 'CANCELLED', '{}', 1, ${Date.now()})`);
    sql(node.db, `insert into events (topic, body, time) values ('matchmaking', '{}', ${old})`);
    node = await startMusterd({ dataDir, demoServers: 0, ports: node.ports });
    try {
      let ids = [];
      let oldEvents = 1;
      for (let i = 0; i < 50; i++) {
        ids = sql(node.db, "select id from tickets where id in ('old-done','young-done') order by id").map((r) => r.id);
        oldEvents = sql(node.db, `select count(*) as n from events where time = ${old}`)[0].n;
        if (!ids.includes("old-done") && oldEvents === 0) break;
        await sleep(100);
      }
      assert.deepEqual(ids, ["young-done"]);
      assert.equal(oldEvents, 0, "the dispatcher trims an outbox event past event_retention that it has read");
    } finally {
      await node.stop();
      node.cleanup();
    }
  });
});
