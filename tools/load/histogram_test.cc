#include "tools/load/histogram.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace muster::load {
namespace {

TEST(HistogramTest, BucketsAreContinuousAndTight) {
  for (std::uint64_t v = 0; v < 64; ++v) {
    EXPECT_EQ(Histogram::Bucket(v), static_cast<int>(v));
    EXPECT_EQ(Histogram::BucketUpper(static_cast<int>(v)), v);
  }
  // Every value lands in a bucket whose bounds hold it, within 1.6 %.
  for (std::uint64_t v : {64ULL, 65ULL, 127ULL, 128ULL, 1000ULL, 4095ULL, 4096ULL, 123456789ULL,
                          (1ULL << 62) + 12345}) {
    const int b = Histogram::Bucket(v);
    EXPECT_GE(Histogram::BucketUpper(b), v);
    EXPECT_LT(Histogram::BucketUpper(b - 1), v);
    EXPECT_LE(static_cast<double>(Histogram::BucketUpper(b) - v), static_cast<double>(v) * 0.016);
  }
}

TEST(HistogramTest, PercentilesByRank) {
  Histogram h;
  EXPECT_EQ(h.Percentile(50), 0);
  for (int v = 1; v <= 1000; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_EQ(h.max(), 1000);
  EXPECT_NEAR(h.Percentile(50), 500, 8);
  EXPECT_NEAR(h.Percentile(99), 990, 16);
  EXPECT_EQ(h.Percentile(100), 1000);
  EXPECT_DOUBLE_EQ(h.mean(), 500.5);
}

TEST(HistogramTest, MergeAddsCounts) {
  Histogram a, b;
  a.Record(10);
  b.Record(20);
  b.Record(-5);  // clamped to 0
  a.Merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.max(), 20);
  EXPECT_EQ(a.Percentile(1), 0);
  a.Clear();
  EXPECT_EQ(a.count(), 0u);
}

}  // namespace
}  // namespace muster::load
