// muster-load against a real musterd: every mode runs, counts only answers that really are what
// it says (a 200 StartMatchmaking is a stored ticket), reports the server's CPU and memory, and
// says clearly when it cannot run. (Figures come from benchmarks, not from this test.)
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";

import { BUILD_DIR, freePort, nodeForSuite, run, sql, tempDir } from "./lib.mjs";

const LOAD = path.join(BUILD_DIR, "tools/load/muster-load");
// One address plays many guests here: the per-address limits are raised as docs/benchmarks.md says.
const LIMITS = ["--identity-rate-per-minute", "100000", "--identity-burst", "100000",
                "--credentials-rate-per-minute", "100000", "--credentials-burst", "100000",
                "--tickets-rate-per-minute", "100000", "--tickets-burst", "100000",
                "--address-tickets-rate-per-minute", "1000000", "--address-tickets-burst", "1000000"];

async function load(node, mode, extra = []) {
  const out = path.join(tempDir("load"), "result.json");
  const r = await run(LOAD, ["--mode", mode, "--url", node.base, "--duration", "1.5", "--warmup", "0.2",
                             "--server-pid", String(node.proc.pid), "--json", out, "--quiet", ...extra]);
  assert.equal(r.code, 0, r.out);
  return { result: JSON.parse(readFileSync(out, "utf8")), out: r.out };
}

describe("muster-load", () => {
  let node;
  nodeForSuite({ demoServers: 0, args: LIMITS }, 0, (n) => { node = n; });

  test("start: every 200 is a stored ticket; the server's cost is reported", async () => {
    const before = sql(node.db, "SELECT count(*) AS n FROM tickets")[0].n;
    const { result, out } = await load(node, "start", ["--concurrency", "8"]);
    assert.ok(result.answers > 20, out);
    assert.equal(result.failed, 0, out);
    assert.equal(result.connection_errors, 0, out);
    assert.ok(result.latency_us.p50 > 0 && result.latency_us.p99 >= result.latency_us.p50, out);
    assert.ok(result.server.cpu_seconds > 0 && result.server.rss_bytes > 1e6, out);
    assert.match(out, /µs CPU per answer/);
    const after = sql(node.db, "SELECT count(*) AS n FROM tickets")[0].n;
    // Warm-up answers are stored too but not counted; in-flight ones at the end may be stored.
    assert.ok(after - before >= result.answers, `${after - before} stored < ${result.answers} answered`);
  });

  test("describe, request and status run with guests and tickets made during set-up", async () => {
    const describe = await load(node, "describe", ["--tickets", "20", "--concurrency", "4"]);
    assert.ok(describe.result.answers > 10 && describe.result.failed === 0, describe.out);
    const status = await load(node, "status", ["--guests", "5", "--concurrency", "4"]);
    assert.ok(status.result.answers > 10 && status.result.failed === 0, status.out);
    const request = await load(node, "request", ["--guests", "10", "--rate", "200", "--connections", "8"]);
    assert.ok(request.result.answers > 100 && request.result.failed === 0, request.out);
    assert.match(request.out, /open loop/);
  });

  // Last: the node then throttles management calls from this address for a while.
  test("refused answers are counted as failures under their status, with the first one shown", async () => {
    const r = await run(LOAD, ["--mode", "start", "--url", node.base, "--admin-secret", "wrong", "--concurrency", "2",
                               "--duration", "0.5", "--warmup", "0", "--quiet"]);
    assert.equal(r.code, 0, r.out);
    // Bad signatures (400 UnauthorizedException, as the control plane answers) until the
    // per-address limit on failed admin signatures answers 429; every answer is a failure.
    const m = r.out.match(/answers: 400×([0-9,]+) 429×([0-9,]+); failed ([0-9,]+);/);
    assert.ok(m, r.out);
    const n = (s) => Number(s.replaceAll(",", ""));
    assert.ok(n(m[1]) >= 1 && n(m[1]) <= 30 && n(m[2]) > 0, r.out);
    assert.equal(n(m[3]), n(m[1]) + n(m[2]), r.out);
    assert.match(r.out, /first failed answer: 400 .*signature does not match/);
  });
});

describe("muster-load usage", () => {
  test("bad usage is refused with a reason; a server that is not there is reported", async () => {
    let r = await run(LOAD, []);
    assert.equal(r.code, 2);
    assert.match(r.out, /--mode is required/);
    r = await run(LOAD, ["--mode", "flood"]);
    assert.equal(r.code, 2);
    assert.match(r.out, /unknown --mode 'flood'/);
    r = await run(LOAD, ["--mode", "start", "--rate", "10", "--concurrency", "3"]);
    assert.equal(r.code, 2);
    assert.match(r.out, /not both/);
    const port = await freePort();
    r = await run(LOAD, ["--mode", "start", "--url", `http://127.0.0.1:${port}`, "--duration", "0.3", "--warmup", "0",
                         "--quiet"]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /connect .*refused/i);
  });
});
