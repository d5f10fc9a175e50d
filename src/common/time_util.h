#pragma once
// Time formats used on the wire.
//   AmzDate      "20261121T130423Z"     (SigV4 X-Amz-Date)
//   Iso8601      "2026-11-21T13:04:23.123Z" (events, native API)
//   epoch seconds as double (management API timestamps)

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace muster {

std::string FormatAmzDate(Millis t);
std::optional<Millis> ParseAmzDate(std::string_view s);
std::string FormatIso8601(Millis t);
double EpochSeconds(Millis t);

}  // namespace muster
