#pragma once
// Player attribute values (GameLift AttributeValue): string S, number N, string list SL and
// string-to-number map SDM, with parsing from the wire form {"S":..}|{"N":..}|{"SL":[..]}|{"SDM":{..}}
// and from a rule set's raw `default` form. Limits: 100 strings per list, 10 pairs per map,
// finite numbers only.
//
// Thread safety: plain values.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/json.h"
#include "common/result.h"

namespace muster::matchmaking {

enum class AttributeType { kString, kNumber, kStringList, kStringNumberMap };

inline constexpr std::size_t kMaxStringListSize = 100;
inline constexpr std::size_t kMaxStringMapSize = 10;
inline constexpr std::size_t kMaxAttributeStringBytes = 1024;

// Rule set spelling: "string", "number", "string_list", "string_number_map".
const char* AttributeTypeName(AttributeType t);
bool ParseAttributeTypeName(std::string_view name, AttributeType* out);

struct AttributeValue {
  AttributeType type = AttributeType::kNumber;
  std::string s;                                   // kString
  double n = 0;                                    // kNumber
  std::vector<std::string> sl;                     // kStringList
  std::vector<std::pair<std::string, double>> sdm;  // kStringNumberMap, sorted by key, unique

  static AttributeValue String(std::string v);
  static AttributeValue Number(double v);
  static AttributeValue StringList(std::vector<std::string> v);
  static AttributeValue StringNumberMap(std::vector<std::pair<std::string, double>> v);

  bool operator==(const AttributeValue& o) const;
};

// Checks limits and finiteness of a value built in code. `path` prefixes the message.
Status CheckAttributeValue(const AttributeValue& v, std::string_view path);

// Wire form: exactly one of S, N, SL, SDM.
Result<AttributeValue> ParseAttributeValue(const json::value& v, std::string_view path);

// Rule set `default` form for a declared type: a plain JSON string, number (or string-encoded
// number), array of strings, or object of numbers. The wire form is accepted too.
Result<AttributeValue> ParseAttributeDefault(const json::value& v, AttributeType type,
                                             std::string_view path);

// Reads a finite JSON number; with allow_string also a string-encoded one ("500").
bool JsonToNumber(const json::value& v, bool allow_string, double* out);

// Wire form, for round-trips and events.
json::value AttributeValueToJson(const AttributeValue& v);

}  // namespace muster::matchmaking
