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

void PoolIndex::Insert(std::uint64_t lane, const Entry& e) {
  Lane& l = lanes_[lane];
  l.buckets[BucketOf(e.key)].push_back(e);
  ++l.count;
}

void PoolIndex::Remove(std::uint64_t lane, double key, std::uint32_t slot) {
  auto li = lanes_.find(lane);
  if (li == lanes_.end()) return;
  Lane& l = li->second;
  auto bi = l.buckets.find(BucketOf(key));
  if (bi == l.buckets.end()) return;
  Bucket& b = bi->second;
  auto it = std::find_if(b.begin(), b.end(), [slot](const Entry& e) { return e.slot == slot; });
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

}  // namespace muster::matchmaking
