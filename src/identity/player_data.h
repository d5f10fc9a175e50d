#pragma once
// Player data: the matchmaking attributes of each player, kept server-side and keyed by player id
// (the identity id), in the GameLift AttributeValue wire form:
//   {"skill": {"N": 1000}, "mode": {"S": "ranked"}, "maps": {"SL": ["a","b"]},
//    "ping": {"SDM": {"x": 1.5}}}
//   kPlayerData  id = player id, body = that object.
// A new player gets the configured default (default {"skill":{"N":1000}}) on first read.
//
// Thread safety: safe from any thread (the store serialises; concurrent first reads agree).

#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/json.h"
#include "common/result.h"
#include "store/store.h"

namespace muster::identity {

inline constexpr std::size_t kMaxPlayerAttributes = 10;

// Checks the AttributeValue form: exactly one of S (string), N (number), SL (≤100 strings),
// SDM (≤10 string→number pairs) per attribute, ≤10 attributes, names 1..128 chars.
Status ValidatePlayerAttributes(const json::object& attributes);

json::object DefaultPlayerAttributes();  // {"skill":{"N":1000}}

class PlayerDataService {
 public:
  PlayerDataService(store::Store& store, const Clock& clock,
                    json::object default_attributes = DefaultPlayerAttributes());

  Result<json::object> GetOrCreate(std::string_view player_id);
  // Replaces a player's attributes (admin operation). kInvalidArgument names the bad field.
  Status Put(std::string_view player_id, const json::object& attributes);

 private:
  store::Store& store_;
  const Clock& clock_;
  json::object default_;
};

}  // namespace muster::identity
