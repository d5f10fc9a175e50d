#include "common/time_util.h"

#include <cstdint>
#include <cstdio>

namespace muster {

namespace {
// Calendar arithmetic on the proleptic Gregorian calendar, in 400-year eras of 146,097 days, with
// years counted from March (so that February's leap day ends a year). gmtime_r and timegm took
// glibc's time zone lock on every call, from the loops (each request's X-Amz-Date) and the
// matchmaking thread (each event's times) alike.
struct Civil {
  std::int64_t year;
  int month;  // 1..12
  int day;    // 1..31
};

constexpr std::int64_t kDaysPerEra = 146'097;
constexpr std::int64_t kEpochShift = 719'468;  // days from 0000-03-01 to 1970-01-01

constexpr std::int64_t FloorDiv(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

constexpr Civil CivilFromDays(std::int64_t days) {
  const std::int64_t z = days + kEpochShift;
  const std::int64_t era = FloorDiv(z, kDaysPerEra);
  const std::int64_t doe = z - era * kDaysPerEra;                               // 0..146096
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // 0..399
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);             // 0..365
  const std::int64_t mp = (5 * doy + 2) / 153;                                  // 0 = March
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

// Days since 1970-01-01 of year-month-day; a day past the month's end runs into the next month
// (as timegm normalises it).
constexpr std::int64_t DaysFromCivil(std::int64_t year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = FloorDiv(year, 400);
  const std::int64_t yoe = year - era * 400;
  const std::int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * kDaysPerEra + doe - kEpochShift;
}

static_assert(DaysFromCivil(1970, 1, 1) == 0);
static_assert(DaysFromCivil(2000, 3, 1) == 11'017);
static_assert(CivilFromDays(-1).year == 1969 && CivilFromDays(-1).month == 12 && CivilFromDays(-1).day == 31);

struct Fields {
  std::int64_t year;
  int month, day, hour, minute, second, millis;
};

Fields Split(Millis t) {
  const std::int64_t secs = FloorDiv(t, 1000);
  const std::int64_t days = FloorDiv(secs, 86'400);
  const auto in_day = static_cast<int>(secs - days * 86'400);
  const Civil c = CivilFromDays(days);
  return {c.year, c.month, c.day, in_day / 3600, in_day / 60 % 60, in_day % 60,
          static_cast<int>(t % 1000 < 0 ? t % 1000 + 1000 : t % 1000)};
}
}  // namespace

std::string FormatAmzDate(Millis t) {
  const Fields f = Split(t);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld%02d%02dT%02d%02d%02dZ", static_cast<long long>(f.year), f.month,
                f.day, f.hour, f.minute, f.second);
  return buf;
}

std::optional<Millis> ParseAmzDate(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  for (std::size_t i : {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14}) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  }
  auto num = [&](std::size_t pos, std::size_t len) {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  const int year = num(0, 4), month = num(4, 2), day = num(6, 2);
  const int hour = num(9, 2), minute = num(11, 2), second = num(13, 2);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  const std::int64_t secs = DaysFromCivil(year, month, day) * 86'400 + hour * 3600 + minute * 60 + second;
  return static_cast<Millis>(secs) * 1000;
}

std::string FormatIso8601(Millis t) {
  const Fields f = Split(t);
  if (f.year < 0 || f.year > 9999) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", static_cast<long long>(f.year),
                  f.month, f.day, f.hour, f.minute, f.second, f.millis);
    return buf;
  }
  const int year = static_cast<int>(f.year);
  // Digits by hand: every event carries two or more of these (snprintf was 1.5% of intake's CPU).
  std::string out = "0000-00-00T00:00:00.000Z";
  auto put = [&out](std::size_t at, int v, int digits) {
    for (int i = digits - 1; i >= 0; --i, v /= 10) {
      out[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + v % 10);
    }
  };
  put(0, year, 4);
  put(5, f.month, 2);
  put(8, f.day, 2);
  put(11, f.hour, 2);
  put(14, f.minute, 2);
  put(17, f.second, 2);
  put(20, f.millis, 3);
  return out;
}

double EpochSeconds(Millis t) { return static_cast<double>(t) / 1000.0; }

}  // namespace muster
