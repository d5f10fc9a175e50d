#pragma once
// Declarations shared by the rule set compiler, the expression language and the matcher:
// declared player attributes and the (quantity-expanded) match teams.
//
// Thread safety: plain values; immutable once inside a RuleSet.

#include <optional>
#include <string>

#include "matchmaking/attribute.h"

namespace muster::matchmaking {

struct AttributeDef {
  std::string name;
  AttributeType type = AttributeType::kNumber;
  std::optional<AttributeValue> default_value;
};

// One team of a match. A definition with quantity N > 1 becomes N teams named
// "<base>_1".."<base>_N"; with quantity 1 the team keeps the base name.
struct TeamDef {
  std::string name;
  std::string base_name;
  int definition = 0;  // index of the `teams[]` entry it came from
  int min_players = 0;
  int max_players = 0;
};

}  // namespace muster::matchmaking
