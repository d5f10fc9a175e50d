// Helper for intake.sh: creates a STANDALONE 1v1 matchmaking configuration "duel" (and its rule
// set) on a running node through the management API, so every StartMatchmaking is matched and
// completed without game servers. Works with any musterd that has the management API.
import path from "node:path";
import { fileURLToPath } from "node:url";
const here = path.dirname(fileURLToPath(import.meta.url));
const { gameliftFetch } = await import(path.join(here, "../tests/e2e/lib.mjs"));

const base = process.argv[2];
const rules = {
  name: "duel", ruleLanguageVersion: "1.0",
  playerAttributes: [{ name: "skill", type: "number", default: 1000 }],
  teams: [{ name: "red", minPlayers: 1, maxPlayers: 1 }, { name: "blue", minPlayers: 1, maxPlayers: 1 }],
};
for (const [op, body] of [
  ["CreateMatchmakingRuleSet", { Name: "duel-rules", RuleSetBody: JSON.stringify(rules) }],
  ["CreateMatchmakingConfiguration", { Name: "duel", RuleSetName: "duel-rules", FlexMatchMode: "STANDALONE",
                                       RequestTimeoutSeconds: 600, AcceptanceRequired: false }],
]) {
  const r = await gameliftFetch(base, op, body);
  if (r.status !== 200) throw new Error(`${op}: ${r.status} ${r.text}`);
}
