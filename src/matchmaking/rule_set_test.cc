#include "matchmaking/rule_set.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "matchmaking/test_util.h"

namespace muster::matchmaking {
namespace {

using testing::CorpusFile;
using testing::CorpusFiles;

TEST(RuleSetCorpus, EveryValidFileParses) {
  auto files = CorpusFiles("valid");
  ASSERT_GE(files.size(), 21u);
  for (const auto& f : files) {
    auto rs = ParseRuleSet(CorpusFile("valid", f));
    EXPECT_TRUE(rs.ok()) << f << ": " << (rs.ok() ? "" : rs.error().message);
  }
}

// Each invalid file must be rejected with a message naming the field involved.
TEST(RuleSetCorpus, EveryInvalidFileIsRejectedWithItsField) {
  const std::map<std::string, std::vector<std::string>> expected = {
      {"01-unknown-rule-type.json", {"rules[0].type: unknown rule type 'range'"}},
      {"02-compound-names-missing-rule.json", {"rules[4].statement: names rule 'SimilarRankDistance'"}},
      {"03-compound-references-batchdistance.json",
       {"rules[4].statement: names batchDistance rule 'SameMapComparison'"}},
      {"04-large-match-comparison-rule.json",
       {"rules[1].type: comparison rules are not allowed in a large-match rule set"}},
      {"05-bad-rule-language-version.json", {"ruleLanguageVersion: unsupported version '2.0'"}},
      {"06-missing-rule-language-version.json", {"ruleLanguageVersion: is required"}},
      {"07-team-min-greater-than-max.json",
       {"teams[0].minPlayers: minPlayers (4) exceeds maxPlayers (3)"}},
      {"08-expansion-target-missing-rule.json", {"expansions[0].target: names rule 'SlowConnection'"}},
      {"09-unknown-attribute-type.json", {"playerAttributes[0].type: unknown attribute type 'string_array'"}},
      {"10-no-teams.json", {"teams: is required"}},
      {"11-duplicate-rule-name.json", {"rules[1].name: duplicate rule name 'FairTeamSkill'"}},
      {"12-duplicate-team-name.json", {"teams[1].name: duplicate team name 'blue'"}},
      {"13-expansion-targets-compound-rule.json",
       {"expansions[0].target: compound rule 'CompoundRuleMatchmaker' cannot be expanded"}},
      {"14-balanced-without-balanced-attribute.json",
       {"algorithm.balancedAttribute: is required when strategy is 'balanced'"}},
      {"15-balanced-attribute-not-number.json",
       {"algorithm.balancedAttribute: balancing attribute 'map' must have type number"}},
      {"16-comparison-unknown-operation.json",
       {"rules[2].operation: unknown operation '=>' (expected one of <, <=, =, !=, >, >=)"}},
      {"17-collection-unknown-operation.json", {"rules[2].operation: unknown operation 'intersects'"}},
      {"18-unknown-batching-preference.json",
       {"algorithm.batchingPreference: unknown batchingPreference 'closestRegion'"}},
      {"19-match-over-200-players.json", {"teams: the teams allow 201 players per match"}},
      {"20-across-players-comparison-ordering-op.json",
       {"rules[2].operation: a comparison without referenceValue", "'=' or '!='"}},
      {"21-unknown-strategy.json", {"algorithm.strategy: unknown strategy 'exhaustive'"}},
      {"22-malformed-json-truncated.json", {"RuleSetBody: is not valid JSON"}},
      {"23-team-missing-max-players.json", {"teams[0].maxPlayers: is required"}},
      {"24-body-over-65535-chars.json", {"RuleSetBody: is 65663 bytes; the limit is 65535"}},
      {"25-random-batching-with-balanced-strategy.json",
       {"algorithm.batchingPreference: 'random' is only valid with strategy 'exhaustiveSearch'"}},
  };
  auto files = CorpusFiles("invalid");
  ASSERT_EQ(files.size(), expected.size());
  for (const auto& f : files) {
    auto it = expected.find(f);
    ASSERT_NE(it, expected.end()) << "no expectation for " << f;
    auto rs = ParseRuleSet(CorpusFile("invalid", f));
    ASSERT_FALSE(rs.ok()) << f;
    EXPECT_EQ(rs.error().code, ErrorCode::kInvalidArgument) << f;
    for (const auto& sub : it->second) {
      EXPECT_NE(rs.error().message.find(sub), std::string::npos)
          << f << ": expected '" << sub << "' in: " << rs.error().message;
    }
    // Exactly one break per file: exactly one problem reported.
    EXPECT_EQ(ValidateRuleSet(CorpusFile("invalid", f)).size(), 1u) << f << ": " << rs.error().message;
  }
}

// Decisions on uncertain/ (docs/rulesets.md, "Decisions").
TEST(RuleSetCorpus, UncertainFilesFollowDocumentedDecisions) {
  auto ok = [](const std::string& f) { return ParseRuleSet(CorpusFile("uncertain", f)); };
  EXPECT_TRUE(ok("01-aliens-vs-cowboys-verbatim-comments.jsonc").ok());
  EXPECT_TRUE(ok("02-serverless-simplerule-verbatim-comments.jsonc").ok());
  EXPECT_TRUE(ok("03-free-for-all-verbatim-trailing-comma.jsonc").ok());
  {
    auto rs = ok("04-free-for-all-2022-duplicate-keys.json");
    ASSERT_TRUE(rs.ok());  // last key wins
    ASSERT_EQ((*rs)->expansions.size(), 1u);
    EXPECT_EQ((*rs)->expansions[0].target, "teams[Marauders].minPlayers");
  }
  EXPECT_TRUE(ok("05-compound-forward-reference.json").ok());
  {
    auto rs = ok("06-batchdistance-with-mindistance.json");
    ASSERT_FALSE(rs.ok());
    EXPECT_NE(rs.error().message.find("rules[0].minDistance: unknown property of a batchDistance rule"),
              std::string::npos);
  }
  {
    auto rs = ok("07-team-quantity-zero.json");
    ASSERT_FALSE(rs.ok());
    EXPECT_NE(rs.error().message.find("teams[0].quantity"), std::string::npos);
  }
  {
    auto rs = ok("08-number-attribute-string-default.json");
    ASSERT_FALSE(rs.ok());
    EXPECT_NE(rs.error().message.find("playerAttributes[0].default"), std::string::npos);
  }
  EXPECT_TRUE(ok("09-sorted-without-sort-by-attributes.json").ok());
  {
    auto rs = ok("10-compound-in-large-match.json");
    ASSERT_FALSE(rs.ok());
    EXPECT_NE(rs.error().message.find("rules[4].type: compound rules are not allowed in a large-match"),
              std::string::npos);
  }
}

TEST(RuleSetCompile, QuantityTeamsAndStringNumbers) {
  auto rs = ParseRuleSet(CorpusFile("valid", "03-three-team-game.json"));
  ASSERT_TRUE(rs.ok());
  ASSERT_EQ((*rs)->teams.size(), 3u);
  EXPECT_EQ((*rs)->teams[0].name, "trio_1");
  EXPECT_EQ((*rs)->teams[2].name, "trio_3");
  EXPECT_EQ((*rs)->max_players, 15);
  auto snip = ParseRuleSet(CorpusFile("valid", "13-ruletype-reference-snippets.json"));
  ASSERT_TRUE(snip.ok());
  EXPECT_EQ((*snip)->rules[0].params[kMaxDistance].value_or(-1), 500.0);
  auto block = ParseRuleSet(CorpusFile("valid", "11-block-list.json"));
  ASSERT_TRUE(block.ok());
  EXPECT_EQ((*block)->rules[0].measurements.size(), 1u);  // string measurements
}

std::string Minimal(const std::string& rules, const std::string& extra = "") {
  return R"J({"ruleLanguageVersion":"1.0","playerAttributes":[{"name":"skill","type":"number"},)J"
         R"J({"name":"mode","type":"string"}],"teams":[{"name":"red","minPlayers":1,"maxPlayers":2},)J"
         R"J({"name":"blue","minPlayers":1,"maxPlayers":2}],"rules":[)J" + rules + "]" + extra + "}";
}

TEST(RuleSetValidation, ReportsEveryProblemWithPaths) {
  auto problems = ValidateRuleSet(Minimal(
      R"J({"name":"a","type":"comparison","measurements":["avg(teams[green].players.attributes[skill])"],"referenceValue":1,"operation":"=>"},)J"
      R"J({"name":"b","type":"latency"})J"));
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_EQ(problems[0].path, "rules[0].measurements[0]");
  EXPECT_NE(problems[0].message.find("unknown team 'green'"), std::string::npos);
  EXPECT_EQ(problems[1].path, "rules[0].operation");
  EXPECT_EQ(problems[2].path, "rules[1].maxLatency");
  auto rs = ParseRuleSet(Minimal(R"J({"name":"b","type":"latency"},{"name":"b","type":"latency","maxLatency":1})J"));
  ASSERT_FALSE(rs.ok());
  EXPECT_NE(rs.error().message.find("rules[1].name: duplicate rule name 'b' (rule names must be unique); rules[0].maxLatency: is required"),
            std::string::npos) << rs.error().message;
}

TEST(RuleSetValidation, BadNumbersAndHugeValues) {
  // NaN/Infinity are not JSON; 1e999 overflows to infinity and must be rejected.
  EXPECT_FALSE(ParseRuleSet(Minimal(R"J({"name":"l","type":"latency","maxLatency":NaN})J")).ok());
  auto inf = ParseRuleSet(Minimal(R"J({"name":"l","type":"latency","maxLatency":1e999})J"));
  ASSERT_FALSE(inf.ok());
  EXPECT_NE(inf.error().message.find("rules[0].maxLatency"), std::string::npos) << inf.error().message;
  auto str = ParseRuleSet(Minimal(R"J({"name":"l","type":"latency","maxLatency":"inf"})J"));
  EXPECT_FALSE(str.ok());
  auto huge = ParseRuleSet(Minimal("", R"J(,"expansions":[{"target":"teams[red].maxPlayers","steps":[{"waitTimeSeconds":1e300,"value":2}]}])J"));
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.error().message.find("waitTimeSeconds"), std::string::npos);
  auto big_team = ParseRuleSet(R"J({"ruleLanguageVersion":"1.0","teams":[{"name":"a","minPlayers":1,"maxPlayers":1e18}]})J");
  ASSERT_FALSE(big_team.ok());
  EXPECT_NE(big_team.error().message.find("teams[0].maxPlayers"), std::string::npos);
  auto qty = ParseRuleSet(R"J({"ruleLanguageVersion":"1.0","teams":[{"name":"a","minPlayers":1,"maxPlayers":2,"quantity":150}]})J");
  ASSERT_FALSE(qty.ok());
  EXPECT_NE(qty.error().message.find("teams: the teams allow 300 players"), std::string::npos);
  auto neg = ParseRuleSet(Minimal(R"J({"name":"d","type":"distance","measurements":"avg(teams[red].players.attributes[skill])","referenceValue":1,"maxDistance":-1})J"));
  ASSERT_FALSE(neg.ok());
  EXPECT_NE(neg.error().message.find("rules[0].maxDistance: must not be negative"), std::string::npos);
}

TEST(RuleSetValidation, DeepNestingIsRejected) {
  std::string expr = "teams[red].players.attributes[skill]";
  for (int i = 0; i < 12; ++i) expr = "flatten(" + expr + ")";
  auto rs = ParseRuleSet(Minimal(R"J({"name":"c","type":"comparison","operation":"=","measurements":[")J" + expr + R"J("]})J"));
  ASSERT_FALSE(rs.ok());
  EXPECT_NE(rs.error().message.find("nested deeper than 8"), std::string::npos) << rs.error().message;
  std::string deep_json(200, '[');
  deep_json += std::string(200, ']');
  auto dj = ParseRuleSet(R"J({"ruleLanguageVersion":"1.0","x":)J" + deep_json + "}");
  ASSERT_FALSE(dj.ok());
  EXPECT_NE(dj.error().message.find("RuleSetBody: is not valid JSON"), std::string::npos);
  std::string stmt = "A";
  for (int i = 0; i < 20; ++i) stmt = "not(" + stmt + ")";
  auto cs = ParseRuleSet(Minimal(R"J({"name":"A","type":"latency","maxLatency":5},{"name":"C","type":"compound","statement":")J" + stmt + R"J("})J"));
  ASSERT_FALSE(cs.ok());
  EXPECT_NE(cs.error().message.find("rules[1].statement: statement nested deeper than 16"), std::string::npos);
}

TEST(RuleSetValidation, OversizedBody) {
  std::string body = Minimal("");
  body.insert(body.size() - 1, ",\"name\":\"" + std::string(70000, 'x') + "\"");
  auto rs = ParseRuleSet(body);
  ASSERT_FALSE(rs.ok());
  EXPECT_NE(rs.error().message.find("RuleSetBody: is "), std::string::npos);
  EXPECT_NE(rs.error().message.find("the limit is 65535"), std::string::npos);
}

TEST(RuleSetValidation, CompoundProblems) {
  const std::string base = R"J({"name":"A","type":"latency","maxLatency":5},)J";
  auto unknown = ParseRuleSet(Minimal(base + R"J({"name":"C","type":"compound","statement":"and(A, Nope)"})J"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("rules[1].statement: names rule 'Nope'"), std::string::npos);
  auto cycle = ParseRuleSet(Minimal(base +
      R"J({"name":"C","type":"compound","statement":"and(A, D)"},{"name":"D","type":"compound","statement":"or(A, C)"})J"));
  ASSERT_FALSE(cycle.ok());
  EXPECT_NE(cycle.error().message.find("reference cycle"), std::string::npos) << cycle.error().message;
  auto self = ParseRuleSet(Minimal(base + R"J({"name":"C","type":"compound","statement":"and(A, C)"})J"));
  ASSERT_FALSE(self.ok());
  EXPECT_NE(self.error().message.find("cannot name itself"), std::string::npos);
  auto op = ParseRuleSet(Minimal(base + R"J({"name":"C","type":"compound","statement":"nand(A, A)"})J"));
  ASSERT_FALSE(op.ok());
  EXPECT_NE(op.error().message.find("unknown operator 'nand'"), std::string::npos);
  auto arity = ParseRuleSet(Minimal(base + R"J({"name":"C","type":"compound","statement":"not(A, A)"})J"));
  ASSERT_FALSE(arity.ok());
  EXPECT_NE(arity.error().message.find("not(...) takes exactly one operand"), std::string::npos);
  auto ok = ParseRuleSet(Minimal(base + R"J({"name":"B","type":"latency","maxLatency":9},{"name":"C","type":"compound","statement":"xor(A, not(B))"})J"));
  EXPECT_TRUE(ok.ok()) << ok.error().message;
}

TEST(RuleSetValidation, ExpressionProblems) {
  auto attr = ParseRuleSet(Minimal(R"J({"name":"d","type":"distance","measurements":"avg(teams[red].players.attributes[rank])","referenceValue":1,"maxDistance":1})J"));
  ASSERT_FALSE(attr.ok());
  EXPECT_NE(attr.error().message.find("rules[0].measurements: invalid expression"), std::string::npos);
  EXPECT_NE(attr.error().message.find("unknown player attribute 'rank'"), std::string::npos);
  auto fn = ParseRuleSet(Minimal(R"J({"name":"d","type":"distance","measurements":"mean(teams[red].players.attributes[skill])","referenceValue":1,"maxDistance":1})J"));
  ASSERT_FALSE(fn.ok());
  EXPECT_NE(fn.error().message.find("unknown function 'mean'"), std::string::npos);
  auto type = ParseRuleSet(Minimal(R"J({"name":"d","type":"distance","measurements":"avg(teams[red].players.attributes[mode])","referenceValue":1,"maxDistance":1})J"));
  ASSERT_FALSE(type.ok());
  EXPECT_NE(type.error().message.find("avg() needs number values, not string"), std::string::npos);
  auto multi = ParseRuleSet(Minimal(R"J({"name":"d","type":"distance","measurements":"avg(teams[red,blue].players.attributes[skill])","referenceValue":"max(flatten(teams[*].players.attributes[skill]))","maxDistance":1})J"));
  EXPECT_TRUE(multi.ok()) << multi.error().message;
}

TEST(RuleSetValidation, ExpansionProblems) {
  auto r = ValidateRuleSet(Minimal(R"J({"name":"A","type":"latency","maxLatency":5})J",
      R"J(,"expansions":[{"target":"rules[A].minCount","steps":[{"waitTimeSeconds":5,"value":1}]},)J"
      R"J({"target":"teams[red].minPlayers","steps":[{"waitTimeSeconds":5,"value":1},{"waitTimeSeconds":5,"value":0}]},)J"
      R"J({"target":"teams[red].minPlayers","steps":[{"waitTimeSeconds":5,"value":9}]},)J"
      R"J({"target":"algorithm.strategy","steps":[]}])J"));
  std::vector<std::string> paths;
  for (const auto& p : r) paths.push_back(p.path + ": " + p.message);
  ASSERT_EQ(r.size(), 6u) << ::testing::PrintToString(paths);
  EXPECT_EQ(r[0].path, "expansions[0].target");
  EXPECT_NE(r[0].message.find("(expandable: maxLatency, maxDistance)"), std::string::npos);
  EXPECT_EQ(r[1].path, "expansions[1].steps[1].waitTimeSeconds");
  EXPECT_EQ(r[2].path, "expansions[2].target");  // duplicate
  EXPECT_EQ(r[3].path, "expansions[2].steps[0].value");  // above maxPlayers
  EXPECT_EQ(r[4].path, "expansions[3].target");
  EXPECT_EQ(r[5].path, "expansions[3].steps");
}

}  // namespace
}  // namespace muster::matchmaking
