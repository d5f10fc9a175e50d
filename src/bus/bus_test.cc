#include "bus/bus.h"

#include <gtest/gtest.h>

namespace muster::bus {
namespace {

TEST(Bus, CascadesBreadthFirstAndCollectsWrites) {
  Bus bus;
  std::vector<std::string> seen;
  bus.Subscribe("fleet", [&](const core::Notice& n) {
    seen.push_back("fleet");
    EXPECT_TRUE(std::holds_alternative<core::GameSessionFailed>(n));
    core::Effects fx;
    fx.writes.push_back(store::Write::Upsert(store::Table::kTickets, store::Row{"t", "", "", "{}", 0, 0}));
    fx.notices.push_back(core::PlacementEnded{core::PlacementEnded::Kind::kFailed, "p1", "from fleet"});
    return fx;
  });
  bus.Subscribe("placement", [&](const core::Notice& n) {
    seen.push_back("placement:" + std::get<core::PlacementEnded>(n).reason);
    return core::Effects{};
  });
  core::Effects start;
  start.notices.push_back(core::GameSessionFailed{"p1", "arn", "crashed"});
  start.notices.push_back(core::MatchmakingEvent{});  // nobody listens: delivered to no one, kept
  core::Effects out = bus.Cascade(std::move(start));
  EXPECT_EQ(seen, (std::vector<std::string>{"fleet", "placement:from fleet"}));
  EXPECT_EQ(out.writes.size(), 1u);
  EXPECT_EQ(out.notices.size(), 3u);
}

}  // namespace
}  // namespace muster::bus
