#include "matchmaking/block_pool.h"

#include <algorithm>
#include <new>

namespace muster::matchmaking {

BlockPool::~BlockPool() {
  for (void* s : slabs_) upstream_->deallocate(s, kSlabBytes, kGranule);
}

void* BlockPool::do_allocate(std::size_t bytes, std::size_t alignment) {
  if (!Pooled(bytes, alignment)) {
    void* p = upstream_->allocate(bytes, alignment);
    upstream_bytes_ += bytes;
    return p;
  }
  const std::size_t cls = ClassOf(bytes);
  if (FreeBlock* b = free_[cls]) {
    free_[cls] = b->next;
    return b;
  }
  const std::size_t size = (cls + 1) * kGranule;
  if (left_ < size) {
    // The rest of the old slab (less than one block of this class) is left unused.
    // Room for the slab's pointer first, so that nothing can throw once it is taken.
    if (slabs_.size() == slabs_.capacity()) slabs_.reserve(std::max<std::size_t>(16, 2 * slabs_.size()));
    void* slab = upstream_->allocate(kSlabBytes, kGranule);
    slabs_.push_back(slab);
    upstream_bytes_ += kSlabBytes;
    cursor_ = static_cast<std::byte*>(slab);
    left_ = kSlabBytes;
  }
  void* p = cursor_;
  cursor_ += size;
  left_ -= size;
  return p;
}

void BlockPool::do_deallocate(void* p, std::size_t bytes, std::size_t alignment) {
  if (!Pooled(bytes, alignment)) {
    upstream_->deallocate(p, bytes, alignment);
    upstream_bytes_ -= bytes;
    return;
  }
  const std::size_t cls = ClassOf(bytes);
  free_[cls] = new (p) FreeBlock{free_[cls]};
}

}  // namespace muster::matchmaking
