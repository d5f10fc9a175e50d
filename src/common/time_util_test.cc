#include "common/time_util.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <limits>
#include <string>

namespace muster {
namespace {

TEST(TimeUtil, AmzDateRoundTrip) {
  Millis t = 1795266263000;  // 2026-11-21T13:04:23Z
  EXPECT_EQ(FormatAmzDate(t), "20261121T130423Z");
  EXPECT_EQ(ParseAmzDate("20261121T130423Z"), t);
  EXPECT_FALSE(ParseAmzDate("2026-11-21T13:04:23Z").has_value());
  EXPECT_FALSE(ParseAmzDate("20261321T130423Z").has_value());
}

TEST(TimeUtil, AmzDateMatchesGmtimeAndTimegmOverManyInstants) {
  // The calendar is computed by hand (no time zone lock): checked against the C library, before
  // 1970, across leap years and centuries, and for days past a month's end (normalised).
  for (Millis t = -86'400'000LL * 800; t < 86'400'000LL * 365 * 300; t += 86'400'000LL * 29 + 3'723'000) {
    std::time_t secs = static_cast<std::time_t>(t / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char want[32];
    std::strftime(want, sizeof want, "%Y%m%dT%H%M%SZ", &tm);
    ASSERT_EQ(FormatAmzDate(t), want) << t;
    if (t >= 0) {
      ASSERT_EQ(ParseAmzDate(want), t) << want;
    }
  }
  std::tm feb{};
  feb.tm_year = 2023 - 1900;
  feb.tm_mon = 1;
  feb.tm_mday = 31;
  EXPECT_EQ(ParseAmzDate("20230231T000000Z"), static_cast<Millis>(timegm(&feb)) * 1000);  // 2023-03-03
  EXPECT_EQ(ParseAmzDate("20240229T235960Z"), ParseAmzDate("20240301T000000Z"));           // leap second
  EXPECT_FALSE(ParseAmzDate("20240001T000000Z").has_value());
  EXPECT_FALSE(ParseAmzDate("20240100T000000Z").has_value());
}

TEST(TimeUtil, Iso8601) { EXPECT_EQ(FormatIso8601(1795266263123), "2026-11-21T13:04:23.123Z"); }

TEST(TimeUtil, Iso8601MatchesTheFormatOverManyInstants) {
  // Against strftime's fields, from before 1970 to past 9999 (printed with more digits).
  EXPECT_EQ(FormatIso8601(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIso8601(253402300799999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIso8601(253402300800000), "10000-01-01T00:00:00.000Z");
  // The extremes a stored value could carry (no overflow on the way): the milliseconds' digits.
  const std::string lowest = FormatIso8601(std::numeric_limits<Millis>::min());
  EXPECT_EQ(lowest.substr(lowest.size() - 5), ".192Z") << lowest;
  const std::string highest = FormatIso8601(std::numeric_limits<Millis>::max());
  EXPECT_EQ(highest.substr(highest.size() - 5), ".807Z") << highest;
  for (Millis t = -86'400'000LL * 400; t < 86'400'000LL * 365 * 200; t += 86'400'000LL * 37 + 3'723'457) {
    std::time_t secs = static_cast<std::time_t>(t / 1000) - (t < 0 && t % 1000 != 0 ? 1 : 0);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char want[48];
    std::strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%S", &tm);
    char ms[8];
    std::snprintf(ms, sizeof ms, ".%03dZ", static_cast<int>(((t % 1000) + 1000) % 1000));
    ASSERT_EQ(FormatIso8601(t), std::string(want) + ms) << t;
  }
}

}  // namespace
}  // namespace muster
