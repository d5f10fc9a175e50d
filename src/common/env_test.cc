#include "common/env.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace muster {
namespace {

TEST(SeededRandomTest, TheSameSeedGivesTheSameStream) {
  SeededRandom a(42), b(42), c(43);
  std::string x = a.Bytes(100), y = b.Bytes(100), z = c.Bytes(100);
  EXPECT_EQ(x, y);
  EXPECT_NE(x, z);
  EXPECT_EQ(a.Uuid4(), b.Uuid4());
  // Lengths that are not a multiple of 8 stay in step too.
  std::string first = a.Bytes(3);
  first += a.Bytes(13);
  EXPECT_EQ(first, b.Bytes(16));
}

TEST(SeededRandomTest, BytesAreSpreadOverEveryValue) {
  SeededRandom r(7);
  std::string bytes = r.Bytes(256 * 64);
  std::set<unsigned char> seen(bytes.begin(), bytes.end());
  EXPECT_EQ(seen.size(), 256u);
}

TEST(RandomTest, Uuid4HasTheVersionAndVariantBits) {
  const std::regex shape("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  SeededRandom seeded(1);
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(std::regex_match(seeded.Uuid4(), shape));
    EXPECT_TRUE(std::regex_match(SystemRandom::Instance().Uuid4(), shape));
  }
}

TEST(RandomTest, SystemRandomDoesNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(SystemRandom::Instance().Bytes(16));
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(EnvTest, ReadsItsClock) {
  ManualClock clock(1234);
  SeededRandom random(1);
  Env env{clock, random};
  EXPECT_EQ(env.Now(), 1234);
  clock.Advance(5);
  EXPECT_EQ(env.Now(), 1239);
}

}  // namespace
}  // namespace muster
