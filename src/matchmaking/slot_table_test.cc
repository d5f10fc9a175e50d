// SlotTable against a reference multimap: random inserts, lookups and erases (with forced hash
// collisions so that probe runs wrap and backward shifts happen), then growth.
#include "matchmaking/slot_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

namespace muster::matchmaking {
namespace {

TEST(SlotTable, AgreesWithAReferenceUnderRandomOperations) {
  for (std::uint64_t hash_bits : {3u, 10u, 32u}) {  // few distinct hashes: long probe runs
    SCOPED_TRACE(hash_bits);
    std::mt19937_64 rng(hash_bits);
    SlotTable table;
    std::multimap<std::uint32_t, std::uint32_t> ref;
    auto hash_of = [&](std::uint32_t slot) {
      std::uint32_t h = SlotTable::Hash(std::to_string(slot));
      return hash_bits >= 32 ? h : (h & ((1u << hash_bits) - 1));
    };
    std::set<std::uint32_t> live;
    for (int step = 0; step < 20000; ++step) {
      std::uint32_t slot = static_cast<std::uint32_t>(rng() % 600);
      std::uint32_t h = hash_of(slot);
      if (rng() % 3 != 0 && !live.count(slot)) {
        table.Insert(h, slot);
        ref.emplace(h, slot);
        live.insert(slot);
      } else {
        bool had = live.erase(slot) > 0;
        EXPECT_EQ(table.Erase(h, slot), had);
        if (had) {
          auto [a, b] = ref.equal_range(h);
          for (auto it = a; it != b; ++it) {
            if (it->second == slot) {
              ref.erase(it);
              break;
            }
          }
        }
      }
      ASSERT_EQ(table.size(), ref.size());
      // Every live slot is found under its hash; a dead one is not.
      std::uint32_t probe = static_cast<std::uint32_t>(rng() % 600);
      std::uint32_t found = table.Find(hash_of(probe), [&](std::uint32_t s) { return s == probe; });
      EXPECT_EQ(found, live.count(probe) ? probe : SlotTable::kNone) << "step " << step;
    }
    for (std::uint32_t s : live) {
      EXPECT_EQ(table.Find(hash_of(s), [&](std::uint32_t x) { return x == s; }), s);
    }
  }
}

TEST(SlotTable, EmptyTableFindsNothing) {
  SlotTable t;
  EXPECT_EQ(t.Find(SlotTable::Hash("x"), [](std::uint32_t) { return true; }), SlotTable::kNone);
  EXPECT_FALSE(t.Erase(SlotTable::Hash("x"), 0));
  t.Insert(SlotTable::Hash("x"), 7);
  EXPECT_EQ(t.Find(SlotTable::Hash("x"), [](std::uint32_t) { return false; }), SlotTable::kNone);  // caller says no
  EXPECT_EQ(t.Find(SlotTable::Hash("x"), [](std::uint32_t s) { return s == 7; }), 7u);
}

}  // namespace
}  // namespace muster::matchmaking
