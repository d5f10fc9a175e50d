#pragma once
// FlexMatch property expressions, compiled to a small AST:
//   expr  := fn '(' expr ')' | path
//   fn    := min | max | avg | median | sum | count | stddev | flatten | set_intersection
//   path  := [ 'teams[' ( '*' | name { ',' name } ) ']' ] ['.'] 'players'
//            [ '[playerId]' | '.attributes[' attr ']' ]
// A path without `teams[..]`, or naming exactly one team, yields a list (one entry per player);
// `teams[*]`, several names, or the base name of a quantity team yields a list of per-team lists.
// Aggregations apply to the innermost lists ("per sub-list when nested"); flatten removes one
// level. Names are resolved to indices at compile time, and each node carries its static shape,
// so evaluation never looks a name up.
//
// Thread safety: an Expr is immutable after parsing.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "matchmaking/schema.h"

namespace muster::matchmaking {

inline constexpr std::size_t kMaxExpressionBytes = 1024;
inline constexpr int kMaxExpressionDepth = 8;

enum class ExprFn { kMin, kMax, kAvg, kMedian, kSum, kCount, kStddev, kFlatten, kSetIntersection };
enum class Projection { kPlayers, kPlayerId, kAttribute };

// Leaf kinds of an expression's static type.
enum class LeafKind { kNumber, kString, kStringList, kStringNumberMap, kPlayer };

struct Expr {
  bool is_call = false;
  // Call.
  ExprFn fn = ExprFn::kCount;
  std::unique_ptr<Expr> arg;
  // Path.
  bool all_players = false;     // no teams[] selector
  bool team_list = false;       // yields one list per team
  std::vector<int> teams;       // indices into RuleSet::teams
  Projection projection = Projection::kPlayers;
  int attribute = -1;           // index into RuleSet::attributes
  // Static type: list nesting depth of the result (0 = a single leaf) and its leaf kind.
  int depth = 0;
  LeafKind leaf = LeafKind::kNumber;
  // True when the result is one value per player (a path with no aggregation above it, possibly
  // under flatten), which is where partyAggregation applies.
  bool per_player = false;
};

using ExprPtr = std::shared_ptr<const Expr>;

// Heuristic used for referenceValue strings: does `text` look like an expression rather than a
// literal string?
bool LooksLikeExpression(std::string_view text);

// Parses and type-checks `text` against the declared teams and attributes. The error message
// does not include the field path; callers prefix it.
Result<ExprPtr> ParseExpression(std::string_view text, const std::vector<TeamDef>& teams,
                                const std::vector<AttributeDef>& attributes);

const char* LeafKindName(LeafKind k);

}  // namespace muster::matchmaking
