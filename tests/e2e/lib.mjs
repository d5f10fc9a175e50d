// Shared helpers for the end-to-end tests: real musterd and sample game server processes on
// loopback ports, the real npm identity client, SigV4 signing with @smithy/signature-v4, and raw
// TCP/UDP joins. Nothing here is mocked.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

import { Sha256 } from "@aws-crypto/sha256-js";
import {
  CognitoIdentityClient,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
} from "@aws-sdk/client-cognito-identity";
import { GameLiftClient } from "@aws-sdk/client-gamelift";
import { SignatureV4 } from "@smithy/signature-v4";

const here = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE_DIR = path.resolve(here, "../..");
export const BUILD_DIR = process.env.MUSTER_BUILD_DIR || path.join(SOURCE_DIR, "build");
export const MUSTERD = path.join(BUILD_DIR, "src/daemon/musterd");
export const SAMPLE_SERVER = path.join(BUILD_DIR, "examples/sample_game_server/sample-game-server");
export const MUSTER_CLIENT = path.join(BUILD_DIR, "tools/muster-client");
export const POOL = "local:00000000-0000-0000-0000-000000000000";
export const REGION = "local";

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// `n` distinct free TCP ports: held open together while they are chosen, so that no two are the
// same (one port freed and chosen again would make two listeners collide).
export async function freePorts(n) {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => resolve(srv));
  })));
  const ports = servers.map((srv) => srv.address().port);
  await Promise.all(servers.map((srv) => new Promise((resolve) => srv.close(resolve))));
  return ports;
}

// Two consecutive free TCP ports (the demo's sample servers take base and base+1).
export async function freePortPair() {
  for (let i = 0; i < 50; i++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const ok = await Promise.all([base, base + 1].map(portIsFree));
    if (ok.every(Boolean)) return base;
  }
  throw new Error("no two consecutive free ports");
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

export function tempDir(prefix) {
  return mkdtempSync(path.join(os.tmpdir(), `muster-${prefix}-`));
}

function collect(proc, name) {
  const lines = [];
  const onData = (d) => {
    for (const l of d.toString().split("\n")) if (l) lines.push(l);
    if (lines.length > 5000) lines.splice(0, lines.length - 5000);
  };
  proc.stdout?.on("data", onData);
  proc.stderr?.on("data", onData);
  proc.logs = lines;
  proc.exited = new Promise((resolve) => proc.on("exit", (code, sig) => resolve({ code, sig })));
  proc.name = name;
  return proc;
}

// Flags every musterd of a run gets (space-separated), after its own: the suite runs once as
// musterd runs by default and once with MUSTER_E2E_FLAGS="--matchmaking-thread true
// --matchmaking-threads 2" (two matchmaking sides)
// (tests/CMakeLists.txt).
const EXTRA_FLAGS = (process.env.MUSTER_E2E_FLAGS || "").split(" ").filter((f) => f !== "");

// Starts musterd and waits for /healthz. Options: dataDir, demoServers, extra flags, and a
// `wrapper` command line to run it under (e.g. ["prlimit", "--nofile=512:512"]).
export async function startMusterd({ dataDir, demoServers = 1, args = [], ports, wrapper = [] } = {}) {
  if (!existsSync(MUSTERD)) throw new Error(`musterd not built at ${MUSTERD}`);
  if (!ports) {
    const [http, ws, wss] = await freePorts(3);
    ports = { http, ws, wss, game: await freePortPair() };
  }
  dataDir = dataDir || tempDir("data");
  const flags = [
    "--data-dir", dataDir,
    "--http-port", String(ports.http),
    "--server-ws-port", String(ports.ws),
    "--server-wss-port", String(ports.wss),
    "--demo-servers", String(demoServers),
    "--sample-server-binary", SAMPLE_SERVER,
    "--sample-server-base-port", String(ports.game),
    ...args,
    ...EXTRA_FLAGS,
  ];
  const [command, ...argv] = [...wrapper, MUSTERD, ...flags];
  const proc = collect(spawn(command, argv, { stdio: ["ignore", "pipe", "pipe"] }), "musterd");
  const base = `http://127.0.0.1:${ports.http}`;
  const deadline = Date.now() + 20000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`musterd exited early:\n${proc.logs.join("\n")}`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`musterd did not become healthy:\n${proc.logs.join("\n")}`);
    await sleep(50);
  }
  return {
    proc, ports, dataDir, base,
    db: path.join(dataDir, "muster.db"),
    async stop(signal = "SIGTERM") {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return proc.exited;
    },
    cleanup() { rmSync(dataDir, { recursive: true, force: true }); },
  };
}

// One musterd for a whole describe() block: started before its tests (and, with `locations`, once
// that many locations have a ready game server), stopped and cleaned up after them. `ready` gets
// the node once it is up.
export function nodeForSuite(options, locations, ready) {
  let node;
  before(async () => {
    node = await startMusterd(options);
    if (locations) await waitForLocations(node.base, locations);
    await ready(node);
  });
  after(async () => {
    await node.stop();
    node.cleanup();
  });
}

// Waits until `n` sample game server processes are ready for placement (their locations show up).
export async function waitForLocations(base, n, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await fetch(`${base}/v1/locations`);
    const body = await r.json();
    if (body.Locations.length >= n) return body.Locations;
    if (Date.now() > deadline) throw new Error(`only ${body.Locations.length} locations ready`);
    await sleep(100);
  }
}

// Reads rows of the node's real SQLite file with the sqlite3 command.
export function sql(db, query) {
  const out = execFileSync("sqlite3", ["-json", db, query], { encoding: "utf8" });
  return out.trim() ? JSON.parse(out) : [];
}

export function startSampleServer({ wsPort, sdkUrl, fleet = "demo-fleet", compute, token, port, location }) {
  const args = ["--sdk-url", sdkUrl || `ws://127.0.0.1:${wsPort}`, "--fleet-id", fleet, "--compute-id", compute,
                "--auth-token", token, "--port", String(port), "--location", location];
  return collect(spawn(SAMPLE_SERVER, args, { stdio: ["ignore", "pipe", "pipe"] }), `sample ${location}`);
}

// --- identity and signing with the real npm clients ---------------------------------------------

export function identityClient(base) {
  return new CognitoIdentityClient({
    endpoint: base,
    region: REGION,
    // GetId and GetCredentialsForIdentity are unsigned; the client still wants a provider.
    credentials: { accessKeyId: "unused", secretAccessKey: "unused" },
  });
}

export async function guestCredentials(base) {
  const client = identityClient(base);
  const { IdentityId } = await client.send(new GetIdCommand({ IdentityPoolId: POOL }));
  const { Credentials } = await client.send(new GetCredentialsForIdentityCommand({ IdentityId }));
  return {
    identityId: IdentityId,
    accessKeyId: Credentials.AccessKeyId,
    secretAccessKey: Credentials.SecretKey,
    sessionToken: Credentials.SessionToken,
    expiration: Credentials.Expiration,
  };
}

// The headers @smithy/signature-v4 adds for a request (host excluded), for replaying it.
export async function signedHeaders(base, creds, method, pathname, query = {}, sha256 = Sha256) {
  const url = new URL(base);
  const signer = new SignatureV4({
    service: "execute-api", region: REGION, sha256,
    credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, sessionToken: creds.sessionToken },
  });
  const signed = await signer.sign({ method, protocol: "http:", hostname: url.hostname, port: Number(url.port),
                                     path: pathname, query, headers: { host: url.host } });
  const headers = { ...signed.headers };
  delete headers.host;
  return headers;
}

// A signed request (execute-api) with @smithy/signature-v4. Options tamper with it for the
// bad-input tests: service, signingDate, mutate(signed request).
export async function signedFetch(base, creds, method, pathname, query = {}, opts = {}) {
  const url = new URL(base);
  const signer = new SignatureV4({
    service: opts.service || "execute-api",
    region: opts.region || REGION,
    credentials: {
      accessKeyId: creds.accessKeyId,
      secretAccessKey: creds.secretAccessKey,
      sessionToken: creds.sessionToken,
    },
    sha256: Sha256,
    // applyChecksum false: the body's hash is signed but not sent as x-amz-content-sha256.
    applyChecksum: opts.applyChecksum ?? true,
  });
  const request = {
    method,
    protocol: "http:",
    hostname: url.hostname,
    port: Number(url.port),
    path: pathname,
    query,
    headers: { host: url.host, ...(opts.headers || {}) },
    body: opts.body,
  };
  const signed = await signer.sign(request, opts.signingDate ? { signingDate: opts.signingDate } : {});
  if (opts.mutate) opts.mutate(signed);
  const qs = new URLSearchParams(signed.query).toString().replace(/\+/g, "%20");
  const headers = { ...signed.headers };
  delete headers.host;
  // opts.sendBody: send another body than the one signed (a swapped body).
  const body = opts.sendBody !== undefined ? opts.sendBody : opts.body;
  const r = await fetch(`${base}${signed.path}${qs ? "?" + qs : ""}`, { method, headers, body });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, headers: r.headers, text, json };
}

export async function pollPlacement(base, creds, ticketId, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  let wait = 100;
  for (;;) {
    const r = await signedFetch(base, creds, "GET", "/requestmatchstatus", { ticketId });
    if (r.status !== 200) throw new Error(`requestmatchstatus ${r.status}: ${r.text}`);
    if (r.json.PlayerSessionId !== "NotPlacedYet") return r.json;
    const st = r.headers.get("x-muster-ticket-status");
    if (["FAILED", "CANCELLED", "TIMED_OUT"].includes(st)) throw new Error(`ticket ${ticketId} ended ${st}`);
    if (Date.now() > deadline) throw new Error(`ticket ${ticketId} not placed in time (status ${st})`);
    await sleep(wait);
    wait = Math.min(wait * 1.5, 1000);
  }
}

// Connects over TCP, sends the player session id without a newline (as the published sample
// client does) and returns the first line the game server answers.
export function joinTcp(host, port, playerSessionId, { keepOpenMs = 0 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, host, () => sock.write(playerSessionId));
    let buf = "";
    sock.setTimeout(10000, () => { sock.destroy(); reject(new Error("join timed out")); });
    sock.on("data", (d) => {
      buf += d.toString();
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        const line = buf.slice(0, nl);
        setTimeout(() => sock.end(), keepOpenMs);
        resolve(line);
      }
    });
    sock.on("error", reject);
  });
}

export function run(cmd, args, { timeoutMs = 60000 } = {}) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    const t = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
    // "close", not "exit": the process may exit before its output has all been read.
    p.on("close", (code, signal) => { clearTimeout(t); resolve({ code, out: signal ? `${out}\n[killed by ${signal}]` : out }); });
  });
}

// --- management API with the real npm @aws-sdk/client-gamelift ---------------------------------

export const ADMIN = { accessKeyId: "demo", secretAccessKey: "demo-secret" };

// A GameLift client pointed at a node, signing with the admin credentials (or `credentials`).
// One attempt: a test sees each answer as it is, without the SDK's retries.
export function gameliftClient(base, credentials = ADMIN) {
  return new GameLiftClient({ endpoint: base, region: REGION, credentials, maxAttempts: 1 });
}

// A GameLift.<op> call signed for service "gamelift" without the SDK, for operations the SDK
// does not have (StopMatchBackfill) and for raw error bodies.
export async function gameliftFetch(base, op, body, credentials = ADMIN, { region = REGION } = {}) {
  const url = new URL(base);
  const signer = new SignatureV4({ service: "gamelift", region, sha256: Sha256, credentials });
  const text = JSON.stringify(body);
  const signed = await signer.sign({
    method: "POST", protocol: "http:", hostname: url.hostname, port: Number(url.port), path: "/",
    headers: { host: url.host, "content-type": "application/x-amz-json-1.1", "x-amz-target": `GameLift.${op}` },
    body: text,
  });
  const headers = { ...signed.headers };
  delete headers.host;
  const r = await fetch(`${base}/`, { method: "POST", headers, body: text });
  const out = await r.text();
  let json;
  try { json = JSON.parse(out); } catch { json = undefined; }
  return { status: r.status, text: out, json };
}
