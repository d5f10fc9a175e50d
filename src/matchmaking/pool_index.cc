#include "matchmaking/pool_index.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace muster::matchmaking {

std::int64_t PoolIndex::BucketOf(double key) const {
  double b = std::floor(key / width_);
  constexpr double kLimit = 4e18;
  if (!(b > -kLimit)) return static_cast<std::int64_t>(-kLimit);
  if (!(b < kLimit)) return static_cast<std::int64_t>(kLimit);
  return static_cast<std::int64_t>(b);
}

void PoolIndex::Insert(std::uint64_t lane, double key, std::uint32_t slot) {
  Lane& l = lanes_[lane];
  l.buckets[BucketOf(key)].push_back(slot);
  ++l.count;
}

void PoolIndex::Remove(std::uint64_t lane, double key, std::uint32_t slot) {
  auto li = lanes_.find(lane);
  if (li == lanes_.end()) return;
  Lane& l = li->second;
  auto bi = l.buckets.find(BucketOf(key));
  if (bi == l.buckets.end()) return;
  Bucket& b = bi->second;
  auto it = std::find(b.begin(), b.end(), slot);
  if (it == b.end()) return;
  *it = b.back();
  b.pop_back();
  --l.count;
  if (b.empty()) l.buckets.erase(bi);
  if (l.count == 0) lanes_.erase(li);
}

std::size_t PoolIndex::LaneSize(std::uint64_t lane) const {
  auto li = lanes_.find(lane);
  return li == lanes_.end() ? 0 : li->second.count;
}

std::size_t PoolIndex::Gather(std::uint64_t lane, double key, double lo, double hi,
                              bool from_lowest,
                              const std::function<bool(std::uint32_t)>& visit) const {
  auto li = lanes_.find(lane);
  if (li == lanes_.end()) return 0;
  const auto& buckets = li->second.buckets;
  std::size_t visited = 0;
  auto take = [&](const Bucket& b) {
    bool more = true;
    for (std::uint32_t s : b) {
      ++visited;
      more = visit(s) && more;
    }
    return more;
  };
  if (from_lowest) {
    for (const auto& [k, b] : buckets) {
      if (!take(b)) break;
    }
    return visited;
  }
  const std::int64_t lo_b = BucketOf(lo), hi_b = BucketOf(hi);
  auto up = buckets.lower_bound(BucketOf(key));
  auto down = up;
  // Alternate outwards: the side whose next bucket is nearer to `key` goes first.
  while (true) {
    bool can_up = up != buckets.end() && up->first <= hi_b;
    bool can_down = down != buckets.begin() && std::prev(down)->first >= lo_b;
    if (!can_up && !can_down) break;
    bool go_up = can_up;
    if (can_up && can_down) {
      double du = static_cast<double>(up->first) * width_ - key;
      double dd = key - static_cast<double>(std::prev(down)->first + 1) * width_;
      go_up = du <= dd;
    }
    if (go_up) {
      if (!take(up->second)) break;
      ++up;
    } else {
      --down;
      if (!take(down->second)) break;
    }
  }
  return visited;
}

}  // namespace muster::matchmaking
