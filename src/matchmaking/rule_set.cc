#include "matchmaking/rule_set.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <map>
#include <set>

#include "common/json.h"

namespace muster::matchmaking {
namespace {

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

template <class E, std::size_t N>
std::string OneOf(const std::pair<const char*, E> (&table)[N]) {
  std::string out;
  for (std::size_t i = 0; i < N; ++i) {
    if (i) out += ", ";
    out += table[i].first;
  }
  return out;
}

template <class E, std::size_t N>
bool Lookup(const std::pair<const char*, E> (&table)[N], std::string_view s, E* out) {
  for (const auto& [name, v] : table) {
    if (s == name) {
      *out = v;
      return true;
    }
  }
  return false;
}

constexpr std::pair<const char*, RuleType> kRuleTypes[] = {
    {"batchDistance", RuleType::kBatchDistance}, {"comparison", RuleType::kComparison},
    {"distance", RuleType::kDistance},           {"collection", RuleType::kCollection},
    {"latency", RuleType::kLatency},             {"absoluteSort", RuleType::kAbsoluteSort},
    {"distanceSort", RuleType::kDistanceSort},   {"compound", RuleType::kCompound}};
constexpr std::pair<const char*, CompareOp> kOps[] = {
    {"<", CompareOp::kLt}, {"<=", CompareOp::kLe}, {"=", CompareOp::kEq},
    {"!=", CompareOp::kNe}, {">", CompareOp::kGt}, {">=", CompareOp::kGe}};
constexpr std::pair<const char*, CollectionOp> kCollectionOps[] = {
    {"intersection", CollectionOp::kIntersection}, {"contains", CollectionOp::kContains},
    {"reference_intersection_count", CollectionOp::kReferenceIntersectionCount}};
constexpr std::pair<const char*, PartyAggregation> kNumericParty[] = {
    {"avg", PartyAggregation::kAvg}, {"min", PartyAggregation::kMin},
    {"max", PartyAggregation::kMax}};
constexpr std::pair<const char*, PartyAggregation> kSetParty[] = {
    {"union", PartyAggregation::kUnion}, {"intersection", PartyAggregation::kIntersection}};
constexpr std::pair<const char*, SortDirection> kDirections[] = {
    {"ascending", SortDirection::kAscending}, {"descending", SortDirection::kDescending}};
constexpr std::pair<const char*, MapKey> kMapKeys[] = {{"minValue", MapKey::kMinValue},
                                                       {"maxValue", MapKey::kMaxValue}};
constexpr std::pair<const char*, DistanceReference> kDistanceRefs[] = {
    {"min", DistanceReference::kMin}, {"avg", DistanceReference::kAvg}};
constexpr std::pair<const char*, Strategy> kStrategies[] = {
    {"exhaustiveSearch", Strategy::kExhaustiveSearch}, {"balanced", Strategy::kBalanced}};
constexpr std::pair<const char*, BatchingPreference> kBatching[] = {
    {"random", BatchingPreference::kRandom},
    {"sorted", BatchingPreference::kSorted},
    {"largestPopulation", BatchingPreference::kLargestPopulation},
    {"fastestRegion", BatchingPreference::kFastestRegion}};
constexpr std::pair<const char*, ExpansionAge> kAges[] = {{"newest", ExpansionAge::kNewest},
                                                          {"oldest", ExpansionAge::kOldest}};
constexpr std::pair<const char*, BackfillPriority> kBackfill[] = {
    {"normal", BackfillPriority::kNormal}, {"low", BackfillPriority::kLow},
    {"high", BackfillPriority::kHigh}};

class Compiler {
 public:
  std::vector<ValidationProblem> problems;
  RuleSet rs;

  void Run(std::string_view body);

 private:
  // Records a problem (the first 100 are kept for the message). Code that asks whether a step
  // found a problem compares problem_count_, which counts them all: `problems` stops growing at
  // the cap, so its size cannot tell.
  void Problem(std::string path, std::string message) {
    ++problem_count_;
    if (problems.size() < 100) problems.push_back({std::move(path), std::move(message)});
  }
  std::size_t problem_count_ = 0;
  std::string JsonKind(const json::value& v) {
    switch (v.kind()) {
      case json::kind::null: return "null";
      case json::kind::bool_: return "a boolean";
      case json::kind::string: return "a string";
      case json::kind::array: return "an array";
      case json::kind::object: return "an object";
      default: return "a number";
    }
  }
  void CheckKnown(const json::object& o, const std::string& path,
                  std::initializer_list<std::string_view> allowed, const std::string& what) {
    for (const auto& kv : o) {
      std::string_view k(kv.key().data(), kv.key().size());
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
        std::string list;
        for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        Problem(JoinPath(path, k), "unknown property of " + what + " (expected one of " + list + ")");
      }
    }
  }
  const json::value* Get(const json::object& o, std::string_view key) {
    auto it = o.find(json::string_view(key.data(), key.size()));
    if (it == o.end()) return nullptr;
    return &it->value();
  }
  std::optional<std::string> Str(const json::object& o, std::string_view key,
                                 const std::string& path, bool required) {
    const json::value* v = Get(o, key);
    std::string p = JoinPath(path, key);
    if (!v) {
      if (required) Problem(p, "is required");
      return std::nullopt;
    }
    if (!v->is_string()) {
      Problem(p, "must be a string, not " + JsonKind(*v));
      return std::nullopt;
    }
    return std::string(v->get_string().data(), v->get_string().size());
  }
  std::optional<double> Num(const json::object& o, std::string_view key, const std::string& path,
                            bool required) {
    const json::value* v = Get(o, key);
    std::string p = JoinPath(path, key);
    if (!v) {
      if (required) Problem(p, "is required");
      return std::nullopt;
    }
    double d = 0;
    if (!JsonToNumber(*v, true, &d)) {
      Problem(p, "must be a finite number (or a string holding one), not " + JsonKind(*v));
      return std::nullopt;
    }
    return d;
  }
  std::optional<int> Int(const json::object& o, std::string_view key, const std::string& path,
                         bool required, int lo, int hi) {
    auto d = Num(o, key, path, required);
    if (!d) return std::nullopt;
    if (*d != std::floor(*d) || *d < lo || *d > hi) {
      Problem(JoinPath(path, key), "must be a whole number from " + std::to_string(lo) + " to " +
                                       std::to_string(hi));
      return std::nullopt;
    }
    return static_cast<int>(*d);
  }
  template <class E, std::size_t N>
  std::optional<E> Enum(const json::object& o, std::string_view key, const std::string& path,
                        bool required, const std::pair<const char*, E> (&table)[N],
                        const char* what) {
    auto s = Str(o, key, path, required);
    if (!s) return std::nullopt;
    E e{};
    if (!Lookup(table, *s, &e)) {
      Problem(JoinPath(path, key),
              "unknown " + std::string(what) + " " + Quote(*s) + " (expected one of " + OneOf(table) + ")");
      return std::nullopt;
    }
    return e;
  }
  int AttrRef(const json::object& o, std::string_view key, const std::string& path, bool required) {
    auto s = Str(o, key, path, required);
    if (!s) return -1;
    int idx = rs.AttributeIndex(*s);
    if (idx < 0) Problem(JoinPath(path, key), "unknown player attribute " + Quote(*s));
    return idx;
  }

  void ParseAttributes(const json::value& v);
  void ParseTeams(const json::value* v);
  void ParseAlgorithm(const json::value& v);
  void ParseRules(const json::value& v);
  void ParseRule(const json::object& o, const std::string& path, Rule* r);
  void ParseMeasurements(const json::object& o, const std::string& path, Rule* r);
  void ParseReference(const json::object& o, const std::string& path, Rule* r, bool required);
  void ParseCompounds(const json::array& rules);
  bool ParseStatement(std::string_view text, std::size_t* pos, int depth, const std::string& path,
                      int self, CompoundNode* out);
  void CheckCompoundCycles();
  void CheckLargeMatch();
  void ParseExpansions(const json::value& v);

  bool attributes_broken_ = false;
  std::vector<bool> rule_type_ok_;
  std::map<std::string, int, std::less<>> rule_index_;
  std::vector<bool> rule_ok_;
  std::vector<std::string> rule_paths_;
};

void Compiler::Run(std::string_view body) {
  if (body.size() > kMaxRuleSetBodyBytes) {
    Problem("RuleSetBody", "is " + std::to_string(body.size()) + " bytes; the limit is " +
                               std::to_string(kMaxRuleSetBodyBytes));
    return;
  }
  JsonLimits limits;
  limits.max_bytes = kMaxRuleSetBodyBytes;
  limits.max_depth = 64;
  limits.allow_comments = true;
  limits.allow_trailing_commas = true;
  auto parsed = ParseJson(body, limits);
  if (!parsed.ok()) {
    Problem("RuleSetBody", "is not valid JSON: " + parsed.error().message);
    return;
  }
  const json::object* root = parsed->if_object();
  if (!root) {
    Problem("RuleSetBody", "must be a JSON object");
    return;
  }
  CheckKnown(*root, "",
             {"name", "ruleLanguageVersion", "playerAttributes", "algorithm", "teams", "rules",
              "expansions"},
             "a rule set");
  if (auto n = Str(*root, "name", "", false)) rs.name = *n;
  if (auto v = Str(*root, "ruleLanguageVersion", "", true); v && *v != "1.0") {
    Problem("ruleLanguageVersion", "unsupported version " + Quote(*v) + " (expected '1.0')");
  }
  if (const json::value* a = Get(*root, "playerAttributes")) ParseAttributes(*a);
  ParseTeams(Get(*root, "teams"));
  if (const json::value* a = Get(*root, "algorithm")) ParseAlgorithm(*a);
  if (const json::value* r = Get(*root, "rules")) ParseRules(*r);
  CheckLargeMatch();
  if (const json::value* e = Get(*root, "expansions")) ParseExpansions(*e);
}

void Compiler::ParseAttributes(const json::value& v) {
  const json::array* a = v.if_array();
  if (!a) {
    Problem("playerAttributes", "must be an array");
    return;
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < a->size(); ++i) {
    std::string path = IndexPath("playerAttributes", i);
    const json::object* o = (*a)[i].if_object();
    if (!o) {
      Problem(path, "must be an object");
      continue;
    }
    CheckKnown(*o, path, {"name", "type", "default"}, "a player attribute");
    AttributeDef def;
    auto name = Str(*o, "name", path, true);
    if (name) {
      if (name->empty()) Problem(JoinPath(path, "name"), "must not be empty");
      if (!seen.insert(*name).second) {
        Problem(JoinPath(path, "name"), "duplicate player attribute name " + Quote(*name));
      }
      def.name = *name;
    }
    auto type = Str(*o, "type", path, true);
    bool type_ok = false;
    if (type) {
      type_ok = ParseAttributeTypeName(*type, &def.type);
      if (!type_ok) attributes_broken_ = true;
      if (!type_ok) {
        Problem(JoinPath(path, "type"), "unknown attribute type " + Quote(*type) +
                                            " (expected one of string, number, string_list, "
                                            "string_number_map)");
      }
    }
    if (const json::value* d = Get(*o, "default"); d && type_ok) {
      auto dv = ParseAttributeDefault(*d, def.type, JoinPath(path, "default"));
      if (dv.ok()) {
        def.default_value = std::move(*dv);
      } else {
        std::string msg = dv.error().message;
        std::string prefix = JoinPath(path, "default") + ": ";
        if (msg.rfind(prefix, 0) == 0) {
          Problem(JoinPath(path, "default"), msg.substr(prefix.size()));
        } else {
          Problem(JoinPath(path, "default"), msg);
        }
      }
    }
    rs.attributes.push_back(std::move(def));
  }
}

void Compiler::ParseTeams(const json::value* v) {
  if (!v) {
    Problem("teams", "is required (a rule set needs at least one team)");
    return;
  }
  const json::array* a = v->if_array();
  if (!a || a->empty()) {
    Problem("teams", "must be a non-empty array");
    return;
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < a->size(); ++i) {
    std::string path = IndexPath("teams", i);
    const json::object* o = (*a)[i].if_object();
    if (!o) {
      Problem(path, "must be an object");
      continue;
    }
    CheckKnown(*o, path, {"name", "minPlayers", "maxPlayers", "quantity"}, "a team");
    auto name = Str(*o, "name", path, true);
    if (name && name->empty()) {
      Problem(JoinPath(path, "name"), "must not be empty");
      name.reset();
    }
    // Wide ranges here; the per-match total is checked below with a clearer message.
    auto max = Int(*o, "maxPlayers", path, true, 1, 1 << 20);
    auto min = Int(*o, "minPlayers", path, true, 0, 1 << 20);
    auto qty = Int(*o, "quantity", path, false, 1, kMaxPlayersPerMatch);
    if (min && max && *min > *max) {
      Problem(JoinPath(path, "minPlayers"), "minPlayers (" + std::to_string(*min) +
                                                ") exceeds maxPlayers (" + std::to_string(*max) + ")");
    }
    if (!name) continue;
    if (!names.insert(*name).second) {
      Problem(JoinPath(path, "name"), "duplicate team name " + Quote(*name));
      continue;
    }
    int q = qty.value_or(1);
    int def_index = rs.definition_count++;
    for (int k = 1; k <= q; ++k) {
      TeamDef t;
      t.base_name = *name;
      t.name = q == 1 ? *name : *name + "_" + std::to_string(k);
      t.definition = def_index;
      t.min_players = min.value_or(0);
      t.max_players = max.value_or(0);
      if (q > 1 && !names.insert(t.name).second) {
        Problem(JoinPath(path, "quantity"), "generated team name " + Quote(t.name) +
                                                " collides with another team");
      }
      rs.max_players += t.max_players;
      rs.min_players += t.min_players;
      rs.teams.push_back(std::move(t));
      if (rs.teams.size() > static_cast<std::size_t>(kMaxPlayersPerMatch)) break;
    }
  }
  if (rs.max_players > kMaxPlayersPerMatch) {
    Problem("teams", "the teams allow " + std::to_string(rs.max_players) +
                         " players per match (sum of maxPlayers); the limit is " +
                         std::to_string(kMaxPlayersPerMatch));
  }
  rs.large = rs.max_players > kLargeMatchThreshold;
}

void Compiler::ParseAlgorithm(const json::value& v) {
  const json::object* o = v.if_object();
  if (!o) {
    Problem("algorithm", "must be an object");
    return;
  }
  const std::string path = "algorithm";
  CheckKnown(*o, path,
             {"strategy", "balancedAttribute", "batchingPreference", "sortByAttributes",
              "expansionAgeSelection", "backfillPriority"},
             "algorithm");
  Algorithm& al = rs.algorithm;
  if (auto s = Enum(*o, "strategy", path, false, kStrategies, "strategy")) al.strategy = *s;
  if (Get(*o, "balancedAttribute")) {
    al.balanced_attribute = AttrRef(*o, "balancedAttribute", path, false);
    if (al.balanced_attribute >= 0 &&
        rs.attributes[al.balanced_attribute].type != AttributeType::kNumber) {
      Problem("algorithm.balancedAttribute",
              "balancing attribute " + Quote(rs.attributes[al.balanced_attribute].name) +
                  " must have type number");
    }
  } else if (al.strategy == Strategy::kBalanced) {
    Problem("algorithm.balancedAttribute", "is required when strategy is 'balanced'");
  }
  al.batching_preference = Enum(*o, "batchingPreference", path, false, kBatching, "batchingPreference");
  if (al.batching_preference == BatchingPreference::kRandom && al.strategy == Strategy::kBalanced) {
    Problem("algorithm.batchingPreference",
            "'random' is only valid with strategy 'exhaustiveSearch'");
  }
  if (const json::value* s = Get(*o, "sortByAttributes")) {
    const json::array* a = s->if_array();
    if (!a) {
      Problem("algorithm.sortByAttributes", "must be an array of attribute names");
    } else {
      for (std::size_t i = 0; i < a->size(); ++i) {
        std::string p = IndexPath("algorithm.sortByAttributes", i);
        if (!(*a)[i].is_string()) {
          Problem(p, "must be a string");
          continue;
        }
        std::string_view n((*a)[i].get_string().data(), (*a)[i].get_string().size());
        int idx = rs.AttributeIndex(n);
        if (idx < 0) {
          Problem(p, "unknown player attribute " + Quote(n));
        } else {
          al.sort_by_attributes.push_back(idx);
        }
      }
    }
  }
  if (auto a = Enum(*o, "expansionAgeSelection", path, false, kAges, "expansionAgeSelection")) {
    al.expansion_age = *a;
  }
  if (auto b = Enum(*o, "backfillPriority", path, false, kBackfill, "backfillPriority")) {
    al.backfill_priority = *b;
  }
}

void Compiler::ParseRules(const json::value& v) {
  const json::array* a = v.if_array();
  if (!a) {
    Problem("rules", "must be an array");
    return;
  }
  // Names first, so compound statements may name rules defined later.
  rs.rules.resize(a->size());
  rule_ok_.assign(a->size(), false);
  rule_type_ok_.assign(a->size(), false);
  for (std::size_t i = 0; i < a->size(); ++i) {
    std::string path = IndexPath("rules", i);
    rule_paths_.push_back(path);
    const json::object* o = (*a)[i].if_object();
    if (!o) {
      Problem(path, "must be an object");
      continue;
    }
    auto name = Str(*o, "name", path, true);
    if (name) {
      if (name->empty()) {
        Problem(JoinPath(path, "name"), "must not be empty");
      } else if (!rule_index_.emplace(*name, static_cast<int>(i)).second) {
        Problem(JoinPath(path, "name"), "duplicate rule name " + Quote(*name) +
                                            " (rule names must be unique)");
      }
      rs.rules[i].name = *name;
    }
  }
  for (std::size_t i = 0; i < a->size(); ++i) {
    const json::object* o = (*a)[i].if_object();
    if (!o) continue;
    std::size_t before = problem_count_;
    ParseRule(*o, rule_paths_[i], &rs.rules[i]);
    rule_ok_[i] = problem_count_ == before;
  }
  ParseCompounds(*a);
}

void Compiler::ParseMeasurements(const json::object& o, const std::string& path, Rule* r) {
  const json::value* v = Get(o, "measurements");
  std::string p = JoinPath(path, "measurements");
  if (!v) {
    Problem(p, "is required");
    return;
  }
  std::vector<std::pair<std::string, std::string>> texts;  // path, text
  if (v->is_string()) {
    texts.emplace_back(p, std::string(v->get_string().data(), v->get_string().size()));
  } else if (const json::array* a = v->if_array()) {
    if (a->empty()) Problem(p, "must not be empty");
    for (std::size_t i = 0; i < a->size(); ++i) {
      if (!(*a)[i].is_string()) {
        Problem(IndexPath(p, i), "must be a string");
        continue;
      }
      texts.emplace_back(IndexPath(p, i),
                         std::string((*a)[i].get_string().data(), (*a)[i].get_string().size()));
    }
  } else {
    Problem(p, "must be a string or an array of strings");
    return;
  }
  for (auto& [tp, text] : texts) {
    auto e = ParseExpression(text, rs.teams, rs.attributes);
    if (!e.ok()) {
      Problem(tp, e.error().message);
      continue;
    }
    const Expr& x = **e;
    // An attribute with an unknown type was already reported; don't cascade.
    if (attributes_broken_) {
      r->measurements.push_back(*e);
      continue;
    }
    switch (r->type) {
      case RuleType::kDistance:
        if (x.leaf != LeafKind::kNumber) {
          Problem(tp, "a distance rule needs number values, but " + Quote(text) + " yields " +
                          LeafKindName(x.leaf) + " values");
        }
        break;
      case RuleType::kComparison:
        if (x.leaf != LeafKind::kNumber && x.leaf != LeafKind::kString) {
          Problem(tp, "a comparison rule needs number or string values, but " + Quote(text) +
                          " yields " + LeafKindName(x.leaf) + " values");
        }
        break;
      case RuleType::kCollection:
        if (x.leaf != LeafKind::kStringList && x.leaf != LeafKind::kString) {
          Problem(tp, "a collection rule needs string or string_list values, but " + Quote(text) +
                          " yields " + LeafKindName(x.leaf) + " values");
        }
        break;
      default: break;
    }
    r->measurements.push_back(*e);
  }
}

void Compiler::ParseReference(const json::object& o, const std::string& path, Rule* r,
                              bool required) {
  const json::value* v = Get(o, "referenceValue");
  std::string p = JoinPath(path, "referenceValue");
  if (!v) {
    if (required) Problem(p, "is required");
    return;
  }
  double d = 0;
  if (JsonToNumber(*v, false, &d)) {
    r->reference.kind = Reference::kNumber;
    r->reference.number = d;
    r->params[kReferenceNumber] = d;
    return;
  }
  if (v->is_number()) {
    Problem(p, "must be a finite number (it overflows a double)");
    return;
  }
  if (!v->is_string()) {
    Problem(p, "must be a number, a string or an expression, not " + JsonKind(*v));
    return;
  }
  std::string text(v->get_string().data(), v->get_string().size());
  if (LooksLikeExpression(text)) {
    auto e = ParseExpression(text, rs.teams, rs.attributes);
    if (!e.ok()) {
      Problem(p, e.error().message);
      return;
    }
    r->reference.kind = Reference::kExpr;
    r->reference.expr = *e;
    return;
  }
  if (r->type != RuleType::kCollection && JsonToNumber(*v, true, &d)) {
    r->reference.kind = Reference::kNumber;
    r->reference.number = d;
    r->params[kReferenceNumber] = d;
    return;
  }
  r->reference.kind = Reference::kString;
  r->reference.str = std::move(text);
}

void Compiler::ParseRule(const json::object& o, const std::string& path, Rule* r) {
  if (auto d = Str(o, "description", path, false)) r->description = *d;
  auto type = Enum(o, "type", path, true, kRuleTypes, "rule type");
  if (!type) return;
  r->type = *type;
  rule_type_ok_[&*r - rs.rules.data()] = true;
  auto num_param = [&](std::string_view key, int param, bool required) {
    auto d = Num(o, key, path, required);
    if (d && *d < 0) {
      Problem(JoinPath(path, key), "must not be negative");
      return;
    }
    r->params[param] = d;
  };
  auto count_param = [&](std::string_view key, int param) {
    if (auto n = Int(o, key, path, false, 0, 1 << 30)) r->params[param] = *n;
  };
  switch (r->type) {
    case RuleType::kBatchDistance: {
      CheckKnown(o, path, {"name", "type", "description", "batchAttribute", "maxDistance",
                           "partyAggregation"}, "a batchDistance rule");
      r->attribute = AttrRef(o, "batchAttribute", path, true);
      if (r->attribute >= 0) {
        AttributeType t = rs.attributes[r->attribute].type;
        if (t != AttributeType::kNumber && t != AttributeType::kString) {
          Problem(JoinPath(path, "batchAttribute"),
                  "batchAttribute must be a number or string attribute");
        }
      }
      num_param("maxDistance", kMaxDistance, false);
      r->party_aggregation = Enum(o, "partyAggregation", path, false, kNumericParty, "partyAggregation");
      break;
    }
    case RuleType::kComparison: {
      CheckKnown(o, path, {"name", "type", "description", "measurements", "referenceValue",
                           "operation", "partyAggregation"}, "a comparison rule");
      ParseMeasurements(o, path, r);
      ParseReference(o, path, r, false);
      auto op = Enum(o, "operation", path, true, kOps, "operation");
      if (op) r->op = *op;
      if (op && r->reference.kind == Reference::kNone && *op != CompareOp::kEq &&
          *op != CompareOp::kNe) {
        Problem(JoinPath(path, "operation"),
                "a comparison without referenceValue compares across players and allows only "
                "'=' or '!='");
      }
      if (op && *op != CompareOp::kEq && *op != CompareOp::kNe) {
        for (const auto& m : r->measurements) {
          if (m->leaf != LeafKind::kNumber) {
            Problem(JoinPath(path, "operation"), "ordering operations need number values");
            break;
          }
        }
      }
      if (r->reference.kind == Reference::kExpr && r->reference.expr->depth != 0) {
        Problem(JoinPath(path, "referenceValue"), "must yield a single value (aggregate it)");
      }
      bool strings = !r->measurements.empty() && !attributes_broken_;
      bool numbers = strings;
      for (const auto& m : r->measurements) {
        strings = strings && m->leaf == LeafKind::kString;
        numbers = numbers && m->leaf == LeafKind::kNumber;
      }
      if (strings && r->reference.kind == Reference::kNumber) {
        // A string-encoded number ("10") compared with string values stays a string.
        const json::value* rv = Get(o, "referenceValue");
        if (rv && rv->is_string()) {
          r->reference.kind = Reference::kString;
          r->reference.str = std::string(rv->get_string().data(), rv->get_string().size());
          r->params[kReferenceNumber].reset();
        } else {
          Problem(JoinPath(path, "referenceValue"),
                  "is a number, but the measurements yield string values");
        }
      } else if (numbers && r->reference.kind == Reference::kString) {
        Problem(JoinPath(path, "referenceValue"),
                Quote(r->reference.str) + " is not a finite number or an expression, but the "
                "measurements yield number values");
      }
      r->party_aggregation = Enum(o, "partyAggregation", path, false, kNumericParty, "partyAggregation");
      break;
    }
    case RuleType::kDistance: {
      CheckKnown(o, path, {"name", "type", "description", "measurements", "referenceValue",
                           "maxDistance", "minDistance", "partyAggregation"}, "a distance rule");
      ParseMeasurements(o, path, r);
      ParseReference(o, path, r, true);
      if (r->reference.kind == Reference::kString) {
        Problem(JoinPath(path, "referenceValue"), "must be a number or a number expression");
      } else if (r->reference.kind == Reference::kExpr &&
                 (r->reference.expr->depth != 0 || r->reference.expr->leaf != LeafKind::kNumber)) {
        Problem(JoinPath(path, "referenceValue"), "must yield a single number (aggregate it)");
      }
      num_param("maxDistance", kMaxDistance, false);
      num_param("minDistance", kMinDistance, false);
      if (!Get(o, "maxDistance") && !Get(o, "minDistance")) {
        Problem(JoinPath(path, "maxDistance"), "a distance rule needs maxDistance or minDistance");
      }
      r->party_aggregation = Enum(o, "partyAggregation", path, false, kNumericParty, "partyAggregation");
      break;
    }
    case RuleType::kCollection: {
      CheckKnown(o, path, {"name", "type", "description", "measurements", "referenceValue",
                           "operation", "minCount", "maxCount", "partyAggregation"},
                 "a collection rule");
      ParseMeasurements(o, path, r);
      auto op = Enum(o, "operation", path, true, kCollectionOps, "operation");
      if (op) r->collection_op = *op;
      ParseReference(o, path, r, op && *op != CollectionOp::kIntersection);
      if (op == CollectionOp::kContains && r->reference.kind != Reference::kString &&
          r->reference.kind != Reference::kNone) {
        Problem(JoinPath(path, "referenceValue"), "'contains' needs a literal string value");
      }
      if (op == CollectionOp::kReferenceIntersectionCount &&
          r->reference.kind == Reference::kExpr &&
          r->reference.expr->leaf != LeafKind::kString &&
          r->reference.expr->leaf != LeafKind::kStringList) {
        Problem(JoinPath(path, "referenceValue"), "must yield strings");
      }
      count_param("minCount", kMinCount);
      count_param("maxCount", kMaxCount);
      if (!Get(o, "minCount") && !Get(o, "maxCount")) {
        Problem(JoinPath(path, "minCount"), "a collection rule needs minCount or maxCount");
      }
      if (r->params[kMinCount] && r->params[kMaxCount] && *r->params[kMinCount] > *r->params[kMaxCount]) {
        Problem(JoinPath(path, "minCount"), "minCount exceeds maxCount");
      }
      r->party_aggregation = Enum(o, "partyAggregation", path, false, kSetParty, "partyAggregation");
      break;
    }
    case RuleType::kLatency: {
      CheckKnown(o, path, {"name", "type", "description", "maxLatency", "maxDistance",
                           "distanceReference"}, "a latency rule");
      num_param("maxLatency", kMaxLatency, true);
      num_param("maxDistance", kMaxDistance, false);
      if (auto d = Enum(o, "distanceReference", path, false, kDistanceRefs, "distanceReference")) {
        r->distance_reference = *d;
      }
      break;
    }
    case RuleType::kAbsoluteSort:
    case RuleType::kDistanceSort: {
      CheckKnown(o, path, {"name", "type", "description", "sortDirection", "sortAttribute",
                           "mapKey", "partyAggregation"}, "a sort rule");
      if (auto d = Enum(o, "sortDirection", path, true, kDirections, "sortDirection")) {
        r->sort_direction = *d;
      }
      r->attribute = AttrRef(o, "sortAttribute", path, true);
      if (auto k = Enum(o, "mapKey", path, false, kMapKeys, "mapKey")) r->map_key = *k;
      if (r->attribute >= 0) {
        AttributeType t = rs.attributes[r->attribute].type;
        if (t == AttributeType::kStringNumberMap && r->map_key == MapKey::kNone) {
          Problem(JoinPath(path, "mapKey"), "is required when sortAttribute is a string_number_map");
        } else if (t != AttributeType::kStringNumberMap && t != AttributeType::kNumber) {
          Problem(JoinPath(path, "sortAttribute"), "must be a number or string_number_map attribute");
        }
      }
      r->party_aggregation = Enum(o, "partyAggregation", path, false, kNumericParty, "partyAggregation");
      break;
    }
    case RuleType::kCompound: {
      CheckKnown(o, path, {"name", "type", "description", "statement"}, "a compound rule");
      Str(o, "statement", path, true);  // parsed in ParseCompounds
      break;
    }
  }
}

void Compiler::ParseCompounds(const json::array& rules) {
  for (std::size_t i = 0; i < rules.size(); ++i) {
    Rule& r = rs.rules[i];
    if (r.type != RuleType::kCompound || !rule_ok_[i]) continue;
    const json::object& o = rules[i].as_object();
    std::string p = JoinPath(rule_paths_[i], "statement");
    const json::value* v = Get(o, "statement");
    if (!v || !v->is_string()) continue;  // ParseRule reported it
    std::string_view text(v->get_string().data(), v->get_string().size());
    std::size_t pos = 0;
    std::size_t before = problem_count_;
    bool ok = ParseStatement(text, &pos, 0, p, static_cast<int>(i), &r.statement);
    if (ok) {
      while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
      if (pos != text.size()) {
        Problem(p, "unexpected text after the statement at offset " + std::to_string(pos));
      } else if (r.statement.kind == CompoundNode::kRule) {
        Problem(p, "must be a call: and(...), or(...), not(...) or xor(...)");
      }
    } else if (problem_count_ == before) {
      Problem(p, "malformed statement " + Quote(text));
    }
  }
  CheckCompoundCycles();
}

bool Compiler::ParseStatement(std::string_view text, std::size_t* pos, int depth,
                              const std::string& path, int self, CompoundNode* out) {
  auto skip = [&] {
    while (*pos < text.size() && std::isspace(static_cast<unsigned char>(text[*pos]))) ++*pos;
  };
  if (depth > kMaxCompoundDepth) {
    Problem(path, "statement nested deeper than " + std::to_string(kMaxCompoundDepth));
    return false;
  }
  skip();
  std::size_t b = *pos;
  while (*pos < text.size() && text[*pos] != '(' && text[*pos] != ')' && text[*pos] != ',') ++*pos;
  std::string_view tok = text.substr(b, *pos - b);
  while (!tok.empty() && std::isspace(static_cast<unsigned char>(tok.back()))) tok.remove_suffix(1);
  if (*pos < text.size() && text[*pos] == '(') {
    ++*pos;
    if (tok == "and") out->kind = CompoundNode::kAnd;
    else if (tok == "or") out->kind = CompoundNode::kOr;
    else if (tok == "not") out->kind = CompoundNode::kNot;
    else if (tok == "xor") out->kind = CompoundNode::kXor;
    else {
      Problem(path, "unknown operator " + Quote(tok) + " (expected and, or, not, xor)");
      return false;
    }
    for (;;) {
      CompoundNode child;
      if (!ParseStatement(text, pos, depth + 1, path, self, &child)) return false;
      out->children.push_back(std::move(child));
      skip();
      if (*pos < text.size() && text[*pos] == ',') {
        ++*pos;
        continue;
      }
      if (*pos < text.size() && text[*pos] == ')') {
        ++*pos;
        break;
      }
      Problem(path, "expected ',' or ')' at offset " + std::to_string(*pos));
      return false;
    }
    std::size_t n = out->children.size();
    if (out->kind == CompoundNode::kNot && n != 1) {
      Problem(path, "not(...) takes exactly one operand");
    } else if (out->kind != CompoundNode::kNot && n < 2) {
      Problem(path, Quote(tok) + " needs at least two operands");
    }
    return true;
  }
  if (tok.empty()) {
    Problem(path, "expected a rule name at offset " + std::to_string(*pos));
    return false;
  }
  out->kind = CompoundNode::kRule;
  auto it = rule_index_.find(tok);
  if (it == rule_index_.end()) {
    Problem(path, "names rule " + Quote(tok) + ", which is not defined in this rule set");
    return true;
  }
  out->rule = it->second;
  Rule& target = rs.rules[it->second];
  if (it->second == self) {
    Problem(path, "a compound rule cannot name itself");
  } else if (target.type == RuleType::kBatchDistance) {
    Problem(path, "names batchDistance rule " + Quote(tok) +
                      "; batchDistance rules cannot be used in a compound rule");
  } else if (target.type == RuleType::kAbsoluteSort || target.type == RuleType::kDistanceSort) {
    Problem(path, "names sort rule " + Quote(tok) + "; sort rules have no pass/fail result");
  }
  target.in_compound = true;
  return true;
}

void Compiler::CheckCompoundCycles() {
  // The graph of compound rules naming compound rules, walked without recursion so that a chain
  // of a thousand compounds costs no stack. Each edge carries the operator depth of the name.
  const int n = static_cast<int>(rs.rules.size());
  struct Edge {
    int to;
    int level;
  };
  std::vector<std::vector<Edge>> edges(n);
  std::vector<int> own(n, 0);
  for (int i = 0; i < n; ++i) {
    if (rs.rules[i].type != RuleType::kCompound) continue;
    std::vector<std::pair<const CompoundNode*, int>> todo = {{&rs.rules[i].statement, 0}};
    while (!todo.empty()) {
      auto [node, level] = todo.back();
      todo.pop_back();
      own[i] = std::max(own[i], level);
      if (node->kind != CompoundNode::kRule) {
        for (const auto& c : node->children) todo.push_back({&c, level + 1});
      } else if (node->rule >= 0 && node->rule != i &&
                 rs.rules[node->rule].type == RuleType::kCompound) {
        edges[i].push_back({node->rule, level});
      }
    }
  }
  std::vector<int> state(n, 0);  // 0 new, 1 on the stack, 2 done
  std::vector<int> depth(n, 0);
  std::vector<bool> cyclic(n, false);
  for (int root = 0; root < n; ++root) {
    if (rs.rules[root].type != RuleType::kCompound || state[root] != 0) continue;
    std::vector<std::pair<int, std::size_t>> stack = {{root, 0}};
    state[root] = 1;
    while (!stack.empty()) {
      auto& [u, next] = stack.back();
      if (next < edges[u].size()) {
        int v = edges[u][next++].to;
        if (state[v] == 0) {
          state[v] = 1;
          stack.push_back({v, 0});
        } else if (state[v] == 1) {
          // A back edge: the cycle is the stack from v to u, then v again.
          std::string names;
          bool in = false;
          for (const auto& [w, k] : stack) {
            in = in || w == v;
            if (!in) continue;
            cyclic[w] = true;
            names += Quote(rs.rules[w].name) + " -> ";
          }
          Problem(JoinPath(rule_paths_[u], "statement"),
                  "compound rule " + Quote(rs.rules[u].name) + " is part of a reference cycle: " +
                      names + Quote(rs.rules[v].name));
        }
        continue;
      }
      int d = own[u];
      for (const Edge& e : edges[u]) d = std::max(d, e.level + depth[e.to]);
      depth[u] = std::min(d, 1 << 20);
      state[u] = 2;
      stack.pop_back();
    }
  }
  for (int i = 0; i < n; ++i) {
    if (rs.rules[i].type != RuleType::kCompound || cyclic[i] || rs.rules[i].in_compound) continue;
    if (depth[i] > kMaxCompoundDepth) {
      Problem(JoinPath(rule_paths_[i], "statement"),
              "compound rule " + Quote(rs.rules[i].name) + " nests " + std::to_string(depth[i]) +
                  " levels deep, counting the compound rules it names; the limit is " +
                  std::to_string(kMaxCompoundDepth));
    }
  }
}

void Compiler::CheckLargeMatch() {
  if (!rs.large) return;
  for (std::size_t i = 0; i < rs.rules.size(); ++i) {
    const Rule& r = rs.rules[i];
    if (!rule_ok_[i]) continue;
    if (r.type != RuleType::kBatchDistance && r.type != RuleType::kLatency) {
      Problem(JoinPath(rule_paths_[i], "type"),
              std::string(RuleTypeName(r.type)) + " rules are not allowed in a large-match rule set "
              "(teams allow " + std::to_string(rs.max_players) + " players, more than " +
              std::to_string(kLargeMatchThreshold) + "); only batchDistance and latency rules are");
    }
  }
}

void Compiler::ParseExpansions(const json::value& v) {
  const json::array* a = v.if_array();
  if (!a) {
    Problem("expansions", "must be an array");
    return;
  }
  std::set<std::string> targets;
  for (std::size_t i = 0; i < a->size(); ++i) {
    std::string path = IndexPath("expansions", i);
    const json::object* o = (*a)[i].if_object();
    if (!o) {
      Problem(path, "must be an object");
      continue;
    }
    CheckKnown(*o, path, {"target", "steps"}, "an expansion");
    Expansion ex;
    bool ok = true;
    std::string tp = JoinPath(path, "target");
    auto target = Str(*o, "target", path, true);
    bool integral = false;
    int team_max = INT32_MAX, team_min = 0;
    std::string over_max;  // the problem when a step's value exceeds team_max
    if (target) {
      ex.target = *target;
      std::string_view t = *target;
      auto parse_bracket = [&](std::string_view prefix, std::string* name,
                               std::string* field) -> bool {
        if (!t.starts_with(prefix)) return false;
        std::size_t close = t.find("].", prefix.size());
        if (close == std::string_view::npos) return false;
        *name = std::string(t.substr(prefix.size(), close - prefix.size()));
        *field = std::string(t.substr(close + 2));
        return true;
      };
      std::string name, field;
      if (parse_bracket("rules[", &name, &field)) {
        auto it = rule_index_.find(name);
        if (it == rule_index_.end()) {
          Problem(tp, "names rule " + Quote(name) + ", which is not defined in this rule set");
          ok = false;
        } else {
          const Rule& r = rs.rules[it->second];
          ex.kind = Expansion::kRule;
          ex.rule = it->second;
          std::vector<std::pair<const char*, int>> allowed;
          switch (r.type) {
            case RuleType::kDistance:
              allowed = {{"maxDistance", kMaxDistance}, {"minDistance", kMinDistance}};
              break;
            case RuleType::kBatchDistance: allowed = {{"maxDistance", kMaxDistance}}; break;
            case RuleType::kLatency:
              allowed = {{"maxLatency", kMaxLatency}, {"maxDistance", kMaxDistance}};
              break;
            case RuleType::kCollection:
              allowed = {{"minCount", kMinCount}, {"maxCount", kMaxCount}};
              integral = true;
              break;
            case RuleType::kComparison:
              if (r.reference.kind == Reference::kNumber) {
                allowed = {{"referenceValue", kReferenceNumber}};
              }
              break;
            default: break;
          }
          if (!rule_type_ok_[it->second]) {
            ok = false;  // the rule's own problem is already reported
          } else if (r.type == RuleType::kCompound) {
            Problem(tp, "compound rule " + Quote(name) + " cannot be expanded");
            ok = false;
          } else {
            for (const auto& [fname, param] : allowed) {
              if (field == fname) ex.param = param;
            }
            if (ex.param < 0) {
              std::string list;
              for (const auto& [fname, param] : allowed) list += (list.empty() ? "" : ", ") + std::string(fname);
              Problem(tp, "property " + Quote(field) + " of " + RuleTypeName(r.type) + " rule " +
                              Quote(name) + " cannot be expanded" +
                              (list.empty() ? std::string(" (it has no expandable property)")
                                            : " (expandable: " + list + ")"));
              ok = false;
            }
          }
        }
      } else if (parse_bracket("teams[", &name, &field)) {
        const TeamDef* def = nullptr;
        for (const auto& team : rs.teams) {
          if (team.base_name == name || team.name == name) {
            def = &team;
            break;
          }
        }
        integral = true;
        if (!def) {
          Problem(tp, "names team " + Quote(name) + ", which is not defined in this rule set");
          ok = false;
        } else if (field == "minPlayers" || field == "maxPlayers") {
          ex.kind = field == "minPlayers" ? Expansion::kTeamMin : Expansion::kTeamMax;
          ex.definition = def->definition;
          if (ex.kind == Expansion::kTeamMin) {
            if (def->max_players > 0) team_max = def->max_players;
            over_max = "minPlayers value exceeds the team's maxPlayers (" +
                       std::to_string(def->max_players) + ")";
          } else {
            team_min = def->min_players;
            // The expanded teams must still fit a match of kMaxPlayersPerMatch players.
            int copies = 0;
            for (const auto& team : rs.teams) copies += team.definition == def->definition ? 1 : 0;
            int others = rs.max_players - copies * def->max_players;
            team_max = std::max(0, kMaxPlayersPerMatch - others) / std::max(1, copies);
            over_max = "maxPlayers value would allow more than " +
                       std::to_string(kMaxPlayersPerMatch) + " players per match (at most " +
                       std::to_string(team_max) + " for this team)";
          }
        } else {
          Problem(tp, "team property " + Quote(field) + " cannot be expanded (expected minPlayers or maxPlayers)");
          ok = false;
        }
      } else {
        Problem(tp, "unsupported expansion target " + Quote(t) +
                        " (expected rules[<name>].<property> or teams[<name>].minPlayers|maxPlayers)");
        ok = false;
      }
      if (ok && !targets.insert(*target).second) {
        Problem(tp, "duplicate expansion target " + Quote(t));
      }
    }
    const json::value* sv = Get(*o, "steps");
    std::string sp = JoinPath(path, "steps");
    const json::array* steps = sv ? sv->if_array() : nullptr;
    if (!sv) {
      Problem(sp, "is required");
    } else if (!steps || steps->empty()) {
      Problem(sp, "must be a non-empty array");
    } else {
      double last = -1;
      for (std::size_t k = 0; k < steps->size(); ++k) {
        std::string p = IndexPath(sp, k);
        const json::object* so = (*steps)[k].if_object();
        if (!so) {
          Problem(p, "must be an object");
          continue;
        }
        CheckKnown(*so, p, {"waitTimeSeconds", "value"}, "an expansion step");
        auto wait = Num(*so, "waitTimeSeconds", p, true);
        auto value = Num(*so, "value", p, true);
        if (wait) {
          if (*wait < 0 || *wait > 86400.0 * 365) {
            Problem(JoinPath(p, "waitTimeSeconds"), "must be between 0 and one year");
            wait.reset();
          } else if (*wait <= last) {
            Problem(JoinPath(p, "waitTimeSeconds"), "steps must be in ascending waitTimeSeconds order");
          } else {
            last = *wait;
          }
        }
        if (value) {
          if (*value < 0) {
            Problem(JoinPath(p, "value"), "must not be negative");
            value.reset();
          } else if (integral && *value != std::floor(*value)) {
            Problem(JoinPath(p, "value"), "must be a whole number for this target");
            value.reset();
          } else if (!over_max.empty() && *value > team_max) {
            Problem(JoinPath(p, "value"), over_max);
          } else if (*value < team_min) {
            Problem(JoinPath(p, "value"), "maxPlayers value is below the team's minPlayers (" +
                                              std::to_string(team_min) + ")");
          }
        }
        if (wait && value) {
          ex.steps.push_back({static_cast<std::int64_t>(std::llround(*wait * 1000)), *value});
        }
      }
    }
    if (ok) rs.expansions.push_back(std::move(ex));
  }
}

}  // namespace

const char* RuleTypeName(RuleType t) {
  for (const auto& [name, v] : kRuleTypes) {
    if (v == t) return name;
  }
  return "?";
}

const char* RuleParamName(int p) {
  static const char* kNames[] = {"maxDistance", "minDistance", "minCount", "maxCount",
                                 "maxLatency", "referenceValue"};
  return p >= 0 && p < kRuleParamCount ? kNames[p] : "?";
}

int RuleSet::AttributeIndex(std::string_view n) const {
  for (std::size_t i = 0; i < attributes.size(); ++i) {
    if (attributes[i].name == n) return static_cast<int>(i);
  }
  return -1;
}

std::vector<ValidationProblem> ValidateRuleSet(std::string_view body) {
  Compiler c;
  c.Run(body);
  return std::move(c.problems);
}

Result<std::shared_ptr<const RuleSet>> ParseRuleSet(std::string_view body) {
  Compiler c;
  c.Run(body);
  if (!c.problems.empty()) {
    std::string msg;
    for (const auto& p : c.problems) {
      if (!msg.empty()) msg += "; ";
      msg += p.path.empty() ? p.message : p.path + ": " + p.message;
    }
    return Error::InvalidArgument(std::move(msg));
  }
  return std::shared_ptr<const RuleSet>(std::make_shared<RuleSet>(std::move(c.rs)));
}

}  // namespace muster::matchmaking
