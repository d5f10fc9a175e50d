#pragma once
// A latency histogram for muster-load: values in microseconds in log-linear buckets (exact below
// 64, then 64 buckets per power of two: under 1.6 % error), cheap to record, merged across
// threads, read by rank.
//
// Thread safety: none; one per thread, merged afterwards.

#include <cstdint>
#include <vector>

namespace muster::load {

class Histogram {
 public:
  Histogram() : counts_(kBuckets, 0) {}

  void Record(std::int64_t value);
  void Merge(const Histogram& other);
  void Clear();

  std::uint64_t count() const { return count_; }
  std::int64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0; }
  // The upper bound of the bucket that holds the value of rank p (0 < p <= 100); 0 when empty.
  std::int64_t Percentile(double p) const;

  static int Bucket(std::uint64_t value);
  static std::uint64_t BucketUpper(int bucket);

 private:
  static constexpr int kBuckets = 64 * 58;  // values up to 2^63
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::int64_t max_ = 0;
  std::int64_t sum_ = 0;
};

}  // namespace muster::load
