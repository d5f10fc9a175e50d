#pragma once
// Evaluation of a compiled RuleSet on a candidate match: expression values, every rule type,
// compound statements, and the expansion parameters in force at a given wait time.
// Pure functions over caller-owned data; no allocation-heavy JSON, no I/O.
//
// Thread safety: stateless; inputs must not change during a call.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "matchmaking/rule_set.h"

namespace muster::matchmaking {

// The Matcher's packed attribute: absent (value == nullptr), an inline number
// (value == PackedNumberTag()), or a pointer to a value the Matcher (or the RuleSet) owns.
struct PackedAttr {
  const AttributeValue* value = nullptr;
  double n = 0;
};
const AttributeValue* PackedNumberTag();

// A latency to an interned region (ids are the Matcher's; only compared with each other).
struct RegionLatency {
  std::int32_t region = 0;
  std::int32_t ms = 0;
};

// A player as the evaluator sees it, in one of two forms (all players of one MatchView use the
// same form):
//  - hand-built: attributes indexed like RuleSet::attributes (defaults applied; nullopt =
//    absent), latencies sorted by region name;
//  - packed (the Matcher's compact form): `packed_attributes` has RuleSet::attributes.size()
//    entries, `packed_latency` is sorted by region id; the two vectors above stay empty.
struct EvalPlayer {
  std::string id;
  int ticket = 0;  // identifies the player's ticket (party) within the pool
  std::uint32_t id_hash = 0;  // the Matcher's SlotTable::Hash(id) (packed form only)
  std::vector<std::optional<AttributeValue>> attributes;
  std::vector<std::pair<std::string, int>> latency_ms;
  const PackedAttr* packed_attributes = nullptr;
  const RegionLatency* packed_latency = nullptr;
  int packed_latency_count = 0;
};

// One attribute of a player in either form.
struct AttrRef {
  bool present = false;
  bool number = false;
  double n = 0;
  const AttributeValue* value = nullptr;  // non-number values
};
AttrRef PlayerAttribute(const EvalPlayer& p, int attribute);

// A candidate match: players per team (indices like RuleSet::teams).
struct MatchView {
  std::vector<std::vector<const EvalPlayer*>> teams;
};

// Rule parameters and team sizes in force after expansions.
struct EffectiveParams {
  std::vector<std::array<std::optional<double>, kRuleParamCount>> rule;
  std::vector<int> team_min;  // per RuleSet::teams entry
  std::vector<int> team_max;
};

EffectiveParams ParamsAtAge(const RuleSet& rs, Millis age_ms);

struct RuleCounters {
  std::vector<int> passed, failed;  // per rule
};

// Every top-level rule (not named inside a compound, sort rules excluded) holds.
bool EvaluateMatch(const RuleSet& rs, const MatchView& m, const EffectiveParams& p,
                   RuleCounters* counters);

// Only the rules whose failure on a partial match implies failure on every larger one
// (batchDistance, top-level latency). Used to prune the search.
bool EvaluateMonotoneRules(const RuleSet& rs, const MatchView& m, const EffectiveParams& p);

bool EvaluateRule(const RuleSet& rs, int rule, const MatchView& m, const EffectiveParams& p,
                  RuleCounters* counters);

// A value of an expression (exposed for tests).
struct ExprValue {
  enum Kind { kNull, kNumber, kString, kStrings, kMap, kList } kind = kNull;
  int ticket = -1;  // source ticket for per-player leaves
  double num = 0;
  std::string_view str;
  std::vector<std::string_view> strs;
  const AttributeValue* map = nullptr;
  std::vector<ExprValue> list;
};

ExprValue EvaluateExpr(const Expr& e, const MatchView& m);

}  // namespace muster::matchmaking
