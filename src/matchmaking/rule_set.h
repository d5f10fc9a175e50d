#pragma once
// A FlexMatch rule set, parsed, validated and compiled: names resolved to indices, expressions to
// ASTs, string-encoded numbers to doubles. The matcher evaluates this structure; no JSON is
// touched after ParseRuleSet. See docs/rulesets.md for the accepted language and decisions.
//
// Thread safety: a RuleSet is immutable and shared (std::shared_ptr<const RuleSet>) across
// threads freely.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "matchmaking/expression.h"
#include "matchmaking/schema.h"

namespace muster::matchmaking {

inline constexpr std::size_t kMaxRuleSetBodyBytes = 65535;
inline constexpr int kMaxPlayersPerMatch = 200;
inline constexpr int kLargeMatchThreshold = 40;  // more players than this => large match
inline constexpr int kMaxPlayersPerTicket = 10;
inline constexpr int kMaxAttributesPerPlayer = 10;
// Nesting of a compound statement's operators, also counted through the compound rules it
// names (and(A, B) where B is or(C, D) is 2 deep). Bounds evaluation recursion.
inline constexpr int kMaxCompoundDepth = 16;

enum class RuleType {
  kBatchDistance, kComparison, kDistance, kCollection, kLatency, kAbsoluteSort, kDistanceSort,
  kCompound,
};
const char* RuleTypeName(RuleType t);

enum class CompareOp { kLt, kLe, kEq, kNe, kGt, kGe };
enum class CollectionOp { kIntersection, kContains, kReferenceIntersectionCount };
enum class PartyAggregation { kAvg, kMin, kMax, kUnion, kIntersection };
enum class SortDirection { kAscending, kDescending };
enum class MapKey { kNone, kMinValue, kMaxValue };
enum class DistanceReference { kMin, kAvg };

// Expandable numeric parameters of a rule, indexed by RuleParam.
enum RuleParam : int { kMaxDistance = 0, kMinDistance, kMinCount, kMaxCount, kMaxLatency,
                       kReferenceNumber, kRuleParamCount };
const char* RuleParamName(int p);

struct CompoundNode {
  enum Kind { kRule, kAnd, kOr, kNot, kXor } kind = kRule;
  int rule = -1;  // for kRule
  std::vector<CompoundNode> children;
};

// referenceValue: a number, a literal string, or an expression.
struct Reference {
  enum Kind { kNone, kNumber, kString, kExpr } kind = kNone;
  double number = 0;
  std::string str;
  ExprPtr expr;
};

struct Rule {
  std::string name;
  std::string description;
  RuleType type = RuleType::kComparison;
  std::vector<ExprPtr> measurements;
  Reference reference;
  CompareOp op = CompareOp::kEq;
  CollectionOp collection_op = CollectionOp::kIntersection;
  std::optional<PartyAggregation> party_aggregation;
  int attribute = -1;  // batchAttribute / sortAttribute
  SortDirection sort_direction = SortDirection::kAscending;
  MapKey map_key = MapKey::kNone;
  DistanceReference distance_reference = DistanceReference::kMin;
  // Base values of the expandable parameters; nullopt = not set.
  std::optional<double> params[kRuleParamCount];
  CompoundNode statement;   // compound only
  bool in_compound = false; // named in some compound statement: evaluated only through it
};

enum class Strategy { kExhaustiveSearch, kBalanced };
enum class BatchingPreference { kRandom, kSorted, kLargestPopulation, kFastestRegion };
enum class ExpansionAge { kNewest, kOldest };
enum class BackfillPriority { kNormal, kLow, kHigh };

struct Algorithm {
  Strategy strategy = Strategy::kExhaustiveSearch;
  int balanced_attribute = -1;
  std::optional<BatchingPreference> batching_preference;
  std::vector<int> sort_by_attributes;
  ExpansionAge expansion_age = ExpansionAge::kNewest;
  BackfillPriority backfill_priority = BackfillPriority::kNormal;
};

struct ExpansionStep {
  std::int64_t wait_ms = 0;
  double value = 0;
};

struct Expansion {
  std::string target;
  enum Kind { kRule, kTeamMin, kTeamMax } kind = kRule;
  int rule = -1;        // kRule
  int param = -1;       // RuleParam, kRule
  int definition = -1;  // team definition index, kTeamMin/kTeamMax
  std::vector<ExpansionStep> steps;  // ascending wait_ms
};

struct RuleSet {
  std::string name;
  std::vector<AttributeDef> attributes;
  std::vector<TeamDef> teams;  // quantity-expanded
  int definition_count = 0;    // number of entries in `teams[]`
  Algorithm algorithm;
  std::vector<Rule> rules;
  std::vector<Expansion> expansions;
  int max_players = 0;  // sum of teams' maxPlayers
  int min_players = 0;  // sum of teams' minPlayers
  bool large = false;

  int AttributeIndex(std::string_view name) const;
};

struct ValidationProblem {
  std::string path;
  std::string message;
};

// Parses and validates a RuleSetBody. On failure: kInvalidArgument whose message is every
// problem as "<path>: <message>" joined with "; ".
Result<std::shared_ptr<const RuleSet>> ParseRuleSet(std::string_view body);

// Every problem found (empty when valid). For the management API's validation call.
std::vector<ValidationProblem> ValidateRuleSet(std::string_view body);

}  // namespace muster::matchmaking
