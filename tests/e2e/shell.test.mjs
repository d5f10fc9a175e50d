// The node's shell (issue 9) with a real musterd: tickets are answered once their commit is
// durable (group commits on the writer thread), and a SIGKILL in the middle of a burst of
// StartMatchmaking loses no acknowledged ticket and leaves no half-written one.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { gameliftFetch, sql, startMusterd, tempDir } from "./lib.mjs";

const RULES_1V1 = JSON.stringify({
  name: "duel", ruleLanguageVersion: "1.0",
  playerAttributes: [{ name: "skill", type: "number", default: 1000 }],
  teams: [{ name: "red", minPlayers: 1, maxPlayers: 1 }, { name: "blue", minPlayers: 1, maxPlayers: 1 }],
});

function standaloneArgs() {
  const file = path.join(tempDir("rules"), "duel.json");
  writeFileSync(file, RULES_1V1);
  return ["--configuration", "duel", "--flexmatch-mode", "STANDALONE", "--rule-set-file", file];
}

let player = 0;
async function startTicket(base) {
  const id = `shell-player-${process.pid}-${++player}`;
  return gameliftFetch(base, "StartMatchmaking", {
    ConfigurationName: "duel",
    Players: [{ PlayerId: id, PlayerAttributes: { skill: { N: 1000 } } }],
  });
}

async function describe10(base, ids) {
  const r = await gameliftFetch(base, "DescribeMatchmaking", { TicketIds: ids });
  assert.equal(r.status, 200, r.text);
  return r.json.TicketList;
}

describe("shell", () => {
  test("a STANDALONE 1v1 set-up: 200 concurrent tickets, each stored when answered, all matched", async () => {
    const node = await startMusterd({ demoServers: 0, args: standaloneArgs() });
    try {
      const answers = await Promise.all(Array.from({ length: 200 }, () => startTicket(node.base)));
      const ids = answers.map((r) => {
        assert.equal(r.status, 200, r.text);
        return r.json.MatchmakingTicket.TicketId;
      });
      // Answered means durable: every acknowledged ticket is a row of the real SQLite file.
      const stored = new Set(sql(node.db, "select id from tickets").map((r) => r.id));
      for (const id of ids) assert.ok(stored.has(id), `ticket ${id} was answered but is not stored`);
      // The matching runs from the commits' completions: 200 players are 100 duels.
      const deadline = Date.now() + 20000;
      for (;;) {
        const rows = sql(node.db, "select status, count(*) as n from tickets group by status");
        const completed = rows.find((r) => r.status === "COMPLETED")?.n || 0;
        if (completed === 200) break;
        assert.ok(Date.now() < deadline, `only ${completed} of 200 tickets completed: ${JSON.stringify(rows)}`);
        await sleep(100);
      }
      const sample = await describe10(node.base, ids.slice(0, 10));
      for (const t of sample) assert.equal(t.Status, "COMPLETED");
    } finally {
      await node.stop();
      node.cleanup();
    }
  });

  test("SIGKILL during a burst: every acknowledged ticket survives, none is half-written", async () => {
    const dataDir = tempDir("kill");
    let node = await startMusterd({ dataDir, demoServers: 0, args: standaloneArgs() });
    const acknowledged = [];
    let killed = false;
    const worker = async () => {
      while (!killed) {
        try {
          const r = await startTicket(node.base);
          if (r.status === 200) acknowledged.push(r.json.MatchmakingTicket.TicketId);
        } catch {
          return;  // the connection died with the process
        }
      }
    };
    const workers = Array.from({ length: 32 }, worker);
    // Kill once a few hundred are in, while commits are in flight.
    while (acknowledged.length < 300) await sleep(5);
    killed = true;
    node.proc.kill("SIGKILL");
    await node.proc.exited;
    await Promise.all(workers);
    node = await startMusterd({ dataDir, ports: node.ports, demoServers: 0, args: standaloneArgs() });
    try {
      const rows = sql(node.db, "select id, status, body from tickets");
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const id of acknowledged) assert.ok(byId.has(id), `acknowledged ticket ${id} is lost`);
      // Whatever committed is whole: every row reads back through the API.
      for (const r of rows) {
        const body = JSON.parse(r.body);
        assert.ok(Array.isArray(body.players ?? body.Players), `ticket ${r.id}: ${r.body}`);
      }
      for (let i = 0; i < rows.length; i += 10) {
        const list = await describe10(node.base, rows.slice(i, i + 10).map((r) => r.id));
        assert.equal(list.length, Math.min(10, rows.length - i));
      }
    } finally {
      await node.stop();
      node.cleanup();
    }
  });
});
