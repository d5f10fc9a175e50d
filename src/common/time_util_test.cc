#include "common/time_util.h"

#include <gtest/gtest.h>

namespace muster {
namespace {

TEST(TimeUtil, AmzDateRoundTrip) {
  Millis t = 1795266263000;  // 2026-11-21T13:04:23Z
  EXPECT_EQ(FormatAmzDate(t), "20261121T130423Z");
  EXPECT_EQ(ParseAmzDate("20261121T130423Z"), t);
  EXPECT_FALSE(ParseAmzDate("2026-11-21T13:04:23Z").has_value());
  EXPECT_FALSE(ParseAmzDate("20261321T130423Z").has_value());
}

TEST(TimeUtil, Iso8601) { EXPECT_EQ(FormatIso8601(1795266263123), "2026-11-21T13:04:23.123Z"); }

}  // namespace
}  // namespace muster
