#pragma once
// The matcher's memory for its tickets: small blocks in 16-byte size classes, carved from 64 KiB
// slabs, each class with its own free list. Allocating and freeing are a few instructions and
// touch only the block itself: no headers, no coalescing with neighbours (the general allocator
// merges freed neighbours, and a match frees hundreds of blocks spread over a heap of 100k+
// tickets). Blocks larger than kLargest, or more aligned than 16, go to the upstream resource.
// Freed blocks are kept for reuse and return to the upstream only when the pool goes: the pool
// holds as much as the most tickets it ever held.
//
// Thread safety: none; owned by one Matcher.

#include <array>
#include <cstddef>
#include <memory_resource>
#include <vector>

namespace muster::matchmaking {

class BlockPool final : public std::pmr::memory_resource {
 public:
  static constexpr std::size_t kGranule = 16;
  static constexpr std::size_t kLargest = 1024;
  static constexpr std::size_t kSlabBytes = 64 * 1024;

  explicit BlockPool(std::pmr::memory_resource* upstream = std::pmr::new_delete_resource())
      : upstream_(upstream) {}
  ~BlockPool() override;
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  // Bytes taken from the upstream (slabs and large blocks).
  std::size_t upstream_bytes() const { return upstream_bytes_; }

 private:
  struct FreeBlock {
    FreeBlock* next;
  };
  void* do_allocate(std::size_t bytes, std::size_t alignment) override;
  void do_deallocate(void* p, std::size_t bytes, std::size_t alignment) override;
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }
  static bool Pooled(std::size_t bytes, std::size_t alignment) {
    return bytes <= kLargest && alignment <= kGranule;
  }
  static std::size_t ClassOf(std::size_t bytes) {
    return bytes == 0 ? 0 : (bytes - 1) / kGranule;
  }

  std::pmr::memory_resource* upstream_;
  std::array<FreeBlock*, kLargest / kGranule> free_{};
  std::vector<void*> slabs_;
  std::byte* cursor_ = nullptr;  // unused part of the newest slab
  std::size_t left_ = 0;
  std::size_t upstream_bytes_ = 0;
};

}  // namespace muster::matchmaking
