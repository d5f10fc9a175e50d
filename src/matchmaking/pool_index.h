#pragma once
// The matcher's ticket index: for each lane (a partition of tickets that may share a match, e.g.
// one region under the latency rule and one value of the string batchDistance attributes) the
// tickets bucketed by a numeric key (the first batchDistance or sort attribute, or the start
// time). Insert and Remove touch one bucket; Gather walks the buckets nearest to a key.
// Entries are small ticket slot numbers owned by the Matcher.
//
// Thread safety: none; owned by one Matcher.

#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>
#include <vector>

namespace muster::matchmaking {

class PoolIndex {
 public:
  // `width` is the key span of one bucket (> 0).
  explicit PoolIndex(double width) : width_(width > 0 ? width : 1) {}

  void Insert(std::uint64_t lane, double key, std::uint32_t slot);
  void Remove(std::uint64_t lane, double key, std::uint32_t slot);
  std::size_t LaneSize(std::uint64_t lane) const;

  // Calls `visit(slot)` for the lane's tickets whose bucket may hold keys in [lo, hi], nearest
  // buckets to `key` first (or, with from_lowest, lowest keys first), until `visit` returns false
  // after a whole bucket. Returns the number of entries visited.
  std::size_t Gather(std::uint64_t lane, double key, double lo, double hi, bool from_lowest,
                     const std::function<bool(std::uint32_t)>& visit) const;

  // Bytes held by the index's own containers (approximate; for the memory benchmark).
  std::size_t lanes() const { return lanes_.size(); }

 private:
  using Bucket = std::vector<std::uint32_t>;
  struct Lane {
    std::map<std::int64_t, Bucket> buckets;
    std::size_t count = 0;
  };
  std::int64_t BucketOf(double key) const;

  double width_;
  std::unordered_map<std::uint64_t, Lane> lanes_;
};

}  // namespace muster::matchmaking
