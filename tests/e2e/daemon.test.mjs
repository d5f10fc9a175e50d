// musterd as an operator sees it: --help, configuration errors, a rule set that does not
// validate, and SIGTERM draining (game servers end first, exit code 0, nothing left running).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { describe, test } from "node:test";

import { MUSTERD, SOURCE_DIR, freePort, startMusterd, tempDir, waitForLocations } from "./lib.mjs";

const SHARED = path.resolve(SOURCE_DIR, "../shared/conformance/rulesets");

function refusesConnection(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.on("connect", () => { s.destroy(); resolve(false); });
    s.on("error", () => resolve(true));
  });
}

describe("musterd", () => {
  test("--help documents every setting; bad flags and files are refused naming the key", () => {
    const help = spawnSync(MUSTERD, ["--help"], { encoding: "utf8" });
    assert.equal(help.status, 0);
    for (const f of ["--http-port", "--server-wss-port", "--identity-pool", "--rule-set-file", "--config"]) {
      assert.ok(help.stdout.includes(f), f);
    }
    const bad = spawnSync(MUSTERD, ["--http-port", "eighty"], { encoding: "utf8" });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /http_port/);
    const dir = tempDir("cfg");
    writeFileSync(path.join(dir, "m.toml"), "http_port = 8080\nno_such_key = 1\n");
    const file = spawnSync(MUSTERD, ["--config", path.join(dir, "m.toml")], { encoding: "utf8" });
    assert.equal(file.status, 2);
    assert.match(file.stderr, /unknown key 'no_such_key'/);
  });

  test("a rule set that does not validate stops musterd with the offending field", async () => {
    const r = spawnSync(MUSTERD, [
      "--data-dir", tempDir("rules"), "--http-port", String(await freePort()),
      "--server-ws-port", String(await freePort()), "--server-wss-port", "0", "--demo-servers", "0",
      "--rule-set-file", path.join(SHARED, "invalid/16-comparison-unknown-operation.json"),
    ], { encoding: "utf8", timeout: 20000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /rules\[\d+\]\.operation/);
    assert.match(r.stderr, /=>/);
  });

  test("SIGTERM drains: the demo game servers end first, then musterd exits 0", async () => {
    const node = await startMusterd({ demoServers: 1 });
    await waitForLocations(node.base, 2);
    const { code, sig } = await node.stop("SIGTERM");
    assert.equal(sig, null);
    assert.equal(code, 0, node.proc.logs.slice(-20).join("\n"));
    const logs = node.proc.logs.join("\n");
    assert.match(logs, /draining/);
    assert.match(logs, /musterd stopped/);
    assert.ok(await refusesConnection(node.ports.game), "game server A is gone");
    assert.ok(await refusesConnection(node.ports.game + 1), "game server B is gone");
    assert.ok(await refusesConnection(node.ports.http), "API closed");
    node.cleanup();
  });
});
