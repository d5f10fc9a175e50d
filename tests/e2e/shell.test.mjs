// The node's shell (issue 9) with a real musterd: tickets are answered once their commit is
// durable (group commits on the writer thread), and a SIGKILL in the middle of a burst of
// StartMatchmaking loses no acknowledged ticket and leaves no half-written one. The dispatcher
// hands every outbox event to the event log once, in seq order, across restarts, and trims what
// its subscribers consumed once it is past the retention window.
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { MUSTERD, freePort, gameliftFetch, run, sql, startMusterd, tempDir } from "./lib.mjs";

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

  test("the dispatcher: every outbox event reaches the event log once and in order across restarts, then is trimmed", async () => {
    const dataDir = tempDir("dispatch");
    const logFile = path.join(tempDir("events"), "events.jsonl");
    const args = [...standaloneArgs(), "--event-log", logFile];
    // Complete lines only: the log is written through a buffer, so its last line may be partial.
    const readLog = () =>
      existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n").slice(0, -1).map((l) => JSON.parse(l)) : [];
    const outboxSeqs = (db) => sql(db, "select seq from events order by seq").map((r) => r.seq);
    const untilLogHas = async (db, what) => {
      const deadline = Date.now() + 20000;
      for (;;) {
        const want = outboxSeqs(db);
        const have = new Set(readLog().map((l) => l.seq));
        if (want.length > 0 && want.every((s) => have.has(s))) return;
        assert.ok(Date.now() < deadline, `${what}: the event log lacks ${want.filter((s) => !have.has(s)).length} of ${want.length} events`);
        await sleep(100);
      }
    };
    const burst = async (base, n) => {
      const answers = await Promise.all(Array.from({ length: n }, () => startTicket(base)));
      for (const r of answers) assert.equal(r.status, 200, r.text);
    };

    let node = await startMusterd({ dataDir, demoServers: 0, args });
    try {
      await burst(node.base, 20);
      await untilLogHas(node.db, "first run");
      await node.stop();
      // A clean stop writes the cursor at the last event handed over.
      const last = Math.max(...outboxSeqs(node.db));
      assert.deepEqual(sql(node.db, "select body from cursors where id = 'event-log'").map((r) => JSON.parse(r.body)), [{ seq: last }]);

      node = await startMusterd({ dataDir, ports: node.ports, demoServers: 0, args });
      await burst(node.base, 20);
      await untilLogHas(node.db, "second run");
      const lines = readLog();
      const seqs = lines.map((l) => l.seq);
      for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1], `seq ${seqs[i]} after ${seqs[i - 1]}: repeated or out of order`);
      assert.deepEqual(seqs, outboxSeqs(node.db));
      const types = lines.filter((l) => l.topic === "matchmaking").map((l) => l.event.detail.type);
      assert.equal(types.filter((t) => t === "MatchmakingSucceeded").length, 20, "one per duel, 20 duels");
      assert.ok(lines.every((l) => typeof l.time === "string" && l.event["detail-type"]), "lines carry the outbox event");
      await node.stop();

      // With a short retention, what the event log consumed is trimmed; new events still arrive.
      node = await startMusterd({ dataDir, ports: node.ports, demoServers: 0, args: [...args, "--event-retention", "1s"] });
      const deadline = Date.now() + 20000;
      while (outboxSeqs(node.db).length > 0) {
        assert.ok(Date.now() < deadline, "consumed events older than event_retention were not trimmed");
        await sleep(100);
      }
      await burst(node.base, 2);
      await untilLogHas(node.db, "after trimming");
      const all = readLog().map((l) => l.seq);
      assert.equal(new Set(all).size, all.length, "no event was logged twice");
    } finally {
      await node.stop();
      node.cleanup();
    }
  });

  test("a start that fails after the dispatcher runs (port taken, event log on) exits 1 cleanly", async () => {
    // A store whose event-log cursor is behind: the dispatcher has work when the start fails.
    const dataDir = tempDir("taken");
    const logFile = path.join(tempDir("events"), "events.jsonl");
    let node = await startMusterd({ dataDir, demoServers: 0, args: [...standaloneArgs(), "--event-log", logFile] });
    for (let i = 0; i < 20; i++) assert.equal((await startTicket(node.base)).status, 200);
    await node.stop();
    sql(node.db, `update cursors set body = '{"seq":0}' where id = 'event-log'`);
    node = await startMusterd({ demoServers: 0 });  // holds the port
    try {
      const r = await run(MUSTERD, [
        "--data-dir", dataDir, "--http-port", String(node.ports.http), "--server-ws-port", String(await freePort()),
        "--server-wss-port", "0", "--demo-servers", "0", "--event-log", logFile, ...standaloneArgs(),
      ]);
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /http listener/);
    } finally {
      await node.stop();
      node.cleanup();
    }
  });
});
