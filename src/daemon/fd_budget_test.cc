#include "daemon/fd_budget.h"

#include <gtest/gtest.h>

namespace muster::daemon {
namespace {

TEST(FitConnections, KeepsWhatFitsAndSaysWhenItCut) {
  // 20,000 descriptors, 3 listeners asking 10,000 each: they would need 30,000.
  ConnectionBudget b = FitConnections(20'000, 576, 3, 10'000);
  EXPECT_EQ(b.per_listener, 6474u);
  EXPECT_TRUE(b.reduced);
  EXPECT_LE(3 * b.per_listener + 576, 20'000u);
  // Plenty of descriptors: what was asked.
  b = FitConnections(1'048'576, 576, 3, 10'000);
  EXPECT_EQ(b.per_listener, 10'000u);
  EXPECT_FALSE(b.reduced);
  // A limit below the reserve leaves nothing.
  b = FitConnections(100, 576, 2, 10'000);
  EXPECT_EQ(b.per_listener, 0u);
  EXPECT_TRUE(b.reduced);
}

TEST(RaiseOpenFileLimit, ReturnsTheSoftLimitInForce) {
  std::size_t limit = RaiseOpenFileLimit();
  EXPECT_GE(limit, 64u);
  EXPECT_EQ(RaiseOpenFileLimit(), limit);  // idempotent
}

}  // namespace
}  // namespace muster::daemon
