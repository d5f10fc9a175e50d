// The matchmaking operations of the management API with the real npm @aws-sdk/client-gamelift
// against a real musterd (demo fleet, two sample game servers): rule sets and configurations
// through their whole lifecycle, a 2v2 from four StartMatchmaking tickets played to COMPLETED,
// acceptance, backfill, the SDK's exception classes, and definitions surviving a restart.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import {
  AcceptMatchCommand,
  CreateMatchmakingConfigurationCommand,
  CreateMatchmakingRuleSetCommand,
  DeleteMatchmakingConfigurationCommand,
  DeleteMatchmakingRuleSetCommand,
  DescribeMatchmakingCommand,
  DescribeMatchmakingConfigurationsCommand,
  DescribeMatchmakingRuleSetsCommand,
  InvalidRequestException,
  NotFoundException,
  StartMatchBackfillCommand,
  StartMatchmakingCommand,
  StopMatchmakingCommand,
  UnauthorizedException,
  UpdateMatchmakingConfigurationCommand,
  ValidateMatchmakingRuleSetCommand,
} from "@aws-sdk/client-gamelift";

import { ADMIN, gameliftClient, gameliftFetch, joinTcp, nodeForSuite, startMusterd, tempDir } from "./lib.mjs";

const ACCOUNT = "000000000000";
const QUEUE_ARN = `arn:aws:gamelift:local:${ACCOUNT}:gamesessionqueue/demo-queue`;
const RULES = JSON.stringify({
  name: "e2e-2v2",
  ruleLanguageVersion: "1.0",
  playerAttributes: [{ name: "skill", type: "number", default: 1000 }],
  teams: [{ name: "red", minPlayers: 2, maxPlayers: 2 }, { name: "blue", minPlayers: 2, maxPlayers: 2 }],
  rules: [{ name: "Band", type: "batchDistance", batchAttribute: "skill", maxDistance: 300 }],
});
const TERMINAL = ["COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"];

const player = (id, skill = 1000) => ({
  PlayerId: id,
  PlayerAttributes: { skill: { N: skill } },
  LatencyInMs: { "custom-local-a": 20, "custom-local-b": 45 },
});

// Rejects with the SDK's exception class and a message containing `needle`.
async function rejects(promise, cls, needle) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof cls, `${e.name}: ${e.message} (want ${cls.name})`);
    if (needle) assert.match(e.message, needle);
    return true;
  });
}

// DescribeMatchmaking until every ticket has one of `statuses` (or any ended otherwise).
async function waitForTickets(gl, ids, statuses, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { TicketList } = await gl.send(new DescribeMatchmakingCommand({ TicketIds: ids }));
    assert.equal(TicketList.length, ids.length);
    if (TicketList.every((t) => statuses.includes(t.Status))) return TicketList;
    const ended = TicketList.find((t) => TERMINAL.includes(t.Status) && !statuses.includes(t.Status));
    if (ended) assert.fail(`ticket ${ended.TicketId} ended ${ended.Status}: ${ended.StatusMessage}`);
    if (Date.now() > deadline) assert.fail(`tickets not ${statuses}: ${TicketList.map((t) => t.Status)}`);
    await sleep(100);
  }
}

describe("management API with @aws-sdk/client-gamelift", () => {
  let node, gl;
  nodeForSuite({ demoServers: 1 }, 2, (n) => { node = n; gl = gameliftClient(n.base); });

  test("rule sets: validate, create, describe page by page, refuse a taken name", async () => {
    const valid = await gl.send(new ValidateMatchmakingRuleSetCommand({ RuleSetBody: RULES }));
    assert.equal(valid.Valid, true);
    await rejects(gl.send(new ValidateMatchmakingRuleSetCommand({
      RuleSetBody: JSON.stringify({ ruleLanguageVersion: "1.0", teams: [{ name: "a", minPlayers: 3, maxPlayers: 2 }] }),
    })), InvalidRequestException, /^RuleSetBody: .+/);
    await rejects(gl.send(new ValidateMatchmakingRuleSetCommand({ RuleSetBody: "{not json" })),
                  InvalidRequestException, /RuleSetBody/);

    for (const name of ["e2e-rules", "e2e-rules-b"]) {
      const { RuleSet } = await gl.send(new CreateMatchmakingRuleSetCommand({ Name: name, RuleSetBody: RULES }));
      assert.equal(RuleSet.RuleSetName, name);
      assert.equal(RuleSet.RuleSetArn, `arn:aws:gamelift:local:${ACCOUNT}:matchmakingruleset/${name}`);
      assert.equal(RuleSet.RuleSetBody, RULES);
      assert.ok(RuleSet.CreationTime instanceof Date && Math.abs(RuleSet.CreationTime - Date.now()) < 60000);
    }
    await rejects(gl.send(new CreateMatchmakingRuleSetCommand({ Name: "e2e-rules", RuleSetBody: RULES })),
                  InvalidRequestException, /already exists/);
    await rejects(gl.send(new CreateMatchmakingRuleSetCommand({ Name: "bad name", RuleSetBody: RULES })),
                  InvalidRequestException, /^Name: /);

    // One per page, following NextToken: the demo's rule set and the two above.
    const names = [];
    let NextToken;
    do {
      const page = await gl.send(new DescribeMatchmakingRuleSetsCommand({ Limit: 1, NextToken }));
      assert.ok(page.RuleSets.length <= 1);
      names.push(...page.RuleSets.map((r) => r.RuleSetName));
      NextToken = page.NextToken;
    } while (NextToken);
    assert.deepEqual(names, ["demo-2v2-rules", "e2e-rules", "e2e-rules-b"]);
    const byArn = await gl.send(new DescribeMatchmakingRuleSetsCommand({
      Names: [`arn:aws:gamelift:local:${ACCOUNT}:matchmakingruleset/e2e-rules-b`],
    }));
    assert.equal(byArn.RuleSets[0].RuleSetName, "e2e-rules-b");
    await rejects(gl.send(new DescribeMatchmakingRuleSetsCommand({ Names: ["no-such-rules"] })),
                  NotFoundException, /no-such-rules/);
  });

  test("configurations: create, describe, update, in-use rule set refused, delete", async () => {
    const { Configuration: c } = await gl.send(new CreateMatchmakingConfigurationCommand({
      Name: "e2e-2v2", RuleSetName: "e2e-rules", GameSessionQueueArns: [QUEUE_ARN], RequestTimeoutSeconds: 60,
      AcceptanceRequired: false, CustomEventData: "e2e", GameProperties: [{ Key: "mode", Value: "ranked" }],
      BackfillMode: "MANUAL", FlexMatchMode: "WITH_QUEUE",
    }));
    assert.equal(c.ConfigurationArn, `arn:aws:gamelift:local:${ACCOUNT}:matchmakingconfiguration/e2e-2v2`);
    assert.equal(c.RuleSetArn, `arn:aws:gamelift:local:${ACCOUNT}:matchmakingruleset/e2e-rules`);
    assert.deepEqual(c.GameSessionQueueArns, [QUEUE_ARN]);
    assert.deepEqual(c.GameProperties, [{ Key: "mode", Value: "ranked" }]);
    assert.ok(c.CreationTime instanceof Date);

    // A second one on the other rule set, to be updated and deleted.
    await gl.send(new CreateMatchmakingConfigurationCommand({
      Name: "e2e-temp", RuleSetName: "e2e-rules-b", GameSessionQueueArns: ["demo-queue"], RequestTimeoutSeconds: 30,
      AcceptanceRequired: false,
    }));
    const byRules = await gl.send(new DescribeMatchmakingConfigurationsCommand({ RuleSetName: "e2e-rules-b" }));
    assert.deepEqual(byRules.Configurations.map((x) => x.Name), ["e2e-temp"]);
    const names = [];
    let NextToken;
    do {
      const page = await gl.send(new DescribeMatchmakingConfigurationsCommand({ Limit: 2, NextToken }));
      names.push(...page.Configurations.map((x) => x.Name));
      NextToken = page.NextToken;
    } while (NextToken);
    assert.deepEqual(names, ["demo-2v2", "e2e-2v2", "e2e-temp"]);

    const { Configuration: u } = await gl.send(new UpdateMatchmakingConfigurationCommand({
      Name: "e2e-temp", RequestTimeoutSeconds: 90, Description: "updated",
    }));
    assert.equal(u.RequestTimeoutSeconds, 90);
    assert.equal(u.Description, "updated");
    assert.equal(u.RuleSetName, "e2e-rules-b");
    assert.deepEqual(u.GameSessionQueueArns, [QUEUE_ARN]);

    await rejects(gl.send(new DeleteMatchmakingRuleSetCommand({ Name: "e2e-rules-b" })),
                  InvalidRequestException, /used by matchmaking configuration 'e2e-temp'/);
    await gl.send(new DeleteMatchmakingConfigurationCommand({ Name: "e2e-temp" }));
    await gl.send(new DeleteMatchmakingRuleSetCommand({ Name: "e2e-rules-b" }));
    const gone = await gl.send(new DescribeMatchmakingConfigurationsCommand({ Names: ["e2e-temp"] }));
    assert.deepEqual(gone.Configurations, []);
    await rejects(gl.send(new DeleteMatchmakingConfigurationCommand({ Name: "e2e-temp" })), NotFoundException, /e2e-temp/);
  });

  test("a 2v2 from four StartMatchmaking tickets, described until COMPLETED, then backfilled", async () => {
    const ids = [];
    for (let i = 0; i < 4; i++) {
      const { MatchmakingTicket: t } = await gl.send(new StartMatchmakingCommand({
        TicketId: `e2e-t${i}`, ConfigurationName: "e2e-2v2", Players: [player(`e2e-p${i}`, 1000 + 10 * i)],
      }));
      assert.equal(t.TicketId, `e2e-t${i}`);
      assert.equal(t.ConfigurationArn, `arn:aws:gamelift:local:${ACCOUNT}:matchmakingconfiguration/e2e-2v2`);
      assert.ok(["QUEUED", "SEARCHING"].includes(t.Status), t.Status);
      assert.ok(t.StartTime instanceof Date);
      ids.push(t.TicketId);
    }
    const done = await waitForTickets(gl, ids, ["COMPLETED"]);
    const arns = new Set(done.map((t) => t.GameSessionConnectionInfo.GameSessionArn));
    assert.equal(arns.size, 1, "one game session for the four");
    for (const t of done) {
      const info = t.GameSessionConnectionInfo;
      assert.match(info.GameSessionArn, /^arn:aws:gamelift:local::gamesession\/demo-fleet\//);
      assert.equal(info.IpAddress, "127.0.0.1");
      assert.ok(info.Port > 0);
      assert.equal(info.MatchedPlayerSessions.length, 1);
      assert.match(info.MatchedPlayerSessions[0].PlayerSessionId, /^psess-/);
      assert.ok(t.EndTime instanceof Date);
    }
    // The game server takes every player session it was given. The players stay connected for a
    // while: the sample game server ends its session when the last one leaves.
    const lines = await Promise.all(done.map((t) => joinTcp(t.GameSessionConnectionInfo.IpAddress,
      t.GameSessionConnectionInfo.Port, t.GameSessionConnectionInfo.MatchedPlayerSessions[0].PlayerSessionId,
      { keepOpenMs: 3000 })));
    for (const l of lines) assert.match(l, /^WELCOME psess-/, l);

    // Backfill for that live session with its players on their teams; stopped with
    // StopMatchBackfill (not in the SDK: a signed request of our own).
    const [session] = arns;
    const teams = ["red", "red", "blue", "blue"];
    const { MatchmakingTicket: bf } = await gl.send(new StartMatchBackfillCommand({
      TicketId: "e2e-backfill", ConfigurationName: "e2e-2v2", GameSessionArn: session,
      Players: done.map((t, i) => ({ ...player(t.Players[0].PlayerId), Team: t.Players[0].Team || teams[i] })),
    }));
    assert.equal(bf.TicketId, "e2e-backfill");
    await rejects(gl.send(new StartMatchBackfillCommand({
      ConfigurationName: "e2e-2v2", GameSessionArn: session, Players: [player("x")],
    })), InvalidRequestException, /Players\[0\]\.Team: is required/);
    const stop = await gameliftFetch(node.base, "StopMatchBackfill", { TicketId: "e2e-backfill" });
    assert.equal(stop.status, 200, stop.text);
    const [stopped] = await waitForTickets(gl, ["e2e-backfill"], ["CANCELLED"]);
    assert.equal(stopped.TicketId, "e2e-backfill");
  });

  test("StopMatchmaking cancels a searching ticket", async () => {
    await gl.send(new StartMatchmakingCommand({ TicketId: "e2e-lonely", ConfigurationName: "e2e-2v2", Players: [player("lonely")] }));
    await gl.send(new StopMatchmakingCommand({ TicketId: "e2e-lonely" }));
    const [t] = await waitForTickets(gl, ["e2e-lonely"], ["CANCELLED"]);
    assert.ok(t.EndTime instanceof Date);
    await rejects(gl.send(new StopMatchmakingCommand({ TicketId: "never-started" })), NotFoundException, /never-started/);
  });

  test("AcceptMatch: a configuration requiring acceptance completes once all four accept", async () => {
    await gl.send(new CreateMatchmakingConfigurationCommand({
      Name: "e2e-accept", RuleSetName: "e2e-rules", GameSessionQueueArns: [QUEUE_ARN], RequestTimeoutSeconds: 60,
      AcceptanceRequired: true, AcceptanceTimeoutSeconds: 30,
    }));
    const ids = [];
    for (let i = 0; i < 4; i++) {
      const { MatchmakingTicket: t } = await gl.send(new StartMatchmakingCommand({
        ConfigurationName: "e2e-accept", Players: [player(`acc-p${i}`)],
      }));
      ids.push(t.TicketId);
    }
    const waiting = await waitForTickets(gl, ids, ["REQUIRES_ACCEPTANCE"]);
    await rejects(gl.send(new AcceptMatchCommand({ TicketId: ids[0], PlayerIds: ["acc-p0"], AcceptanceType: "MAYBE" })),
                  InvalidRequestException, /AcceptanceType/);
    for (const t of waiting) {
      await gl.send(new AcceptMatchCommand({ TicketId: t.TicketId, PlayerIds: [t.Players[0].PlayerId], AcceptanceType: "ACCEPT" }));
    }
    const done = await waitForTickets(gl, ids, ["COMPLETED"]);
    assert.equal(new Set(done.map((t) => t.GameSessionConnectionInfo.GameSessionArn)).size, 1);
  });

  test("errors surface as the SDK's exception classes", async () => {
    await rejects(gl.send(new CreateMatchmakingConfigurationCommand({
      Name: "e2e-bad", RuleSetName: "e2e-rules", GameSessionQueueArns: [QUEUE_ARN], RequestTimeoutSeconds: 0,
      AcceptanceRequired: false,
    })), InvalidRequestException, /RequestTimeoutSeconds: must be between 1 and 43200/);
    await rejects(gl.send(new CreateMatchmakingConfigurationCommand({
      Name: "e2e-bad", RuleSetName: "e2e-rules", GameSessionQueueArns: [QUEUE_ARN], RequestTimeoutSeconds: 10,
      AcceptanceRequired: false, CustomEventData: "x".repeat(257),
    })), InvalidRequestException, /CustomEventData/);
    await rejects(gl.send(new CreateMatchmakingConfigurationCommand({
      Name: "e2e-bad", RuleSetName: "missing-rules", GameSessionQueueArns: [QUEUE_ARN], RequestTimeoutSeconds: 10,
      AcceptanceRequired: false,
    })), NotFoundException, /missing-rules/);
    await rejects(gl.send(new StartMatchmakingCommand({
      ConfigurationName: "e2e-2v2", Players: Array.from({ length: 11 }, (_, i) => player(`many-${i}`)),
    })), InvalidRequestException, /Players: at most 10 players/);
    await rejects(gl.send(new StartMatchmakingCommand({ ConfigurationName: "no-such-config", Players: [player("p")] })),
                  NotFoundException, /no-such-config/);
    await rejects(gl.send(new DescribeMatchmakingCommand({ TicketIds: Array.from({ length: 11 }, (_, i) => `t${i}`) })),
                  InvalidRequestException, /TicketIds/);

    const intruder = gameliftClient(node.base, { accessKeyId: ADMIN.accessKeyId, secretAccessKey: "wrong-secret" });
    await rejects(intruder.send(new DescribeMatchmakingConfigurationsCommand({})), UnauthorizedException);
    const stranger = gameliftClient(node.base, { accessKeyId: "nobody", secretAccessKey: "demo-secret" });
    await rejects(stranger.send(new DescribeMatchmakingConfigurationsCommand({})), UnauthorizedException);

    // Raw bodies: unknown fields and operations are named.
    const extra = await gameliftFetch(node.base, "DescribeMatchmaking", { TicketIds: ["a"], Colour: "blue" });
    assert.equal(extra.status, 400);
    assert.deepEqual(extra.json, { __type: "InvalidRequestException", message: "Colour: unknown field" });
    const unknown = await gameliftFetch(node.base, "SummonDragon", {});
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.__type, "UnknownOperationException");
  });
});

describe("management API definitions across a restart", () => {
  test("a rule set and configuration created through the API come back after a restart", async () => {
    const dataDir = tempDir("mgmt-restart");
    let node = await startMusterd({ dataDir, demoServers: 0 });
    try {
      let gl = gameliftClient(node.base);
      await gl.send(new CreateMatchmakingRuleSetCommand({ Name: "kept-rules", RuleSetBody: RULES }));
      const { Configuration: before } = await gl.send(new CreateMatchmakingConfigurationCommand({
        Name: "kept", RuleSetName: "kept-rules", GameSessionQueueArns: [QUEUE_ARN], RequestTimeoutSeconds: 120,
        AcceptanceRequired: true, AcceptanceTimeoutSeconds: 20, AdditionalPlayerCount: 1, GameSessionData: "gsd",
        NotificationTarget: `arn:aws:sns:local:${ACCOUNT}:events`,
      }));
      const stopped = await node.stop();
      assert.equal(stopped.code, 0);

      node = await startMusterd({ dataDir, demoServers: 0 });
      gl = gameliftClient(node.base);
      const { Configurations } = await gl.send(new DescribeMatchmakingConfigurationsCommand({ Names: ["kept"] }));
      assert.equal(Configurations.length, 1);
      assert.deepEqual(Configurations[0], before);
      const { RuleSets } = await gl.send(new DescribeMatchmakingRuleSetsCommand({ Names: ["kept-rules"] }));
      assert.equal(RuleSets[0].RuleSetBody, RULES);
      const { MatchmakingTicket } = await gl.send(new StartMatchmakingCommand({ ConfigurationName: "kept", Players: [player("p1")] }));
      assert.equal(MatchmakingTicket.ConfigurationName, "kept");
    } finally {
      await node.stop();
      node.cleanup();
    }
  });
});
