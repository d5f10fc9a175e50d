#pragma once
// Query strings of untrusted requests: split, percent-decoded, with limits.
//
// Thread safety: plain functions.

#include <map>
#include <string>
#include <string_view>

#include "common/result.h"

namespace muster::api {

inline constexpr std::size_t kMaxQueryBytes = 4096;
inline constexpr std::size_t kMaxQueryParams = 64;

// name → value (the first of repeated names wins). '+' decodes to a space, as browsers send it.
// Errors: too long, too many parameters, bad percent escapes.
Result<std::map<std::string, std::string>> ParseQuery(std::string_view raw);

Result<std::string> PercentDecode(std::string_view in, bool plus_is_space);

}  // namespace muster::api
