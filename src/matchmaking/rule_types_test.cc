// Evaluation of every rule type and every aggregation on small hand-built matches, with exact
// pass/fail results and values, and expansion parameters stepping over simulated wait times.
#include <gtest/gtest.h>

#include <cmath>
#include <deque>
#include <map>

#include "matchmaking/rule_eval.h"
#include "matchmaking/rule_set.h"

namespace muster::matchmaking {
namespace {

// Two teams (red, blue) of 0..4, one attribute of every type, and the given rules/expansions.
std::string Body(const std::string& rules, const std::string& extra = "",
                 const std::string& teams = "") {
  return R"J({"ruleLanguageVersion":"1.0","playerAttributes":[)J"
         R"J({"name":"skill","type":"number"},{"name":"mode","type":"string"},)J"
         R"J({"name":"chars","type":"string_list"},{"name":"maps","type":"string_number_map"}],)J"
         R"J("teams":)J" +
         (teams.empty()
              ? std::string(R"J([{"name":"red","minPlayers":0,"maxPlayers":4},{"name":"blue","minPlayers":0,"maxPlayers":4}])J")
              : teams) +
         R"J(,"rules":[)J" + rules + "]" + extra + "}";
}

std::shared_ptr<const RuleSet> Compile(const std::string& body) {
  auto rs = ParseRuleSet(body);
  EXPECT_TRUE(rs.ok()) << rs.error().message;
  return rs.ok() ? *rs : nullptr;
}

// Builds players for one rule set and owns them (stable addresses).
class Players {
 public:
  explicit Players(const RuleSet& rs) : rs_(rs) {}
  struct Spec {
    std::optional<double> skill;
    std::string mode;
    std::vector<std::string> chars;
    int ticket = -1;  // -1: a ticket of its own
    std::map<std::string, int> latency;
    std::vector<std::pair<std::string, double>> maps;
  };
  const EvalPlayer* Add(const Spec& s) {
    EvalPlayer p;
    p.id = "p" + std::to_string(players_.size());
    p.ticket = s.ticket >= 0 ? s.ticket : 1000 + static_cast<int>(players_.size());
    p.attributes.resize(rs_.attributes.size());
    auto set = [&](const char* name, AttributeValue v) {
      int i = rs_.AttributeIndex(name);
      if (i >= 0) p.attributes[i] = std::move(v);
    };
    if (s.skill) set("skill", AttributeValue::Number(*s.skill));
    if (!s.mode.empty()) set("mode", AttributeValue::String(s.mode));
    if (!s.chars.empty()) set("chars", AttributeValue::StringList(s.chars));
    if (!s.maps.empty()) set("maps", AttributeValue::StringNumberMap(s.maps));
    for (const auto& [r, ms] : s.latency) p.latency_ms.emplace_back(r, ms);
    players_.push_back(std::move(p));
    return &players_.back();
  }
  const EvalPlayer* Skill(double skill, int ticket = -1) {
    Spec s;
    s.skill = skill;
    s.ticket = ticket;
    return Add(s);
  }

 private:
  const RuleSet& rs_;
  std::deque<EvalPlayer> players_;
};

MatchView View(std::vector<std::vector<const EvalPlayer*>> teams) { return MatchView{std::move(teams)}; }

ExprValue Eval(const RuleSet& rs, const std::string& text, const MatchView& m) {
  auto e = ParseExpression(text, rs.teams, rs.attributes);
  EXPECT_TRUE(e.ok()) << text << ": " << (e.ok() ? "" : e.error().message);
  if (!e.ok()) return ExprValue{};
  return EvaluateExpr(**e, m);
}

double Num(const RuleSet& rs, const std::string& text, const MatchView& m) {
  ExprValue v = Eval(rs, text, m);
  EXPECT_EQ(v.kind, ExprValue::kNumber) << text;
  return v.num;
}

std::vector<double> Nums(const RuleSet& rs, const std::string& text, const MatchView& m) {
  ExprValue v = Eval(rs, text, m);
  EXPECT_EQ(v.kind, ExprValue::kList) << text;
  std::vector<double> out;
  for (const auto& x : v.list) {
    EXPECT_EQ(x.kind, ExprValue::kNumber) << text;
    out.push_back(x.num);
  }
  return out;
}

std::vector<std::string> Strs(const ExprValue& v) {
  EXPECT_EQ(v.kind, ExprValue::kStrings);
  return {v.strs.begin(), v.strs.end()};
}

bool Rule(const RuleSet& rs, const std::string& name, const MatchView& m, Millis age = 0) {
  for (std::size_t i = 0; i < rs.rules.size(); ++i) {
    if (rs.rules[i].name == name) {
      RuleCounters c;
      c.passed.assign(rs.rules.size(), 0);
      c.failed.assign(rs.rules.size(), 0);
      bool ok = EvaluateRule(rs, static_cast<int>(i), m, ParamsAtAge(rs, age), &c);
      EXPECT_EQ(c.passed[i] + c.failed[i], 1) << name;
      EXPECT_EQ(c.passed[i], ok ? 1 : 0) << name;
      return ok;
    }
  }
  ADD_FAILURE() << "no rule " << name;
  return false;
}

// ---------------------------------------------------------------------------------------------
// Aggregations

class Aggregations : public ::testing::Test {
 protected:
  void SetUp() override {
    rs_ = Compile(Body(""));
    ASSERT_TRUE(rs_);
    ps_ = std::make_unique<Players>(*rs_);
    // red: 10 20 30 40, blue: 5 7 and one player without skill.
    for (double s : {10, 20, 30, 40}) red_.push_back(ps_->Skill(s));
    blue_.push_back(ps_->Skill(5));
    blue_.push_back(ps_->Skill(7));
    blue_.push_back(ps_->Add({}));
    m_ = View({red_, blue_});
  }
  std::shared_ptr<const RuleSet> rs_;
  std::unique_ptr<Players> ps_;
  std::vector<const EvalPlayer*> red_, blue_;
  MatchView m_;
};

TEST_F(Aggregations, EveryFunctionOnOneTeam) {
  const RuleSet& rs = *rs_;
  EXPECT_EQ(Num(rs, "min(teams[red].players.attributes[skill])", m_), 10);
  EXPECT_EQ(Num(rs, "max(teams[red].players.attributes[skill])", m_), 40);
  EXPECT_EQ(Num(rs, "avg(teams[red].players.attributes[skill])", m_), 25);
  EXPECT_EQ(Num(rs, "median(teams[red].players.attributes[skill])", m_), 25);  // even: mean of middle two
  EXPECT_EQ(Num(rs, "median(teams[blue].players.attributes[skill])", m_), 6);
  EXPECT_EQ(Num(rs, "sum(teams[red].players.attributes[skill])", m_), 100);
  EXPECT_EQ(Num(rs, "count(teams[red].players)", m_), 4);
  EXPECT_EQ(Num(rs, "count(teams[blue].players)", m_), 3);
  // The player without skill contributes no value.
  EXPECT_EQ(Num(rs, "count(teams[blue].players.attributes[skill])", m_), 2);
  // Population standard deviation: deviations 15,5,5,15 -> sqrt(500/4).
  EXPECT_DOUBLE_EQ(Num(rs, "stddev(teams[red].players.attributes[skill])", m_), std::sqrt(125.0));
  EXPECT_EQ(Num(rs, "stddev(teams[blue].players.attributes[skill])", m_), 1);
}

TEST_F(Aggregations, OddMedianAndWholeMatchPaths) {
  const RuleSet& rs = *rs_;
  // players.* without teams[] is every player of the match, flat.
  EXPECT_EQ(Nums(rs, "players.attributes[skill]", m_), (std::vector<double>{10, 20, 30, 40, 5, 7}));
  EXPECT_EQ(Num(rs, "count(players)", m_), 7);
  EXPECT_EQ(Num(rs, "count(.players)", m_), 7);
  EXPECT_EQ(Num(rs, "median(players.attributes[skill])", m_), 15);  // 5 7 10 | 20 30 40
  EXPECT_EQ(Num(rs, "median(flatten(teams[*].players.attributes[skill]))", m_), 15);
  Players extra(rs);
  MatchView odd = View({{extra.Skill(3), extra.Skill(100), extra.Skill(8)}, {}});
  EXPECT_EQ(Num(rs, "median(teams[red].players.attributes[skill])", odd), 8);
}

TEST_F(Aggregations, NestedPerTeamForms) {
  const RuleSet& rs = *rs_;
  EXPECT_EQ(Nums(rs, "avg(teams[*].players.attributes[skill])", m_), (std::vector<double>{25, 6}));
  EXPECT_EQ(Num(rs, "max(avg(teams[*].players.attributes[skill]))", m_), 25);
  EXPECT_EQ(Num(rs, "min(avg(teams[*].players.attributes[skill]))", m_), 6);
  EXPECT_EQ(Num(rs, "avg(avg(teams[*].players.attributes[skill]))", m_), 15.5);
  EXPECT_EQ(Nums(rs, "count(teams[*].players)", m_), (std::vector<double>{4, 3}));
  EXPECT_EQ(Num(rs, "max(count(teams[*].players))", m_), 4);
  EXPECT_EQ(Num(rs, "sum(count(teams[red,blue].players))", m_), 7);
  EXPECT_EQ(Nums(rs, "sum(teams[blue,red].players.attributes[skill])", m_),
            (std::vector<double>{12, 100}));  // in the order named
  EXPECT_EQ(Nums(rs, "min(teams[*].players.attributes[skill])", m_), (std::vector<double>{10, 5}));
  EXPECT_EQ(Nums(rs, "median(teams[*].players.attributes[skill])", m_), (std::vector<double>{25, 6}));
  EXPECT_EQ(Nums(rs, "stddev(teams[*].players.attributes[skill])", m_)[1], 1);
  EXPECT_EQ(Num(rs, "count(flatten(teams[*].players))", m_), 7);
  EXPECT_EQ(Num(rs, "sum(flatten(teams[*].players.attributes[skill]))", m_), 112);
  // flatten of an already flat list is the list.
  EXPECT_EQ(Num(rs, "count(flatten(teams[red].players))", m_), 4);
  // A per-team list of one team (teams[red]) is flat; teams[red,red] names it twice.
  EXPECT_EQ(Nums(rs, "count(teams[red,red].players)", m_), (std::vector<double>{4, 4}));
}

TEST_F(Aggregations, PlayerIdsAndSetIntersection) {
  const RuleSet& rs = *rs_;
  ExprValue ids = Eval(rs, "teams[red].players[playerId]", m_);
  ASSERT_EQ(ids.kind, ExprValue::kList);
  ASSERT_EQ(ids.list.size(), 4u);
  EXPECT_EQ(ids.list[0].str, "p0");
  EXPECT_EQ(ids.list[3].str, "p3");
  ExprValue all = Eval(rs, "flatten(teams[*].players[playerId])", m_);
  ASSERT_EQ(all.list.size(), 7u);
  EXPECT_EQ(all.list[6].str, "p6");

  Players ps(rs);
  auto chars = [&](std::vector<std::string> c) {
    Players::Spec s;
    s.chars = std::move(c);
    return ps.Add(s);
  };
  MatchView m = View({{chars({"a", "b", "c"}), chars({"b", "c", "d"})}, {chars({"c", "x"}), chars({"c", "b"})}});
  EXPECT_EQ(Strs(Eval(rs, "set_intersection(teams[red].players.attributes[chars])", m)),
            (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(Strs(Eval(rs, "set_intersection(flatten(teams[*].players.attributes[chars]))", m)),
            (std::vector<std::string>{"c"}));
  ExprValue per_team = Eval(rs, "set_intersection(teams[*].players.attributes[chars])", m);
  ASSERT_EQ(per_team.kind, ExprValue::kList);
  ASSERT_EQ(per_team.list.size(), 2u);
  EXPECT_EQ(Strs(per_team.list[0]), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(Strs(per_team.list[1]), (std::vector<std::string>{"c"}));
  // Intersection of string (not list) values: the player ids have nothing in common.
  EXPECT_TRUE(Strs(Eval(rs, "set_intersection(teams[red].players[playerId])", m)).empty());
  // Over no lists at all: empty.
  EXPECT_TRUE(Strs(Eval(rs, "set_intersection(teams[red].players.attributes[chars])", m_)).empty());
}

TEST_F(Aggregations, EmptyTeamsYieldNoValueNotADivisionByZero) {
  const RuleSet& rs = *rs_;
  MatchView empty = View({{}, {}});
  for (const char* fn : {"min", "max", "avg", "median", "stddev"}) {
    ExprValue v = Eval(rs, std::string(fn) + "(teams[red].players.attributes[skill])", empty);
    EXPECT_EQ(v.kind, ExprValue::kNull) << fn;
    ExprValue nested = Eval(rs, std::string(fn) + "(" + fn + "(teams[*].players.attributes[skill]))", empty);
    EXPECT_EQ(nested.kind, ExprValue::kNull) << fn;
  }
  EXPECT_EQ(Num(rs, "sum(teams[red].players.attributes[skill])", empty), 0);
  EXPECT_EQ(Num(rs, "count(teams[red].players)", empty), 0);
  EXPECT_EQ(Nums(rs, "count(teams[*].players)", empty), (std::vector<double>{0, 0}));
  // A match view with fewer teams than the rule set (never built by the matcher) is harmless.
  MatchView none;
  EXPECT_EQ(Num(rs, "count(teams[blue].players)", none), 0);
  EXPECT_EQ(Eval(rs, "avg(teams[*].players.attributes[skill])", none).list.size(), 0u);
}

TEST_F(Aggregations, HugeValuesDoNotOverflowAveragesOrDeviations) {
  const RuleSet& rs = *rs_;
  Players ps(rs);
  MatchView m = View({{ps.Skill(1e308), ps.Skill(1e308)}, {ps.Skill(-1e308), ps.Skill(1e308)}});
  EXPECT_EQ(Num(rs, "avg(teams[red].players.attributes[skill])", m), 1e308);
  EXPECT_EQ(Num(rs, "median(teams[red].players.attributes[skill])", m), 1e308);
  EXPECT_EQ(Num(rs, "stddev(teams[red].players.attributes[skill])", m), 0);
  EXPECT_EQ(Num(rs, "avg(teams[blue].players.attributes[skill])", m), 0);
  EXPECT_EQ(Num(rs, "median(teams[blue].players.attributes[skill])", m), 0);
  EXPECT_EQ(Num(rs, "stddev(teams[blue].players.attributes[skill])", m), 1e308);
  // A sum really overflows: infinity, which no rule accepts (see the rule tests below).
  EXPECT_EQ(Num(rs, "sum(teams[red].players.attributes[skill])", m), INFINITY);
}

TEST(QuantityTeams, BaseNameSelectsEveryGeneratedTeam) {
  auto rs = Compile(Body("", "", R"J([{"name":"trio","minPlayers":1,"maxPlayers":3,"quantity":3},{"name":"solo","minPlayers":1,"maxPlayers":1}])J"));
  ASSERT_TRUE(rs);
  ASSERT_EQ(rs->teams.size(), 4u);
  Players ps(*rs);
  MatchView m = View({{ps.Skill(1), ps.Skill(3)}, {ps.Skill(10)}, {ps.Skill(4), ps.Skill(4), ps.Skill(4)}, {ps.Skill(7)}});
  EXPECT_EQ(Nums(*rs, "avg(teams[trio].players.attributes[skill])", m), (std::vector<double>{2, 10, 4}));
  EXPECT_EQ(Num(*rs, "count(teams[trio_2].players)", m), 1);
  EXPECT_EQ(Nums(*rs, "count(teams[*].players)", m), (std::vector<double>{2, 1, 3, 1}));
  EXPECT_EQ(Num(*rs, "avg(teams[solo].players.attributes[skill])", m), 7);
}

// ---------------------------------------------------------------------------------------------
// Rule types

TEST(BatchDistanceRule, NumbersWithinMaxDistancePartiesAggregated) {
  auto rs = Compile(Body(
      R"J({"name":"b","type":"batchDistance","batchAttribute":"skill","maxDistance":10},)J"
      R"J({"name":"bmax","type":"batchDistance","batchAttribute":"skill","maxDistance":10,"partyAggregation":"max"},)J"
      R"J({"name":"bmin","type":"batchDistance","batchAttribute":"skill","maxDistance":10,"partyAggregation":"min"},)J"
      R"J({"name":"b0","type":"batchDistance","batchAttribute":"skill"},)J"
      R"J({"name":"s","type":"batchDistance","batchAttribute":"mode"})J"));
  ASSERT_TRUE(rs);
  Players ps(*rs);
  EXPECT_TRUE(Rule(*rs, "b", View({{ps.Skill(10), ps.Skill(15)}, {ps.Skill(20)}})));  // spread 10
  EXPECT_FALSE(Rule(*rs, "b", View({{ps.Skill(10), ps.Skill(15)}, {ps.Skill(20.5)}})));
  // A party 0+40 (one ticket) counts as its average 20 by default.
  auto* a = ps.Skill(0, 7);
  auto* b = ps.Skill(40, 7);
  auto* c = ps.Skill(25);
  MatchView party = View({{a, b}, {c}});
  EXPECT_TRUE(Rule(*rs, "b", party));     // 20 vs 25
  EXPECT_FALSE(Rule(*rs, "bmax", party));  // 40 vs 25
  EXPECT_FALSE(Rule(*rs, "bmin", party));  // 0 vs 25
  // Without maxDistance the values must be equal.
  EXPECT_TRUE(Rule(*rs, "b0", View({{ps.Skill(3)}, {ps.Skill(3)}})));
  EXPECT_FALSE(Rule(*rs, "b0", View({{ps.Skill(3)}, {ps.Skill(3.5)}})));
  // A player without the attribute cannot be batched.
  EXPECT_FALSE(Rule(*rs, "b", View({{ps.Skill(3)}, {ps.Add({})}})));
  // Strings: all equal.
  Players::Spec x, y;
  x.mode = "ctf";
  y.mode = "dm";
  EXPECT_TRUE(Rule(*rs, "s", View({{ps.Add(x)}, {ps.Add(x)}})));
  EXPECT_FALSE(Rule(*rs, "s", View({{ps.Add(x)}, {ps.Add(y)}})));
  // Huge spreads overflow to infinity and fail rather than wrap.
  EXPECT_FALSE(Rule(*rs, "b", View({{ps.Skill(1e308)}, {ps.Skill(-1e308)}})));
}

TEST(ComparisonRule, EveryOperationAgainstANumber) {
  struct Case {
    const char* op;
    bool at_lower, at_equal, at_higher;  // avg 19, 20, 21 vs reference 20
  };
  const Case cases[] = {{"<", true, false, false},  {"<=", true, true, false}, {"=", false, true, false},
                        {"!=", true, false, true},  {">", false, false, true}, {">=", false, true, true}};
  for (const Case& c : cases) {
    auto rs = Compile(Body(std::string(R"J({"name":"c","type":"comparison","measurements":["avg(teams[red].players.attributes[skill])"],"referenceValue":20,"operation":")J") +
                           c.op + "\"}"));
    ASSERT_TRUE(rs) << c.op;
    Players ps(*rs);
    EXPECT_EQ(Rule(*rs, "c", View({{ps.Skill(18), ps.Skill(20)}, {}})), c.at_lower) << c.op;
    EXPECT_EQ(Rule(*rs, "c", View({{ps.Skill(20)}, {ps.Skill(99)}})), c.at_equal) << c.op;
    EXPECT_EQ(Rule(*rs, "c", View({{ps.Skill(21)}, {}})), c.at_higher) << c.op;
    // Nothing to compare (an empty team): the rule fails for every operation.
    EXPECT_FALSE(Rule(*rs, "c", View({{}, {ps.Skill(20)}}))) << c.op;
  }
}

TEST(ComparisonRule, PerPlayerExpressionStringAndAcrossPlayers) {
  auto rs = Compile(Body(
      R"J({"name":"each","type":"comparison","measurements":"teams[red].players.attributes[skill]","referenceValue":10,"operation":">="},)J"
      R"J({"name":"sizes","type":"comparison","measurements":"count(teams[red].players)","referenceValue":"count(teams[blue].players)","operation":"="},)J"
      R"J({"name":"bigger","type":"comparison","measurements":"max(teams[red].players.attributes[skill])","referenceValue":"min(flatten(teams[*].players.attributes[skill]))","operation":">"},)J"
      R"J({"name":"ctf","type":"comparison","measurements":"flatten(teams[*].players.attributes[mode])","referenceValue":"ctf","operation":"="},)J"
      R"J({"name":"notctf","type":"comparison","measurements":"flatten(teams[*].players.attributes[mode])","referenceValue":"ctf","operation":"!="},)J"
      R"J({"name":"same","type":"comparison","measurements":"flatten(teams[*].players.attributes[skill])","operation":"="},)J"
      R"J({"name":"distinct","type":"comparison","measurements":"flatten(teams[*].players.attributes[skill])","operation":"!="},)J"
      R"J({"name":"distinctmode","type":"comparison","measurements":"flatten(teams[*].players.attributes[mode])","operation":"!="})J"));
  ASSERT_TRUE(rs);
  Players ps(*rs);
  EXPECT_TRUE(Rule(*rs, "each", View({{ps.Skill(10), ps.Skill(11)}, {ps.Skill(1)}})));
  EXPECT_FALSE(Rule(*rs, "each", View({{ps.Skill(10), ps.Skill(9)}, {}})));
  EXPECT_TRUE(Rule(*rs, "sizes", View({{ps.Skill(1), ps.Skill(2)}, {ps.Skill(3), ps.Skill(4)}})));
  EXPECT_FALSE(Rule(*rs, "sizes", View({{ps.Skill(1), ps.Skill(2)}, {ps.Skill(3)}})));
  EXPECT_TRUE(Rule(*rs, "bigger", View({{ps.Skill(5)}, {ps.Skill(4)}})));
  EXPECT_FALSE(Rule(*rs, "bigger", View({{ps.Skill(4)}, {ps.Skill(4)}})));
  Players::Spec ctf, dm;
  ctf.mode = "ctf";
  dm.mode = "dm";
  EXPECT_TRUE(Rule(*rs, "ctf", View({{ps.Add(ctf)}, {ps.Add(ctf)}})));
  EXPECT_FALSE(Rule(*rs, "ctf", View({{ps.Add(ctf)}, {ps.Add(dm)}})));
  EXPECT_TRUE(Rule(*rs, "notctf", View({{ps.Add(dm)}, {ps.Add(dm)}})));
  EXPECT_FALSE(Rule(*rs, "notctf", View({{ps.Add(ctf)}, {ps.Add(dm)}})));
  EXPECT_TRUE(Rule(*rs, "same", View({{ps.Skill(3)}, {ps.Skill(3)}})));
  EXPECT_FALSE(Rule(*rs, "same", View({{ps.Skill(3)}, {ps.Skill(4)}})));
  EXPECT_TRUE(Rule(*rs, "distinct", View({{ps.Skill(3)}, {ps.Skill(4)}})));
  EXPECT_FALSE(Rule(*rs, "distinct", View({{ps.Skill(3)}, {ps.Skill(3)}})));
  EXPECT_TRUE(Rule(*rs, "distinctmode", View({{ps.Add(ctf)}, {ps.Add(dm)}})));
  EXPECT_FALSE(Rule(*rs, "distinctmode", View({{ps.Add(ctf)}, {ps.Add(ctf)}})));
  // Numbers are compared exactly, not through a rounded text form.
  EXPECT_FALSE(Rule(*rs, "same", View({{ps.Skill(0.1234561)}, {ps.Skill(0.1234562)}})));
  EXPECT_TRUE(Rule(*rs, "distinct", View({{ps.Skill(0.1234561)}, {ps.Skill(0.1234562)}})));
  EXPECT_FALSE(Rule(*rs, "same", View({{ps.Skill(1e300)}, {ps.Skill(1.0000000000001e300)}})));
  EXPECT_TRUE(Rule(*rs, "same", View({{ps.Skill(0.0)}, {ps.Skill(-0.0)}})));
}

TEST(ComparisonRule, OverflowNeverPasses) {
  auto rs = Compile(Body(
      R"J({"name":"ne","type":"comparison","measurements":"sum(teams[red].players.attributes[skill])","referenceValue":"sum(teams[blue].players.attributes[skill])","operation":"!="},)J"
      R"J({"name":"gt","type":"comparison","measurements":"sum(teams[red].players.attributes[skill])","referenceValue":5,"operation":">"})J"));
  ASSERT_TRUE(rs);
  Players ps(*rs);
  MatchView inf = View({{ps.Skill(1e308), ps.Skill(1e308)}, {ps.Skill(1)}});
  EXPECT_FALSE(Rule(*rs, "ne", inf));
  EXPECT_FALSE(Rule(*rs, "gt", inf));
  EXPECT_FALSE(Rule(*rs, "gt", View({{ps.Skill(1e308), ps.Skill(-1e308)}, {ps.Skill(1)}})));  // sum 0
  EXPECT_TRUE(Rule(*rs, "gt", View({{ps.Skill(1e308)}, {ps.Skill(1)}})));
}

TEST(DistanceRule, MaxMinAndReferenceValues) {
  auto rs = Compile(Body(
      R"J({"name":"team","type":"distance","measurements":"avg(teams[*].players.attributes[skill])","referenceValue":"avg(flatten(teams[*].players.attributes[skill]))","maxDistance":10},)J"
      R"J({"name":"far","type":"distance","measurements":"teams[red].players.attributes[skill]","referenceValue":100,"minDistance":50},)J"
      R"J({"name":"band","type":"distance","measurements":"teams[red].players.attributes[skill]","referenceValue":"100","minDistance":10,"maxDistance":20},)J"
      R"J({"name":"party","type":"distance","measurements":"teams[red].players.attributes[skill]","referenceValue":0,"maxDistance":10,"partyAggregation":"min"})J"));
  ASSERT_TRUE(rs);
  Players ps(*rs);
  // Team averages 20 and 40, overall 30: each within 10.
  EXPECT_TRUE(Rule(*rs, "team", View({{ps.Skill(10), ps.Skill(30)}, {ps.Skill(40), ps.Skill(40)}})));
  // Team averages 15 and 40, overall 23.33: blue is 16.67 away.
  EXPECT_FALSE(Rule(*rs, "team", View({{ps.Skill(10), ps.Skill(20)}, {ps.Skill(40)}})));
  EXPECT_TRUE(Rule(*rs, "far", View({{ps.Skill(50), ps.Skill(160)}, {}})));
  EXPECT_FALSE(Rule(*rs, "far", View({{ps.Skill(50), ps.Skill(51)}, {}})));
  EXPECT_TRUE(Rule(*rs, "band", View({{ps.Skill(90), ps.Skill(120)}, {}})));    // 10 and 20: inclusive
  EXPECT_FALSE(Rule(*rs, "band", View({{ps.Skill(95)}, {}})));
  EXPECT_FALSE(Rule(*rs, "band", View({{ps.Skill(121)}, {}})));
  // Party 5+30 (min 5) is within 10 of 0; as solos 30 is not.
  EXPECT_TRUE(Rule(*rs, "party", View({{ps.Skill(5, 3), ps.Skill(30, 3)}, {}})));
  EXPECT_FALSE(Rule(*rs, "party", View({{ps.Skill(5), ps.Skill(30)}, {}})));
  // No value at all (empty team): fails.
  EXPECT_FALSE(Rule(*rs, "far", View({{}, {ps.Skill(0)}})));
  // Averages of huge values do not overflow: all three teams' averages are 1e308.
  EXPECT_TRUE(Rule(*rs, "team", View({{ps.Skill(1e308), ps.Skill(1e308)}, {ps.Skill(1e308)}})));
}

TEST(DistanceRule, InfiniteValuesNeverPass) {
  auto rs = Compile(Body(
      R"J({"name":"sums","type":"distance","measurements":"sum(teams[*].players.attributes[skill])","referenceValue":"max(sum(teams[*].players.attributes[skill]))","maxDistance":1})J"));
  ASSERT_TRUE(rs);
  Players ps(*rs);
  EXPECT_TRUE(Rule(*rs, "sums", View({{ps.Skill(1), ps.Skill(2)}, {ps.Skill(3)}})));
  // Both team sums overflow to +inf; |inf - inf| is NaN: must fail, not pass.
  EXPECT_FALSE(Rule(*rs, "sums", View({{ps.Skill(1e308), ps.Skill(1e308)}, {ps.Skill(1e308), ps.Skill(1e308)}})));
}

TEST(CollectionRule, IntersectionContainsAndReferenceCounts) {
  auto rs = Compile(Body(
      R"J({"name":"common","type":"collection","operation":"intersection","measurements":"flatten(teams[*].players.attributes[chars])","minCount":1},)J"
      R"J({"name":"few","type":"collection","operation":"intersection","measurements":"flatten(teams[*].players.attributes[chars])","maxCount":1},)J"
      R"J({"name":"medics","type":"collection","operation":"contains","measurements":"flatten(teams[*].players.attributes[chars])","referenceValue":"medic","minCount":1,"maxCount":2},)J"
      R"J({"name":"modes","type":"collection","operation":"contains","measurements":"flatten(teams[*].players.attributes[mode])","referenceValue":"ctf","minCount":2},)J"
      R"J({"name":"block","type":"collection","operation":"reference_intersection_count","measurements":"flatten(teams[*].players.attributes[chars])","referenceValue":"flatten(teams[*].players[playerId])","maxCount":0},)J"
      R"J({"name":"likes","type":"collection","operation":"reference_intersection_count","measurements":"teams[red].players.attributes[chars]","referenceValue":"set_intersection(flatten(teams[blue].players.attributes[chars]))","minCount":1},)J"
      R"J({"name":"lit","type":"collection","operation":"reference_intersection_count","measurements":"teams[red].players.attributes[chars]","referenceValue":"medic","minCount":1},)J"
      R"J({"name":"union","type":"collection","operation":"intersection","measurements":"flatten(teams[*].players.attributes[chars])","minCount":1,"partyAggregation":"union"},)J"
      R"J({"name":"inter","type":"collection","operation":"intersection","measurements":"flatten(teams[*].players.attributes[chars])","minCount":1,"partyAggregation":"intersection"})J"));
  ASSERT_TRUE(rs);
  Players ps(*rs);
  auto P = [&](std::vector<std::string> chars, int ticket = -1, std::string mode = "") {
    Players::Spec s;
    s.chars = std::move(chars);
    s.ticket = ticket;
    s.mode = std::move(mode);
    return ps.Add(s);
  };
  EXPECT_TRUE(Rule(*rs, "common", View({{P({"a", "b"})}, {P({"b", "c"})}})));
  EXPECT_FALSE(Rule(*rs, "common", View({{P({"a"})}, {P({"b", "c"})}})));
  EXPECT_TRUE(Rule(*rs, "few", View({{P({"a", "b"})}, {P({"b", "c"})}})));
  EXPECT_FALSE(Rule(*rs, "few", View({{P({"a", "b"})}, {P({"a", "b", "c"})}})));
  // contains counts occurrences over all players.
  EXPECT_TRUE(Rule(*rs, "medics", View({{P({"medic", "x"})}, {P({"medic"})}})));
  EXPECT_FALSE(Rule(*rs, "medics", View({{P({"medic"}), P({"medic"})}, {P({"medic"})}})));
  EXPECT_FALSE(Rule(*rs, "medics", View({{P({"tank"})}, {P({"x"})}})));
  EXPECT_TRUE(Rule(*rs, "modes", View({{P({"x"}, -1, "ctf")}, {P({"x"}, -1, "ctf")}})));
  EXPECT_FALSE(Rule(*rs, "modes", View({{P({"x"}, -1, "ctf")}, {P({"x"}, -1, "dm")}})));
  // Block list: p-ids are "p<N>"; a player blocking a player in the match fails it.
  auto* blocker = P({"p999"});
  EXPECT_TRUE(Rule(*rs, "block", View({{blocker}, {P({"nobody"})}})));
  auto* victim = P({});
  auto* blocks_victim = P({victim->id});
  EXPECT_FALSE(Rule(*rs, "block", View({{blocks_victim}, {victim}})));
  // Each red player shares at least one string with what all blue players have in common.
  EXPECT_TRUE(Rule(*rs, "likes", View({{P({"a", "z"}), P({"b"})}, {P({"a", "b"}), P({"a", "b", "c"})}})));
  EXPECT_FALSE(Rule(*rs, "likes", View({{P({"a"}), P({"c"})}, {P({"a", "b"}), P({"a", "b", "c"})}})));
  EXPECT_TRUE(Rule(*rs, "lit", View({{P({"medic"})}, {}})));
  EXPECT_FALSE(Rule(*rs, "lit", View({{P({"medic"}), P({"tank"})}, {}})));
  // Party aggregation: a party {a,b}+{b,c} is {a,b,c} as a union and {b} as an intersection.
  auto* p1 = P({"a", "b"}, 5);
  auto* p2 = P({"b", "c"}, 5);
  auto* solo = P({"a"});
  EXPECT_TRUE(Rule(*rs, "union", View({{p1, p2}, {solo}})));
  EXPECT_FALSE(Rule(*rs, "inter", View({{p1, p2}, {solo}})));
  EXPECT_FALSE(Rule(*rs, "common", View({{p1, p2}, {solo}})));  // without aggregation: each player
  // No values at all: intersection fails.
  EXPECT_FALSE(Rule(*rs, "common", View({{}, {}})));
}

TEST(LatencyRule, MaxLatencyAndDistanceReference) {
  auto rs = Compile(Body(
      R"J({"name":"ping","type":"latency","maxLatency":100},)J"
      R"J({"name":"close","type":"latency","maxLatency":200,"maxDistance":30},)J"
      R"J({"name":"closeavg","type":"latency","maxLatency":200,"maxDistance":30,"distanceReference":"avg"})J"));
  ASSERT_TRUE(rs);
  Players ps(*rs);
  auto L = [&](std::map<std::string, int> lat) {
    Players::Spec s;
    s.latency = std::move(lat);
    return ps.Add(s);
  };
  // Region "eu" is ≤100 for both; "us" is not.
  EXPECT_TRUE(Rule(*rs, "ping", View({{L({{"eu", 100}, {"us", 20}})}, {L({{"eu", 40}, {"us", 150}})}})));
  EXPECT_FALSE(Rule(*rs, "ping", View({{L({{"eu", 101}, {"us", 20}})}, {L({{"eu", 40}, {"us", 150}})}})));
  // A player with no latency data, or with no common region, cannot match.
  EXPECT_FALSE(Rule(*rs, "ping", View({{L({})}, {L({{"eu", 10}})}})));
  EXPECT_FALSE(Rule(*rs, "ping", View({{L({{"us", 10}})}, {L({{"eu", 10}})}})));
  // maxDistance from the region's minimum: 10 and 40 (30 apart) pass, 10 and 41 fail.
  EXPECT_TRUE(Rule(*rs, "close", View({{L({{"eu", 10}})}, {L({{"eu", 40}})}})));
  EXPECT_FALSE(Rule(*rs, "close", View({{L({{"eu", 10}})}, {L({{"eu", 41}})}})));
  // From the average instead: 10, 41, 41 (avg 30.67): each within 30.
  EXPECT_FALSE(Rule(*rs, "close", View({{L({{"eu", 10}}), L({{"eu", 41}})}, {L({{"eu", 41}})}})));
  EXPECT_TRUE(Rule(*rs, "closeavg", View({{L({{"eu", 10}}), L({{"eu", 41}})}, {L({{"eu", 41}})}})));
  EXPECT_FALSE(Rule(*rs, "closeavg", View({{L({{"eu", 0}})}, {L({{"eu", 70}})}})));
  // Empty match: nothing to violate.
  EXPECT_TRUE(Rule(*rs, "ping", View({{}, {}})));
}

TEST(SortRules, AlwaysPassAndAreNotPartOfTheMatchVerdict) {
  auto rs = Compile(Body(
      R"J({"name":"abs","type":"absoluteSort","sortDirection":"descending","sortAttribute":"skill","partyAggregation":"avg"},)J"
      R"J({"name":"dist","type":"distanceSort","sortDirection":"ascending","sortAttribute":"maps","mapKey":"maxValue"})J"));
  ASSERT_TRUE(rs);
  EXPECT_EQ(rs->rules[0].type, RuleType::kAbsoluteSort);
  EXPECT_EQ(rs->rules[0].sort_direction, SortDirection::kDescending);
  EXPECT_EQ(rs->rules[1].type, RuleType::kDistanceSort);
  EXPECT_EQ(rs->rules[1].map_key, MapKey::kMaxValue);
  Players ps(*rs);
  MatchView m = View({{ps.Skill(1)}, {ps.Skill(1000)}});
  EXPECT_TRUE(Rule(*rs, "abs", m));
  EXPECT_TRUE(Rule(*rs, "dist", m));
  RuleCounters c;
  c.passed.assign(2, 0);
  c.failed.assign(2, 0);
  EXPECT_TRUE(EvaluateMatch(*rs, m, ParamsAtAge(*rs, 0), &c));
  EXPECT_EQ(c.passed, (std::vector<int>{0, 0}));  // sort rules are not evaluated as filters
}

TEST(CompoundRule, AndOrNotXorAndNesting) {
  // A: red avg ≥ 10. B: blue avg ≥ 10. C: red has 2 players.
  const std::string base =
      R"J({"name":"A","type":"comparison","measurements":"avg(teams[red].players.attributes[skill])","referenceValue":10,"operation":">="},)J"
      R"J({"name":"B","type":"comparison","measurements":"avg(teams[blue].players.attributes[skill])","referenceValue":10,"operation":">="},)J"
      R"J({"name":"C","type":"comparison","measurements":"count(teams[red].players)","referenceValue":2,"operation":"="},)J";
  auto rs = Compile(Body(base +
      R"J({"name":"and","type":"compound","statement":"and(A, B)"},)J"
      R"J({"name":"or","type":"compound","statement":"or(A, B)"},)J"
      R"J({"name":"not","type":"compound","statement":"not(A)"},)J"
      R"J({"name":"xor","type":"compound","statement":"xor(A, B)"},)J"
      R"J({"name":"xor3","type":"compound","statement":"xor(A, B, C)"},)J"
      R"J({"name":"nested","type":"compound","statement":"or(and(A, not(B)), and(C, xor(A, not(C))))"},)J"
      R"J({"name":"ref","type":"compound","statement":"and(or, not(and))"})J"));
  ASSERT_TRUE(rs);
  Players ps(*rs);
  // (A, B, C) truth combinations.
  MatchView tt = View({{ps.Skill(10)}, {ps.Skill(10)}});               // A B !C
  MatchView tf = View({{ps.Skill(10), ps.Skill(10)}, {ps.Skill(9)}});  // A !B C
  MatchView ft = View({{ps.Skill(9)}, {ps.Skill(10)}});                // !A B !C
  MatchView ff = View({{ps.Skill(9), ps.Skill(9)}, {ps.Skill(9)}});    // !A !B C
  MatchView ttt = View({{ps.Skill(10), ps.Skill(10)}, {ps.Skill(10)}});  // A B C
  // Expected verdict of each compound on the views tt, tf, ft, ff, ttt.
  const std::map<std::string, std::vector<bool>> truth = {
      {"and", {true, false, false, false, true}},
      {"or", {true, true, true, false, true}},
      {"not", {false, false, true, true, false}},
      {"xor", {false, true, true, false, false}},
      {"xor3", {false, false, true, true, false}},  // exactly one of A, B, C
      // (A && !B) || (C && (A xor !C))
      {"nested", {false, true, false, false, true}},
      // Compounds naming compounds: or && !and.
      {"ref", {false, true, true, false, false}},
  };
  const MatchView* views[] = {&tt, &tf, &ft, &ff, &ttt};
  for (const auto& [name, want] : truth) {
    for (std::size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(Rule(*rs, name, *views[i]), want[i]) << name << " on view " << i;
    }
  }
}

TEST(CompoundRule, NamedRulesCountOnlyThroughTheCompound) {
  auto rs = Compile(Body(
      R"J({"name":"A","type":"comparison","measurements":"avg(teams[red].players.attributes[skill])","referenceValue":10,"operation":">="},)J"
      R"J({"name":"B","type":"comparison","measurements":"avg(teams[blue].players.attributes[skill])","referenceValue":10,"operation":">="},)J"
      R"J({"name":"Z","type":"comparison","measurements":"count(teams[blue].players)","referenceValue":1,"operation":"="},)J"
      R"J({"name":"either","type":"compound","statement":"or(A, B)"})J"));
  ASSERT_TRUE(rs);
  EXPECT_TRUE(rs->rules[0].in_compound);
  EXPECT_FALSE(rs->rules[2].in_compound);
  Players ps(*rs);
  RuleCounters c;
  c.passed.assign(4, 0);
  c.failed.assign(4, 0);
  // B fails on its own, but the match holds through or(A, B); Z holds.
  EXPECT_TRUE(EvaluateMatch(*rs, View({{ps.Skill(10)}, {ps.Skill(1)}}), ParamsAtAge(*rs, 0), &c));
  EXPECT_EQ(c.passed[3], 1);
  EXPECT_EQ(c.passed[2], 1);
  // Z fails: the match fails.
  EXPECT_FALSE(EvaluateMatch(*rs, View({{ps.Skill(10)}, {ps.Skill(1), ps.Skill(2)}}), ParamsAtAge(*rs, 0), nullptr));
  // Neither A nor B.
  EXPECT_FALSE(EvaluateMatch(*rs, View({{ps.Skill(1)}, {ps.Skill(1)}}), ParamsAtAge(*rs, 0), nullptr));
}

// ---------------------------------------------------------------------------------------------
// Expansions over simulated time

TEST(Expansions, RuleParamsStepAtEachWaitTime) {
  auto rs = Compile(Body(
      R"J({"name":"d","type":"distance","measurements":"teams[red].players.attributes[skill]","referenceValue":0,"maxDistance":10,"minDistance":5},)J"
      R"J({"name":"b","type":"batchDistance","batchAttribute":"skill","maxDistance":1},)J"
      R"J({"name":"c","type":"collection","operation":"intersection","measurements":"flatten(teams[*].players.attributes[chars])","minCount":3,"maxCount":4},)J"
      R"J({"name":"l","type":"latency","maxLatency":50,"maxDistance":5},)J"
      R"J({"name":"k","type":"comparison","measurements":"avg(teams[red].players.attributes[skill])","referenceValue":100,"operation":"<="})J",
      R"J(,"expansions":[)J"
      R"J({"target":"rules[d].maxDistance","steps":[{"waitTimeSeconds":10,"value":20},{"waitTimeSeconds":20.5,"value":40}]},)J"
      R"J({"target":"rules[d].minDistance","steps":[{"waitTimeSeconds":15,"value":0}]},)J"
      R"J({"target":"rules[b].maxDistance","steps":[{"waitTimeSeconds":0,"value":2}]},)J"
      R"J({"target":"rules[c].minCount","steps":[{"waitTimeSeconds":5,"value":1},{"waitTimeSeconds":30,"value":0}]},)J"
      R"J({"target":"rules[c].maxCount","steps":[{"waitTimeSeconds":5,"value":10}]},)J"
      R"J({"target":"rules[l].maxLatency","steps":[{"waitTimeSeconds":1,"value":100}]},)J"
      R"J({"target":"rules[l].maxDistance","steps":[{"waitTimeSeconds":2,"value":50}]},)J"
      R"J({"target":"rules[k].referenceValue","steps":[{"waitTimeSeconds":60,"value":200}]}])J"));
  ASSERT_TRUE(rs);
  auto param = [&](Millis age, int rule, int p) { return ParamsAtAge(*rs, age).rule[rule][p]; };
  // distance maxDistance: 10 until 10 s, 20 from 10 s, 40 from 20.5 s.
  EXPECT_EQ(param(0, 0, kMaxDistance), 10);
  EXPECT_EQ(param(9'999, 0, kMaxDistance), 10);
  EXPECT_EQ(param(10'000, 0, kMaxDistance), 20);
  EXPECT_EQ(param(10'001, 0, kMaxDistance), 20);
  EXPECT_EQ(param(20'499, 0, kMaxDistance), 20);
  EXPECT_EQ(param(20'500, 0, kMaxDistance), 40);
  EXPECT_EQ(param(3'600'000, 0, kMaxDistance), 40);
  EXPECT_EQ(param(14'999, 0, kMinDistance), 5);
  EXPECT_EQ(param(15'000, 0, kMinDistance), 0);
  EXPECT_EQ(param(0, 1, kMaxDistance), 2);  // a step at 0 s applies at once
  EXPECT_EQ(param(4'999, 2, kMinCount), 3);
  EXPECT_EQ(param(5'000, 2, kMinCount), 1);
  EXPECT_EQ(param(29'999, 2, kMinCount), 1);
  EXPECT_EQ(param(30'000, 2, kMinCount), 0);
  EXPECT_EQ(param(4'999, 2, kMaxCount), 4);
  EXPECT_EQ(param(5'000, 2, kMaxCount), 10);
  EXPECT_EQ(param(999, 3, kMaxLatency), 50);
  EXPECT_EQ(param(1'000, 3, kMaxLatency), 100);
  EXPECT_EQ(param(1'999, 3, kMaxDistance), 5);
  EXPECT_EQ(param(2'000, 3, kMaxDistance), 50);
  EXPECT_EQ(param(59'999, 4, kReferenceNumber), 100);
  EXPECT_EQ(param(60'000, 4, kReferenceNumber), 200);
  // A negative age (clock skew) is before every step.
  EXPECT_EQ(param(-5, 0, kMaxDistance), 10);
  EXPECT_EQ(param(-5, 1, kMaxDistance), 1);

  // And the rules really use them.
  Players ps(*rs);
  MatchView far = View({{ps.Skill(30)}, {}});
  EXPECT_FALSE(Rule(*rs, "d", far, 10'000));
  EXPECT_TRUE(Rule(*rs, "d", far, 20'500));
  MatchView near = View({{ps.Skill(2)}, {}});
  EXPECT_FALSE(Rule(*rs, "d", near, 14'999));  // minDistance 5
  EXPECT_TRUE(Rule(*rs, "d", near, 15'000));
  MatchView avg150 = View({{ps.Skill(150)}, {}});
  EXPECT_FALSE(Rule(*rs, "k", avg150, 59'999));
  EXPECT_TRUE(Rule(*rs, "k", avg150, 60'000));
  Players::Spec a, b;
  a.latency = {{"eu", 10}};
  b.latency = {{"eu", 90}};
  MatchView lat = View({{ps.Add(a)}, {ps.Add(b)}});
  EXPECT_FALSE(Rule(*rs, "l", lat, 999));
  EXPECT_FALSE(Rule(*rs, "l", lat, 1'999));  // latency ok, spread 80 > 5
  EXPECT_FALSE(Rule(*rs, "l", lat, 2'000));  // spread 80 > 50
  Players::Spec c2;
  c2.latency = {{"eu", 55}};
  EXPECT_TRUE(Rule(*rs, "l", View({{ps.Add(a)}, {ps.Add(c2)}}), 2'000));
}

TEST(Expansions, TeamSizesStepByDefinition) {
  auto rs = Compile(Body("",
      R"J(,"expansions":[)J"
      R"J({"target":"teams[trio].minPlayers","steps":[{"waitTimeSeconds":5,"value":2},{"waitTimeSeconds":10,"value":1}]},)J"
      R"J({"target":"teams[solo].maxPlayers","steps":[{"waitTimeSeconds":7,"value":3}]}])J",
      R"J([{"name":"trio","minPlayers":3,"maxPlayers":3,"quantity":2},{"name":"solo","minPlayers":1,"maxPlayers":1}])J"));
  ASSERT_TRUE(rs);
  auto at = [&](Millis age) { return ParamsAtAge(*rs, age); };
  EXPECT_EQ(at(0).team_min, (std::vector<int>{3, 3, 1}));
  EXPECT_EQ(at(4'999).team_min, (std::vector<int>{3, 3, 1}));
  EXPECT_EQ(at(5'000).team_min, (std::vector<int>{2, 2, 1}));  // both trio_1 and trio_2
  EXPECT_EQ(at(9'999).team_min, (std::vector<int>{2, 2, 1}));
  EXPECT_EQ(at(10'000).team_min, (std::vector<int>{1, 1, 1}));
  EXPECT_EQ(at(6'999).team_max, (std::vector<int>{3, 3, 1}));
  EXPECT_EQ(at(7'000).team_max, (std::vector<int>{3, 3, 3}));
  EXPECT_EQ(at(7'001).team_max, (std::vector<int>{3, 3, 3}));
}

}  // namespace
}  // namespace muster::matchmaking
