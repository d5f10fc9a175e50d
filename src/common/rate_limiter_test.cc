#include "common/rate_limiter.h"

#include <gtest/gtest.h>

namespace muster {
namespace {

TEST(RateLimiter, BurstThenRefillPerKey) {
  RateLimiter limiter({/*per_minute=*/6, /*burst=*/3});
  Millis t = 1'000'000;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Allow("a", t)) << i;
  EXPECT_FALSE(limiter.Allow("a", t));
  EXPECT_EQ(limiter.RetryAfterSeconds("a", t), 10);
  EXPECT_TRUE(limiter.Allow("b", t));  // another key has its own bucket
  EXPECT_FALSE(limiter.Allow("a", t + 9'999));
  EXPECT_TRUE(limiter.Allow("a", t + 10'000));  // 6 a minute: one every 10 s
  EXPECT_FALSE(limiter.Allow("a", t + 10'000));
  // A long pause refills up to the burst, no further.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Allow("a", t + 3'600'000)) << i;
  EXPECT_FALSE(limiter.Allow("a", t + 3'600'000));
}

TEST(RateLimiter, ZeroRateMeansNoLimit) {
  RateLimiter limiter({0, 1});
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter.Allow("a", 0));
  EXPECT_EQ(limiter.size(), 0u);
}

TEST(RateLimiter, MemoryIsBoundedAndOverflowKeysShareOneBucket) {
  RateLimiter limiter({/*per_minute=*/1, /*burst=*/2}, /*max_keys=*/4);
  Millis t = 0;
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(limiter.Allow("k" + std::to_string(i), t));
  EXPECT_EQ(limiter.size(), 4u);
  // The table is full and no bucket has refilled: newcomers share the overflow bucket.
  EXPECT_TRUE(limiter.Allow("x1", t));
  EXPECT_TRUE(limiter.Allow("x2", t));
  EXPECT_FALSE(limiter.Allow("x3", t));
  EXPECT_EQ(limiter.size(), 4u);
  // Once buckets have refilled they are dropped and new keys get their own again.
  EXPECT_TRUE(limiter.Allow("y", t + 10 * 60'000));
  EXPECT_LE(limiter.size(), 4u);
  EXPECT_TRUE(limiter.Allow("y", t + 10 * 60'000));
}

TEST(RateLimiter, AFullTableIsSweptAtMostOnceASecond) {
  RateLimiter limiter({/*per_minute=*/60'000, /*burst=*/1}, /*max_keys=*/2);
  EXPECT_TRUE(limiter.Allow("a", 0));
  EXPECT_TRUE(limiter.Allow("b", 0));
  EXPECT_TRUE(limiter.Allow("c", 0));  // swept (nothing had refilled): the overflow bucket
  // a and b refill within a millisecond, but the next sweep waits: newcomers share the overflow.
  EXPECT_TRUE(limiter.Allow("d", 10));
  EXPECT_EQ(limiter.size(), 2u);  // a and b are still there: d did not sweep
  // A second later the sweep drops the refilled buckets and newcomers get their own.
  EXPECT_TRUE(limiter.Allow("e", 1000));
  EXPECT_TRUE(limiter.Allow("f", 1000));
  EXPECT_EQ(limiter.size(), 2u);
}

TEST(ClientKey, Ipv4AsIsIpv6ByItsSlash64) {
  EXPECT_EQ(ClientKey("203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(ClientKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(ClientKey("2001:db8:1:2::1"), ClientKey("2001:db8:1:2:ffff::"));
  EXPECT_NE(ClientKey("2001:db8:1:2::1"), ClientKey("2001:db8:1:3::1"));
  EXPECT_EQ(ClientKey("::ffff:198.51.100.7"), "198.51.100.7");
  EXPECT_EQ(ClientKey("not an address"), "not an address");
}

}  // namespace
}  // namespace muster
