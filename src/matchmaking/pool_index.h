#pragma once
// The matcher's ticket index: for each lane (a partition of tickets that may share a match, e.g.
// one region under the latency rule and one value of the string batchDistance attributes) the
// tickets bucketed by a numeric key (the first batchDistance or sort attribute, or the start
// time). A lane keeps its bucket ids in one sorted array (binary search, no tree); a bucket
// that empties stays until empty ones outnumber the rest, then they are dropped together.
// Insert and Remove touch one bucket; Gather walks the buckets nearest to a key.
// Entries carry what candidate filtering needs (key, expansion level, latency in the lane's
// region, party size, backfill) so that gathering does not read the tickets themselves; slots
// are small ticket numbers owned by the Matcher.
//
// Thread safety: none; owned by one Matcher.

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace muster::matchmaking {

class PoolIndex {
 public:
  struct Entry {
    double key = 0;
    std::uint32_t slot = 0;
    std::int32_t ms = -1;      // latency in the lane's region (-1: not a region lane)
    std::int32_t level = 0;    // expansion level the ticket is indexed at
    std::uint16_t players = 0;
    bool backfill = false;
  };

  // `width` is the key span of one bucket (> 0).
  explicit PoolIndex(double width) : width_(width > 0 ? width : 1) {}

  void Insert(std::uint64_t lane, const Entry& e);
  void Remove(std::uint64_t lane, double key, std::uint32_t slot);
  std::size_t LaneSize(std::uint64_t lane) const;

  // Calls `visit(entry)` for the lane's tickets whose bucket may hold keys in [lo, hi], nearest
  // buckets to `key` first (or, with from_lowest, lowest keys first), until `visit` returns false
  // after a whole bucket. Returns the number of entries visited.
  template <typename Visit>
  std::size_t Gather(std::uint64_t lane, double key, double lo, double hi, bool from_lowest,
                     Visit&& visit) const;

  std::size_t lanes() const { return lanes_.size(); }

 private:
  using Bucket = std::vector<Entry>;
  struct Lane {
    std::vector<std::int64_t> ids;  // ascending
    std::vector<Bucket> buckets;    // parallel to ids; some may be empty
    std::size_t count = 0;
    std::size_t empty = 0;
  };
  std::int64_t BucketOf(double key) const;
  static std::size_t LowerBound(const Lane& l, std::int64_t id);
  static void DropEmptyBuckets(Lane* l);

  double width_;
  std::unordered_map<std::uint64_t, Lane> lanes_;
};

template <typename Visit>
std::size_t PoolIndex::Gather(std::uint64_t lane, double key, double lo, double hi,
                              bool from_lowest, Visit&& visit) const {
  auto li = lanes_.find(lane);
  if (li == lanes_.end()) return 0;
  const Lane& l = li->second;
  std::size_t visited = 0;
  auto take = [&](const Bucket& b) {
    bool more = true;
    for (const Entry& e : b) more = visit(e) && more;
    visited += b.size();
    return more;
  };
  const std::size_t n = l.ids.size();
  if (from_lowest) {
    for (std::size_t i = 0; i < n; ++i) {
      if (!take(l.buckets[i])) break;
    }
    return visited;
  }
  const std::int64_t lo_b = BucketOf(lo), hi_b = BucketOf(hi);
  std::size_t up = LowerBound(l, BucketOf(key));
  std::size_t down = up;
  // Alternate outwards: the side whose next bucket is nearer to `key` goes first.
  while (true) {
    bool can_up = up != n && l.ids[up] <= hi_b;
    bool can_down = down != 0 && l.ids[down - 1] >= lo_b;
    if (!can_up && !can_down) break;
    bool go_up = can_up;
    if (can_up && can_down) {
      double du = static_cast<double>(l.ids[up]) * width_ - key;
      double dd = key - static_cast<double>(l.ids[down - 1] + 1) * width_;
      go_up = du <= dd;
    }
    if (go_up) {
      if (!take(l.buckets[up])) break;
      ++up;
    } else {
      --down;
      if (!take(l.buckets[down])) break;
    }
  }
  return visited;
}

}  // namespace muster::matchmaking
