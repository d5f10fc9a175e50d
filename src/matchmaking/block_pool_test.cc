// BlockPool: random allocations and frees of every size class and of large blocks, each block
// filled with its own pattern and checked before it is freed (blocks never overlap), freed
// blocks reused, large and over-aligned blocks passed to the upstream, everything returned when
// the pool goes.
#include "matchmaking/block_pool.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <random>
#include <vector>

namespace muster::matchmaking {
namespace {

// Upstream that counts what is outstanding.
class CountingResource final : public std::pmr::memory_resource {
 public:
  std::size_t outstanding_bytes = 0;
  int outstanding_blocks = 0;

 private:
  void* do_allocate(std::size_t bytes, std::size_t alignment) override {
    outstanding_bytes += bytes;
    ++outstanding_blocks;
    return std::pmr::new_delete_resource()->allocate(bytes, alignment);
  }
  void do_deallocate(void* p, std::size_t bytes, std::size_t alignment) override {
    outstanding_bytes -= bytes;
    --outstanding_blocks;
    std::pmr::new_delete_resource()->deallocate(p, bytes, alignment);
  }
  bool do_is_equal(const std::pmr::memory_resource& o) const noexcept override { return this == &o; }
};

struct Block {
  std::byte* p;
  std::size_t bytes;
  std::size_t alignment;
  unsigned char fill;
};

void Fill(const Block& b) { std::memset(b.p, b.fill, b.bytes); }
bool Intact(const Block& b) {
  for (std::size_t i = 0; i < b.bytes; ++i) {
    if (b.p[i] != std::byte{b.fill}) return false;
  }
  return true;
}

TEST(BlockPool, BlocksNeverOverlapAndKeepTheirContentsUnderRandomUse) {
  CountingResource upstream;
  {
    BlockPool pool(&upstream);
    std::mt19937_64 rng(7);
    std::vector<Block> live;
    for (int step = 0; step < 60000; ++step) {
      if (live.empty() || rng() % 5 < 3) {
        std::size_t bytes = rng() % 8 == 0 ? BlockPool::kLargest + rng() % 3000 : rng() % (BlockPool::kLargest + 1);
        std::size_t alignment = rng() % 50 == 0 ? 64 : std::size_t{1} << (rng() % 5);
        Block b{static_cast<std::byte*>(pool.allocate(bytes, alignment)), bytes, alignment,
                static_cast<unsigned char>(rng())};
        ASSERT_NE(b.p, nullptr);
        ASSERT_EQ(reinterpret_cast<std::uintptr_t>(b.p) % alignment, 0u) << bytes << " " << alignment;
        Fill(b);
        live.push_back(b);
      } else {
        std::size_t i = rng() % live.size();
        ASSERT_TRUE(Intact(live[i])) << "block of " << live[i].bytes << " bytes was overwritten";
        pool.deallocate(live[i].p, live[i].bytes, live[i].alignment);
        live[i] = live.back();
        live.pop_back();
      }
    }
    for (const Block& b : live) {
      ASSERT_TRUE(Intact(b));
      pool.deallocate(b.p, b.bytes, b.alignment);
    }
    // Only slabs remain taken from the upstream once every block is back.
    EXPECT_EQ(upstream.outstanding_bytes % BlockPool::kSlabBytes, 0u);
    EXPECT_EQ(upstream.outstanding_bytes, pool.upstream_bytes());
  }
  EXPECT_EQ(upstream.outstanding_bytes, 0u);
  EXPECT_EQ(upstream.outstanding_blocks, 0);
}

TEST(BlockPool, AFreedBlockIsReusedForItsSizeClassWithoutNewSlabs) {
  CountingResource upstream;
  BlockPool pool(&upstream);
  std::vector<void*> blocks;
  for (int i = 0; i < 1000; ++i) blocks.push_back(pool.allocate(40, 8));  // class of 33..48
  const std::size_t taken = upstream.outstanding_bytes;
  EXPECT_EQ(taken, BlockPool::kSlabBytes);  // 1000 × 48 bytes fit one slab
  for (void* p : blocks) pool.deallocate(p, 40, 8);
  std::map<void*, int> seen;
  for (void* p : blocks) seen[p] = 0;
  for (int i = 0; i < 1000; ++i) {
    void* p = pool.allocate(33 + i % 16, 16);  // any size of the same class
    ASSERT_TRUE(seen.count(p)) << "a new block was carved although freed ones were available";
    EXPECT_EQ(++seen[p], 1);
  }
  EXPECT_EQ(upstream.outstanding_bytes, taken);
}

TEST(BlockPool, LargeAndOverAlignedBlocksGoToTheUpstream) {
  CountingResource upstream;
  BlockPool pool(&upstream);
  void* big = pool.allocate(BlockPool::kLargest + 1, 8);
  EXPECT_EQ(upstream.outstanding_bytes, BlockPool::kLargest + 1);
  void* aligned = pool.allocate(32, 64);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(aligned) % 64, 0u);
  EXPECT_EQ(upstream.outstanding_blocks, 2);
  pool.deallocate(big, BlockPool::kLargest + 1, 8);
  pool.deallocate(aligned, 32, 64);
  EXPECT_EQ(upstream.outstanding_blocks, 0);
  EXPECT_EQ(pool.upstream_bytes(), 0u);
}

}  // namespace
}  // namespace muster::matchmaking
