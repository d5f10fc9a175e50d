// libFuzzer target: property expressions and the rules that use them, on a random small match.
// Input: <match bytes> '\n' <expression text>. The match bytes pick up to 16 players, each with
// a team, a ticket (party) and attribute values drawn from a table that includes NaN, ±inf,
// ±1e308, DBL_MAX, denormals and -0. The expression is compiled against a fixed rule set,
// evaluated, then used as the measurement of distance/comparison/collection rules that are
// evaluated on the same match. Must never crash, hang or hit UB; checks a few invariants.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <limits>
#include <string>
#include <string_view>

#include "matchmaking/rule_eval.h"
#include "matchmaking/rule_set.h"

using namespace muster::matchmaking;
using muster::Millis;

namespace {

constexpr const char* kRuleSet = R"J({"ruleLanguageVersion":"1.0",
  "playerAttributes":[{"name":"skill","type":"number"},{"name":"mode","type":"string"},
                      {"name":"chars","type":"string_list"},{"name":"maps","type":"string_number_map"}],
  "teams":[{"name":"red","minPlayers":0,"maxPlayers":8},{"name":"blue","minPlayers":0,"maxPlayers":8},
           {"name":"trio","minPlayers":0,"maxPlayers":4,"quantity":3}]})J";

const double kNumbers[] = {0,
                           1,
                           -1,
                           0.5,
                           42,
                           1e308,
                           -1e308,
                           std::numeric_limits<double>::max(),
                           -std::numeric_limits<double>::max(),
                           std::numeric_limits<double>::denorm_min(),
                           -0.0,
                           1e-308,
                           std::numeric_limits<double>::quiet_NaN(),
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(),
                           1000};
const char* const kStrings[] = {"a", "b", "c", "", "p0", "p1", "medic", "x"};

class Bytes {
 public:
  Bytes(std::string_view b) : b_(b) {}
  std::uint8_t Next() { return pos_ < b_.size() ? static_cast<std::uint8_t>(b_[pos_++]) : 0; }

 private:
  std::string_view b_;
  std::size_t pos_ = 0;
};

std::string JsonEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x80) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant failed: %s\n", what);
    std::abort();
  }
}

void EvaluateAll(const RuleSet& rs, const MatchView& m) {
  RuleCounters c;
  c.passed.assign(rs.rules.size(), 0);
  c.failed.assign(rs.rules.size(), 0);
  for (Millis age : {Millis{0}, Millis{30'000}}) {
    EffectiveParams p = ParamsAtAge(rs, age);
    for (std::size_t i = 0; i < rs.rules.size(); ++i) (void)EvaluateRule(rs, static_cast<int>(i), m, p, &c);
    (void)EvaluateMatch(rs, m, p, &c);
    (void)EvaluateMonotoneRules(rs, m, p);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::shared_ptr<const RuleSet> base = [] {
    auto rs = ParseRuleSet(kRuleSet);
    Check(rs.ok(), "base rule set parses");
    return *rs;
  }();
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::size_t nl = in.find('\n');
  std::string_view header = nl == std::string_view::npos ? std::string_view() : in.substr(0, nl);
  std::string_view text = nl == std::string_view::npos ? in : in.substr(nl + 1);

  // The match.
  Bytes b(header);
  const RuleSet& rs = *base;
  int players = b.Next() % 17;
  std::deque<EvalPlayer> store;
  MatchView m;
  m.teams.resize(rs.teams.size());
  for (int i = 0; i < players; ++i) {
    std::uint8_t shape = b.Next(), vals = b.Next(), more = b.Next();
    EvalPlayer p;
    p.id = "p" + std::to_string(i);
    p.ticket = shape >> 5;  // 8 tickets: parties form often
    p.attributes.resize(rs.attributes.size());
    if (vals & 0x80) p.attributes[0] = AttributeValue::Number(kNumbers[vals & 15]);
    if (vals & 0x40) p.attributes[1] = AttributeValue::String(kStrings[(vals >> 4) & 3]);
    if (more & 0x80) {
      std::vector<std::string> sl;
      for (int k = 0; k < (more & 7); ++k) sl.push_back(kStrings[(more + k * 3) & 7]);
      p.attributes[2] = AttributeValue::StringList(std::move(sl));
    }
    if (more & 0x40) {
      p.attributes[3] = AttributeValue::StringNumberMap({{"m1", kNumbers[more & 15]}, {"m2", kNumbers[vals & 15]}});
    }
    if (more & 0x20) p.latency_ms = {{"eu", vals}, {"us", more}};
    store.push_back(std::move(p));
    m.teams[(shape & 31) % m.teams.size()].push_back(&store.back());
  }

  // The expression on its own.
  auto e = ParseExpression(text, rs.teams, rs.attributes);
  if (e.ok()) {
    ExprValue v = EvaluateExpr(**e, m);
    if ((*e)->depth > 0) Check(v.kind == ExprValue::kList, "a list-typed expression yields a list");
    if (!(*e)->is_call && !(*e)->team_list) {
      Check(v.list.size() <= static_cast<std::size_t>(players), "a flat path has at most one value per player");
    }
  }
  static const ExprPtr count_all = *ParseExpression("count(flatten(teams[*].players))", rs.teams, rs.attributes);
  ExprValue n = EvaluateExpr(*count_all, m);
  Check(n.kind == ExprValue::kNumber && n.num == players, "count == number of players");

  // The expression inside rules (the compiler type-checks; only accepted rule sets run).
  if (text.size() > 1024) return 0;
  const std::string x = JsonEscape(text);
  const std::string rules[] = {
      R"J({"name":"d","type":"distance","measurements":[")J" + x +
          R"J("],"referenceValue":"avg(flatten(teams[*].players.attributes[skill]))","maxDistance":10,"minDistance":0})J",
      R"J({"name":"d","type":"distance","measurements":"avg(teams[red].players.attributes[skill])","referenceValue":")J" + x +
          R"J(","maxDistance":1e308})J",
      R"J({"name":"c","type":"comparison","measurements":[")J" + x + R"J("],"operation":"!="})J",
      R"J({"name":"c","type":"comparison","measurements":[")J" + x + R"J("],"referenceValue":"min(flatten(teams[*].players.attributes[skill]))","operation":">="})J",
      R"J({"name":"k","type":"collection","operation":"intersection","measurements":[")J" + x +
          R"J("],"minCount":1,"partyAggregation":"intersection"},{"name":"r","type":"collection","operation":"reference_intersection_count","measurements":[")J" +
          x + R"J("],"referenceValue":")J" + x + R"J(","maxCount":2})J",
      R"J({"name":"k","type":"collection","operation":"contains","measurements":[")J" + x +
          R"J("],"referenceValue":"a","minCount":1,"maxCount":3,"partyAggregation":"union"})J",
  };
  std::string body(kRuleSet);
  body.pop_back();  // the closing brace
  for (const std::string& r : rules) {
    std::string full = body + R"J(,"rules":[)J" + r +
                       R"J(,{"name":"b","type":"batchDistance","batchAttribute":"skill","maxDistance":5},)J"
                       R"J({"name":"l","type":"latency","maxLatency":100,"maxDistance":20,"distanceReference":"avg"},)J"
                       R"J({"name":"all","type":"compound","statement":"or(not()J" + std::string(r.substr(9, 1)) +
                       R"J(), xor(l, )J" + std::string(r.substr(9, 1)) + R"J())"}])J"
                       R"J(,"expansions":[{"target":"rules[b].maxDistance","steps":[{"waitTimeSeconds":10,"value":1e308}]}]})J";
    auto compiled = ParseRuleSet(full);
    if (compiled.ok()) EvaluateAll(**compiled, m);
  }
  return 0;
}
