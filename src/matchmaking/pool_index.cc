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

std::size_t PoolIndex::LowerBound(const Lane& l, std::int64_t id) {
  return static_cast<std::size_t>(std::lower_bound(l.ids.begin(), l.ids.end(), id) - l.ids.begin());
}

void PoolIndex::DropEmptyBuckets(Lane* l) {
  std::size_t w = 0;
  for (std::size_t i = 0; i < l->ids.size(); ++i) {
    if (l->buckets[i].empty()) continue;
    if (w != i) {
      l->ids[w] = l->ids[i];
      l->buckets[w] = std::move(l->buckets[i]);
    }
    ++w;
  }
  l->ids.resize(w);
  l->buckets.resize(w);
  l->empty = 0;
}

void PoolIndex::Insert(std::uint64_t lane, const Entry& e) {
  Lane& l = lanes_[lane];
  const std::int64_t id = BucketOf(e.key);
  std::size_t i = LowerBound(l, id);
  if (i == l.ids.size() || l.ids[i] != id) {
    l.ids.insert(l.ids.begin() + static_cast<std::ptrdiff_t>(i), id);
    l.buckets.insert(l.buckets.begin() + static_cast<std::ptrdiff_t>(i), Bucket{});
  } else if (l.buckets[i].empty()) {
    --l.empty;
  }
  l.buckets[i].push_back(e);
  ++l.count;
}

void PoolIndex::Remove(std::uint64_t lane, double key, std::uint32_t slot) {
  auto li = lanes_.find(lane);
  if (li == lanes_.end()) return;
  Lane& l = li->second;
  const std::int64_t id = BucketOf(key);
  std::size_t i = LowerBound(l, id);
  if (i == l.ids.size() || l.ids[i] != id) return;
  Bucket& b = l.buckets[i];
  auto it = std::find_if(b.begin(), b.end(), [slot](const Entry& e) { return e.slot == slot; });
  if (it == b.end()) return;
  *it = b.back();
  b.pop_back();
  --l.count;
  if (l.count == 0) {
    lanes_.erase(li);
    return;
  }
  if (b.empty()) {
    b.shrink_to_fit();
    if (++l.empty > 16 && l.empty > l.ids.size() / 2) DropEmptyBuckets(&l);
  }
}

std::size_t PoolIndex::LaneSize(std::uint64_t lane) const {
  auto li = lanes_.find(lane);
  return li == lanes_.end() ? 0 : li->second.count;
}

}  // namespace muster::matchmaking
