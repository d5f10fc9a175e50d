#include "tools/load/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace muster::load {

int Histogram::Bucket(std::uint64_t v) {
  if (v < 64) return static_cast<int>(v);
  const int msb = 63 - std::countl_zero(v);  // >= 6
  const int sub = static_cast<int>((v >> (msb - 6)) & 63);
  return (msb - 5) * 64 + sub;
}

std::uint64_t Histogram::BucketUpper(int b) {
  if (b < 64) return static_cast<std::uint64_t>(b);
  const int msb = b / 64 + 5;
  const std::uint64_t sub = static_cast<std::uint64_t>(b % 64);
  const std::uint64_t lower = (64 + sub) << (msb - 6);
  return lower + ((std::uint64_t{1} << (msb - 6)) - 1);
}

void Histogram::Record(std::int64_t value) {
  if (value < 0) value = 0;
  ++counts_[Bucket(static_cast<std::uint64_t>(value))];
  ++count_;
  sum_ += value;
  max_ = std::max(max_, value);
}

void Histogram::Merge(const Histogram& o) {
  for (int i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
  count_ += o.count_;
  sum_ += o.sum_;
  max_ = std::max(max_, o.max_);
}

void Histogram::Clear() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  sum_ = 0;
  max_ = 0;
}

std::int64_t Histogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(
      std::max(1.0, std::ceil(p / 100.0 * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      return std::min<std::int64_t>(static_cast<std::int64_t>(BucketUpper(i)), max_);
    }
  }
  return max_;
}

}  // namespace muster::load
