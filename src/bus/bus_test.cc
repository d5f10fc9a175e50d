#include "bus/bus.h"

#include <gtest/gtest.h>

namespace muster::bus {
namespace {

TEST(Bus, CascadesBreadthFirstAndCollectsWrites) {
  Bus bus;
  std::vector<std::string> seen;
  bus.Subscribe("a", [&](const core::Notice& n) {
    seen.push_back("a");
    core::Effects fx;
    fx.writes.push_back(store::Write::Upsert(store::Table::kTickets, store::Row{"t", "", "", "{}", 0, 0}));
    fx.notices.push_back({"b", json::object{{"from", "a"}}});
    return fx;
  });
  bus.Subscribe("b", [&](const core::Notice& n) {
    seen.push_back("b:" + std::string(n.body.at("from").as_string()));
    return core::Effects{};
  });
  core::Effects start;
  start.notices.push_back({"a", {}});
  start.notices.push_back({"c", {}});  // nobody listens: delivered to no one, kept
  core::Effects out = bus.Cascade(std::move(start));
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b:a"}));
  EXPECT_EQ(out.writes.size(), 1u);
  EXPECT_EQ(out.notices.size(), 3u);
}

}  // namespace
}  // namespace muster::bus
