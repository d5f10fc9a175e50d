// Bad rule set bodies and bad evaluation inputs: each is refused with an error naming the JSON
// path (or evaluates to a deterministic failure), never a crash, a hang or a stack overflow.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>

#include "matchmaking/matcher.h"
#include "matchmaking/rule_eval.h"
#include "matchmaking/rule_set.h"

namespace muster::matchmaking {
namespace {

std::string Body(const std::string& rules, const std::string& extra = "") {
  return R"J({"ruleLanguageVersion":"1.0","playerAttributes":[{"name":"skill","type":"number"},)J"
         R"J({"name":"mode","type":"string"},{"name":"chars","type":"string_list"},)J"
         R"J({"name":"maps","type":"string_number_map"}],)J"
         R"J("teams":[{"name":"red","minPlayers":1,"maxPlayers":2},{"name":"blue","minPlayers":1,"maxPlayers":2}],)J"
         R"J("rules":[)J" + rules + "]" + extra + "}";
}

const std::string kLatency = R"J({"name":"A","type":"latency","maxLatency":5})J";

// The body is refused and the message contains every fragment.
void Refused(const std::string& body, std::initializer_list<std::string> fragments) {
  auto rs = ParseRuleSet(body);
  ASSERT_FALSE(rs.ok()) << body.substr(0, 300);
  EXPECT_EQ(rs.error().code, ErrorCode::kInvalidArgument);
  for (const auto& f : fragments) {
    EXPECT_NE(rs.error().message.find(f), std::string::npos)
        << "expected '" << f << "' in: " << rs.error().message.substr(0, 2000);
  }
}

std::string Compound(const std::string& name, const std::string& statement) {
  return R"J({"name":")J" + name + R"J(","type":"compound","statement":")J" + statement + "\"}";
}

TEST(BadRuleTypes, UnknownMissingOrMistyped) {
  Refused(Body(R"J({"name":"r","type":"range"})J"),
          {"rules[0].type: unknown rule type 'range' (expected one of batchDistance, comparison"});
  Refused(Body(kLatency + R"J(,{"name":"r","type":""})J"), {"rules[1].type: unknown rule type ''"});
  Refused(Body(R"J({"name":"r","type":42})J"), {"rules[0].type: must be a string, not a number"});
  Refused(Body(R"J({"name":"r"})J"), {"rules[0].type: is required"});
  Refused(Body(R"J({"name":"r","type":"Latency","maxLatency":5})J"), {"rules[0].type: unknown rule type 'Latency'"});
  Refused(Body(R"J("latency")J"), {"rules[0]: must be an object"});
  Refused(Body(R"J({"name":"l","type":"latency","maxLatency":5,"maxLatnecy":9})J"),
          {"rules[0].maxLatnecy: unknown property of a latency rule"});
  // An unknown type named by a compound and an expansion: one problem each, no cascade crash.
  Refused(Body(R"J({"name":"r","type":"range"},)J" + Compound("C", "and(r, r)"),
               R"J(,"expansions":[{"target":"rules[r].maxDistance","steps":[{"waitTimeSeconds":1,"value":1}]}])J"),
          {"rules[0].type: unknown rule type 'range'"});
}

TEST(BadCompounds, UnknownNamesSelfReferenceAndCycles) {
  Refused(Body(kLatency + "," + Compound("C", "and(A, Nope)")),
          {"rules[1].statement: names rule 'Nope', which is not defined in this rule set"});
  Refused(Body(kLatency + "," + Compound("C", "or(A, not(C))")),
          {"rules[1].statement: a compound rule cannot name itself"});
  Refused(Body(kLatency + "," + Compound("C", "and(A, D)") + "," + Compound("D", "or(A, C)")),
          {"rules[2].statement: compound rule 'D' is part of a reference cycle: 'C' -> 'D' -> 'C'"});
  // A 300-long cycle: reported once, with its path, and without recursion.
  std::string rules = kLatency;
  const int n = 300;
  for (int i = 0; i < n; ++i) {
    rules += "," + Compound("c" + std::to_string(i), "and(A, c" + std::to_string((i + 1) % n) + ")");
  }
  auto problems = ValidateRuleSet(Body(rules));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].path, "rules[300].statement");
  EXPECT_NE(problems[0].message.find("'c299' is part of a reference cycle: 'c0' -> 'c1' -> "),
            std::string::npos);
  EXPECT_NE(problems[0].message.find("'c298' -> 'c299' -> 'c0'"), std::string::npos);
}

TEST(BadCompounds, MalformedStatements) {
  struct Case {
    const char* statement;
    const char* fragment;
  };
  const Case cases[] = {
      {"and(A,", "rules[1].statement: expected a rule name at offset 6"},
      {"and(A A)", "names rule 'A A'"},
      {")(", "expected a rule name at offset 0"},
      {"", "expected a rule name at offset 0"},
      {"A", "must be a call: and(...), or(...), not(...) or xor(...)"},
      {"and(A, A) x", "unexpected text after the statement at offset 10"},
      {"and(A)", "'and' needs at least two operands"},
      {"not()", "expected a rule name"},
      {"nand(A, A)", "unknown operator 'nand'"},
      {"and(A, A", "expected ',' or ')' at offset 8"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.statement);
    Refused(Body(kLatency + "," + Compound("C", c.statement)), {c.fragment});
  }
  Refused(Body(kLatency + R"J(,{"name":"C","type":"compound","statement":["and(A, A)"]})J"),
          {"rules[1].statement: must be a string, not an array"});
  Refused(Body(kLatency + R"J(,{"name":"C","type":"compound"})J"), {"rules[1].statement: is required"});
}

// Found by the ruleset_fuzz campaign: once 100 problems were recorded, later ones were dropped,
// so a compound rule without a statement looked valid and its statement was read as a string
// that was not there (a null dereference).
TEST(BadCompounds, AMissingStatementAfterAHundredProblemsIsStillAProblem) {
  std::string rules;
  for (int i = 0; i < 120; ++i) rules += R"J({"name":"r)J" + std::to_string(i) + R"J(","type":"no-such-type"},)J";
  rules += R"J({"name":"c","type":"compound","wtatement":"and(r1, r2)"},)J";
  rules += R"J({"name":"d","type":"compound","statement":17})J";
  Refused(Body(rules), {"rules[0].type"});
  auto rs = ParseRuleSet(Body(rules));
  ASSERT_FALSE(rs.ok());
}

TEST(BadCompounds, TenThousandLevelsAreRefusedByTheDepthLimit) {
  std::string stmt;
  for (int i = 0; i < 10'000; ++i) stmt += "not(";
  stmt += "A";
  stmt += std::string(10'000, ')');
  auto t0 = std::chrono::steady_clock::now();
  Refused(Body(kLatency + "," + Compound("C", stmt)),
          {"rules[1].statement: statement nested deeper than 16"});
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
  // Exactly 16 levels is fine.
  std::string ok = "A";
  for (int i = 0; i < 15; ++i) ok = "not(" + ok + ")";
  ok = "and(A, " + ok + ")";
  EXPECT_TRUE(ParseRuleSet(Body(kLatency + "," + Compound("C", ok))).ok());
}

TEST(BadCompounds, ChainsOfCompoundsCountTowardsTheDepthLimit) {
  // c0 names c1 names c2 ... : each adds one level; 16 are allowed, 17 are not.
  auto chain = [](int n) {
    std::string rules = kLatency;
    for (int i = 0; i < n; ++i) {
      std::string next = i + 1 < n ? "c" + std::to_string(i + 1) : "A";
      rules += "," + Compound("c" + std::to_string(i), "and(A, " + next + ")");
    }
    return Body(rules);
  };
  auto ok = ParseRuleSet(chain(16));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  Refused(chain(17), {"rules[1].statement: compound rule 'c0' nests 17 levels deep, counting the "
                      "compound rules it names; the limit is 16"});
  // A very long chain (about 60 KiB of body) is refused without deep recursion.
  std::string long_chain = chain(950);
  ASSERT_LE(long_chain.size(), kMaxRuleSetBodyBytes);
  auto problems = ValidateRuleSet(long_chain);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].message.find("nests 950 levels deep"), std::string::npos);
}

TEST(BadExpressions, UnknownTeamsAttributesAndGarbage) {
  auto distance = [](const std::string& measurement, const std::string& reference = "1") {
    return Body(R"J({"name":"d","type":"distance","measurements":[")J" + measurement +
                R"J("],"referenceValue":)J" + reference + R"J(,"maxDistance":1})J");
  };
  Refused(distance("avg(teams[green].players.attributes[skill])"),
          {"rules[0].measurements[0]: invalid expression", "unknown team 'green'"});
  Refused(distance("avg(teams[red,green].players.attributes[skill])"), {"unknown team 'green'"});
  Refused(distance("avg(teams[red].players.attributes[rank])"),
          {"rules[0].measurements[0]:", "unknown player attribute 'rank'"});
  Refused(distance("avg(teams[red].players.attributes[skill])", "\"max(teams[purple].players.attributes[skill])\""),
          {"rules[0].referenceValue: invalid expression", "unknown team 'purple'"});
  Refused(distance("avg(teams[red].players.attributes[skill])", "\"avg(players.attributes[level])\""),
          {"rules[0].referenceValue:", "unknown player attribute 'level'"});
  const char* garbage[] = {
      "teams[",       "teams[red",     "teams[].players",  "avg(",   "avg()",  "avg(teams[red].players",
      "teams[red]",   "players.attributes[", "players[nope]", "((((", "))))",   "teams[red].players.attributes[skill]]",
      "count(teams[red].players) + 1", "avg(teams[red].players.attributes[skill]", "\\u0000", "teams[*,red].players",
  };
  for (const char* g : garbage) {
    SCOPED_TRACE(g);
    Refused(distance(g), {"rules[0].measurements[0]: "});
  }
}

TEST(BadExpressions, DeepAndLongExpressionsAreRefused) {
  auto comparison = [](const std::string& m) {
    return Body(R"J({"name":"c","type":"comparison","operation":"=","measurements":[")J" + m + R"J("]})J");
  };
  std::string deep = "teams[red].players.attributes[skill]";
  for (int i = 0; i < 9; ++i) deep = "flatten(" + deep + ")";
  Refused(comparison(deep), {"rules[0].measurements[0]:", "nested deeper than 8 calls"});
  std::string huge;
  for (int i = 0; i < 10'000; ++i) huge += "count(";
  Refused(comparison(huge), {"rules[0].measurements[0]: expression longer than 1024 bytes"});
  // ParseExpression directly: 10,000 levels cost no stack.
  auto rs = ParseRuleSet(Body(""));
  ASSERT_TRUE(rs.ok());
  std::string nested;
  for (int i = 0; i < 190; ++i) nested += "max(";
  nested += "players.attributes[skill]" + std::string(190, ')');
  ASSERT_LE(nested.size(), kMaxExpressionBytes);
  auto e = ParseExpression(nested, (*rs)->teams, (*rs)->attributes);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("nested deeper than 8 calls"), std::string::npos);
}

TEST(BadNumbers, NonFiniteAndOverflowingRuleValues) {
  // NaN / Infinity are not JSON at all.
  Refused(Body(R"J({"name":"l","type":"latency","maxLatency":NaN})J"), {"RuleSetBody: is not valid JSON"});
  Refused(Body(R"J({"name":"l","type":"latency","maxLatency":Infinity})J"), {"RuleSetBody: is not valid JSON"});
  // Numbers that overflow a double, and strings spelling non-finite values.
  for (const char* v : {"1e999", "-1e999", "\"inf\"", "\"-inf\"", "\"nan\"", "\"NaN\"", "\"1e400\"", "\"0x10\"", "\"\""}) {
    SCOPED_TRACE(v);
    Refused(Body(std::string(R"J({"name":"l","type":"latency","maxLatency":)J") + v + "}"),
            {"rules[0].maxLatency: must be a finite number"});
  }
  Refused(Body(R"J({"name":"c","type":"comparison","measurements":"avg(teams[red].players.attributes[skill])","referenceValue":1e999,"operation":"<"})J"),
          {"rules[0].referenceValue: must be a finite number"});
  Refused(Body(R"J({"name":"c","type":"comparison","measurements":"avg(teams[red].players.attributes[skill])","referenceValue":"nan","operation":"="})J"),
          {"rules[0].referenceValue: 'nan' is not a finite number or an expression, but the measurements yield number values"});
  Refused(Body(R"J({"name":"c","type":"comparison","measurements":"flatten(teams[*].players.attributes[mode])","referenceValue":5,"operation":"="})J"),
          {"rules[0].referenceValue: is a number, but the measurements yield string values"});
  // A string-encoded number compared with strings stays a string.
  auto str = ParseRuleSet(Body(R"J({"name":"c","type":"comparison","measurements":"flatten(teams[*].players.attributes[mode])","referenceValue":"10","operation":"="})J"));
  ASSERT_TRUE(str.ok()) << str.error().message;
  EXPECT_EQ((*str)->rules[0].reference.kind, Reference::kString);
  Refused(Body("", R"J(,"expansions":[{"target":"teams[red].maxPlayers","steps":[{"waitTimeSeconds":1,"value":1e999}]}])J"),
          {"expansions[0].steps[0].value: must be a finite number"});
  Refused(Body("", R"J(,"expansions":[{"target":"teams[red].maxPlayers","steps":[{"waitTimeSeconds":"nan","value":1}]}])J"),
          {"expansions[0].steps[0].waitTimeSeconds: must be a finite number"});
  Refused(R"J({"ruleLanguageVersion":"1.0","playerAttributes":[{"name":"s","type":"number","default":1e999}],"teams":[{"name":"a","minPlayers":1,"maxPlayers":1}]})J",
          {"playerAttributes[0].default: default for a number attribute must be a finite number"});
  // Huge but finite values are accepted.
  EXPECT_TRUE(ParseRuleSet(Body(R"J({"name":"d","type":"distance","measurements":"avg(teams[red].players.attributes[skill])","referenceValue":-1e308,"maxDistance":1e308})J")).ok());
  EXPECT_TRUE(ParseRuleSet(Body(R"J({"name":"l","type":"latency","maxLatency":5})J",
      R"J(,"expansions":[{"target":"rules[l].maxLatency","steps":[{"waitTimeSeconds":1,"value":1e300}]}])J")).ok());
}

TEST(BadNumbers, TeamExpansionsStayWithinTheMatchLimit) {
  // red and blue allow 2 each; red may grow to 198 (198 + 2 = 200), not 199.
  EXPECT_TRUE(ParseRuleSet(Body("", R"J(,"expansions":[{"target":"teams[red].maxPlayers","steps":[{"waitTimeSeconds":1,"value":198}]}])J")).ok());
  Refused(Body("", R"J(,"expansions":[{"target":"teams[red].maxPlayers","steps":[{"waitTimeSeconds":1,"value":199}]}])J"),
          {"expansions[0].steps[0].value: maxPlayers value would allow more than 200 players per match (at most 198 for this team)"});
  Refused(Body("", R"J(,"expansions":[{"target":"teams[red].maxPlayers","steps":[{"waitTimeSeconds":1,"value":1e12}]}])J"),
          {"expansions[0].steps[0].value: maxPlayers value would allow more than 200"});
  Refused(Body("", R"J(,"expansions":[{"target":"teams[red].maxPlayers","steps":[{"waitTimeSeconds":1,"value":0}]}])J"),
          {"expansions[0].steps[0].value: maxPlayers value is below the team's minPlayers (1)"});
  Refused(Body("", R"J(,"expansions":[{"target":"teams[red].minPlayers","steps":[{"waitTimeSeconds":1,"value":3}]}])J"),
          {"expansions[0].steps[0].value: minPlayers value exceeds the team's maxPlayers (2)"});
}

TEST(BadBodies, SizeLimitIs65535Bytes) {
  const std::string base = Body(kLatency);
  auto padded = [&](std::size_t size) {
    std::string b = base;
    b.insert(b.size() - 1, std::string(size - base.size(), ' '));
    return b;
  };
  EXPECT_TRUE(ParseRuleSet(padded(65535)).ok());
  Refused(padded(65536), {"RuleSetBody: is 65536 bytes; the limit is 65535"});
  auto t0 = std::chrono::steady_clock::now();
  Refused(std::string(10 << 20, '['), {"RuleSetBody: is 10485760 bytes; the limit is 65535"});
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
  auto problems = ValidateRuleSet(padded(70000));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].path, "RuleSetBody");
}

TEST(BadBodies, DeepJsonAndNonObjects) {
  std::string deep = R"J({"ruleLanguageVersion":"1.0","teams":)J" + std::string(10'000, '[') +
                     std::string(10'000, ']') + "}";
  Refused(deep, {"RuleSetBody: is not valid JSON"});
  Refused("", {"RuleSetBody: is not valid JSON"});
  Refused("[]", {"RuleSetBody: must be a JSON object"});
  Refused("\"x\"", {"RuleSetBody: must be a JSON object"});
  Refused(std::string("{\"ruleLanguageVersion\":\"1.0\"\0}", 30), {"RuleSetBody: is not valid JSON"});
  Refused(R"J({"ruleLanguageVersion":"1.0","teams":{"name":"a"}})J", {"teams: must be a non-empty array"});
  Refused(R"J({"ruleLanguageVersion":"1.0","teams":[]})J", {"teams: must be a non-empty array"});
  Refused(R"J({"ruleLanguageVersion":"1.0","teams":[{"name":"a","minPlayers":1,"maxPlayers":1}],"rules":{}})J",
          {"rules: must be an array"});
  Refused(R"J({"ruleLanguageVersion":"1.0","teams":[{"name":"a","minPlayers":1,"maxPlayers":1}],"playerAttributes":[{"name":"m","type":"string_number_map","default":{"x":"1"}}]})J",
          {"playerAttributes[0].default.x: must be a finite number"});
}

TEST(BadBodies, ManyProblemsAreCapped) {
  std::string rules;
  for (int i = 0; i < 2000; ++i) rules += std::string(i ? "," : "") + R"J({"name":"r)J" + std::to_string(i) + R"J(","type":"x"})J";
  auto problems = ValidateRuleSet(Body(rules));
  EXPECT_EQ(problems.size(), 100u);
  EXPECT_EQ(problems[0].path, "rules[0].type");
}

// ---------------------------------------------------------------------------------------------
// Degenerate evaluation inputs (the matcher never builds these, but the evaluator must not care).

class DegenerateEval : public ::testing::Test {
 protected:
  void SetUp() override {
    auto rs = ParseRuleSet(Body(
        R"J({"name":"bd","type":"batchDistance","batchAttribute":"skill","maxDistance":1e308},)J"
        R"J({"name":"cmp","type":"comparison","measurements":"avg(teams[red].players.attributes[skill])","referenceValue":"median(flatten(teams[*].players.attributes[skill]))","operation":"<="},)J"
        R"J({"name":"same","type":"comparison","measurements":"flatten(teams[*].players.attributes[skill])","operation":"="},)J"
        R"J({"name":"dist","type":"distance","measurements":"stddev(teams[*].players.attributes[skill])","referenceValue":0,"maxDistance":1e308},)J"
        R"J({"name":"col","type":"collection","operation":"intersection","measurements":"flatten(teams[*].players.attributes[chars])","minCount":0},)J"
        R"J({"name":"lat","type":"latency","maxLatency":100},)J"
        R"J({"name":"cmpd","type":"compound","statement":"or(cmp, not(dist))"})J"));
    ASSERT_TRUE(rs.ok()) << rs.error().message;
    rs_ = *rs;
  }
  EvalPlayer Player(double skill) {
    EvalPlayer p;
    p.id = "p" + std::to_string(next_++);
    p.ticket = next_;
    p.attributes.resize(rs_->attributes.size());
    p.attributes[0] = AttributeValue::Number(skill);
    p.latency_ms = {{"eu", 10}};
    return p;
  }
  // Evaluates every rule and the match; returns how many rules passed.
  int PassCount(const MatchView& m) {
    RuleCounters c;
    c.passed.assign(rs_->rules.size(), 0);
    c.failed.assign(rs_->rules.size(), 0);
    auto params = ParamsAtAge(*rs_, 0);
    int n = 0;
    for (std::size_t i = 0; i < rs_->rules.size(); ++i) n += EvaluateRule(*rs_, static_cast<int>(i), m, params, &c);
    (void)EvaluateMatch(*rs_, m, params, &c);
    (void)EvaluateMonotoneRules(*rs_, m, params);
    return n;
  }
  std::shared_ptr<const RuleSet> rs_;
  int next_ = 0;
};

TEST_F(DegenerateEval, EmptyTeamsAndEmptyMatches) {
  MatchView empty{{{}, {}}};
  // batchDistance and latency hold vacuously; comparison, distance and the collection
  // intersection have no values and fail; the compound or(cmp, not(dist)) holds through not(dist).
  EXPECT_EQ(PassCount(empty), 3);
  EXPECT_TRUE(EvaluateRule(*rs_, 0, empty, ParamsAtAge(*rs_, 0), nullptr));
  EXPECT_FALSE(EvaluateRule(*rs_, 1, empty, ParamsAtAge(*rs_, 0), nullptr));
  MatchView no_teams;
  EXPECT_EQ(PassCount(no_teams), 3);
}

TEST_F(DegenerateEval, NanAndInfinityInAttributesNeverCrashOrPass) {
  std::vector<EvalPlayer> ps;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  // Enough values that an unguarded sort over NaN would run past the ends.
  for (int i = 0; i < 64; ++i) ps.push_back(Player(i % 3 == 0 ? nan : i % 3 == 1 ? inf : -inf));
  MatchView m;
  m.teams.resize(2);
  for (std::size_t i = 0; i < ps.size(); ++i) m.teams[i % 2].push_back(&ps[i]);
  auto params = ParamsAtAge(*rs_, 0);
  EXPECT_FALSE(EvaluateRule(*rs_, 0, m, params, nullptr));  // batchDistance: spread is not finite
  EXPECT_FALSE(EvaluateRule(*rs_, 1, m, params, nullptr));
  EXPECT_FALSE(EvaluateRule(*rs_, 2, m, params, nullptr));
  EXPECT_FALSE(EvaluateRule(*rs_, 3, m, params, nullptr));
  (void)PassCount(m);
  // Aggregations skip NaN; infinities stay infinities.
  auto e = ParseExpression("median(flatten(teams[*].players.attributes[skill]))", rs_->teams, rs_->attributes);
  ASSERT_TRUE(e.ok());
  ExprValue v = EvaluateExpr(**e, m);
  EXPECT_EQ(v.kind, ExprValue::kNumber);  // NaN skipped; the middle pair is -inf and +inf
  EvalPlayer only_nan = Player(nan);
  MatchView one{{{&only_nan}, {}}};
  auto avg = ParseExpression("avg(teams[red].players.attributes[skill])", rs_->teams, rs_->attributes);
  EXPECT_EQ(EvaluateExpr(**avg, one).kind, ExprValue::kNull);
}

TEST_F(DegenerateEval, HugeSumsOverflowToAFailureNotAPass) {
  std::vector<EvalPlayer> ps;
  for (int i = 0; i < 8; ++i) ps.push_back(Player(i % 2 ? 1e308 : -1e308));
  MatchView m{{{&ps[0], &ps[2], &ps[4], &ps[6]}, {&ps[1], &ps[3], &ps[5], &ps[7]}}};
  auto params = ParamsAtAge(*rs_, 0);
  EXPECT_FALSE(EvaluateRule(*rs_, 0, m, params, nullptr));  // spread 2e308 overflows
  EXPECT_TRUE(EvaluateRule(*rs_, 1, m, params, nullptr));   // -1e308 <= median 0
  EXPECT_TRUE(EvaluateRule(*rs_, 3, m, params, nullptr));   // stddev 0 within each team
}

// ---------------------------------------------------------------------------------------------
// Tickets whose attributes do not match the declared types.

TEST(BadTickets, AttributeTypeMismatchesNameThePath) {
  auto rs = ParseRuleSet(Body(kLatency));
  ASSERT_TRUE(rs.ok());
  Matcher m(*rs);
  struct Case {
    const char* attribute;
    AttributeValue value;
    const char* fragment;
  };
  const Case cases[] = {
      {"skill", AttributeValue::String("10"), "players[0].attributes.skill: attribute is declared as number, got string"},
      {"mode", AttributeValue::Number(1), "players[0].attributes.mode: attribute is declared as string, got number"},
      {"chars", AttributeValue::StringNumberMap({{"a", 1}}), "players[0].attributes.chars: attribute is declared as string_list, got string_number_map"},
      {"maps", AttributeValue::StringList({"a"}), "players[0].attributes.maps: attribute is declared as string_number_map, got string_list"},
      {"skill", AttributeValue::Number(std::numeric_limits<double>::quiet_NaN()), "players[0].attributes.skill: number must be finite"},
      {"skill", AttributeValue::Number(-std::numeric_limits<double>::infinity()), "players[0].attributes.skill: number must be finite"},
      {"maps", AttributeValue::StringNumberMap({{"a", std::numeric_limits<double>::infinity()}}), "players[0].attributes.maps.a: must be a finite number"},
      {"maps", AttributeValue::StringNumberMap({{"a", 1}, {"a", 2}}), "players[0].attributes.maps.a: duplicate map key"},
      {"chars", AttributeValue::StringList(std::vector<std::string>(101, "x")), "players[0].attributes.chars: has 101 strings; the limit is 100"},
      {"chars", AttributeValue::StringList({"ok", std::string(2000, 'x')}), "players[0].attributes.chars[1]: string longer than 1024 bytes"},
      {"mode", AttributeValue::String(std::string(1025, 'x')), "players[0].attributes.mode: string longer than 1024 bytes"},
  };
  int k = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.fragment);
    TicketInput t;
    t.ticket_id = "t" + std::to_string(k);
    PlayerInput p;
    p.player_id = "p" + std::to_string(k++);
    p.attributes[c.attribute] = c.value;
    p.latency_ms["eu"] = 10;
    t.players.push_back(std::move(p));
    auto st = m.Add(std::move(t));
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(st.error().message.find(c.fragment), std::string::npos) << st.error().message;
  }
  EXPECT_EQ(m.size(), 0u);
}

TEST(BadTickets, WireAttributeValuesNameThePath) {
  JsonLimits limits;
  auto bad = [&](const std::string& text) {
    auto v = ParseJson(text, limits);
    EXPECT_TRUE(v.ok()) << text;
    auto a = ParseAttributeValue(*v, "players[0].attributes.x");
    EXPECT_FALSE(a.ok()) << text;
    return a.ok() ? std::string() : a.error().message;
  };
  // Duplicate JSON keys follow the parser's last-key-wins rule (docs/rulesets.md); a map built
  // in code with a repeated key is refused (BadTickets.AttributeTypeMismatchesNameThePath).
  EXPECT_NE(bad(R"({"SDM":{"a":"1"}})").find("players[0].attributes.x.SDM.a: must be a finite number"), std::string::npos);
  EXPECT_NE(bad(R"({"SL":["a",1]})").find("players[0].attributes.x.SL[1]: must be a string"), std::string::npos);
  EXPECT_NE(bad(R"({"N":-1e999})").find("players[0].attributes.x.N: must be a finite number"), std::string::npos);
  EXPECT_NE(bad("{\"SDM\":{\"" + std::string(2000, 'k') + "\":1}}").find("map key longer than 1024 bytes"), std::string::npos);
  EXPECT_NE(bad("[]").find("must be an object with exactly one of S, N, SL, SDM"), std::string::npos);
}

}  // namespace
}  // namespace muster::matchmaking
