#include "tools/sim/reference.h"

#include <gtest/gtest.h>

#include "tools/sim/sim_test_util.h"

namespace muster::sim {
namespace {

TicketRecord T(Millis arrival, std::vector<double> skills, int region = 0, std::string partition = "") {
  TicketRecord t;
  t.arrival = arrival;
  t.skills = std::move(skills);
  t.home_region = region;
  t.partition = std::move(partition);
  return t;
}

ReferenceParams Params(Millis window, std::vector<int> teams = {2, 2}, bool by_region = false) {
  ReferenceParams p;
  p.window_ms = window;
  p.request_timeout_ms = 60'000;
  p.team_sizes = std::move(teams);
  p.by_region = by_region;
  return p;
}

TEST(Reference, SortsByskillAndCutsConsecutiveGroups) {
  // Eight players in one window: sorted 1,2,3,4 | 100,101,102,103.
  std::vector<TicketRecord> t;
  for (double s : {100.0, 1.0, 101.0, 2.0, 102.0, 3.0, 103.0, 4.0}) t.push_back(T(0, {s}));
  ReferenceResult r = RunReference(t, Params(1000));
  EXPECT_EQ(r.matches, 2);
  EXPECT_EQ(r.matched, 8);
  EXPECT_DOUBLE_EQ(r.mean_spread, 3);
  EXPECT_DOUBLE_EQ(r.mean_wait_ms, 1000);  // all arrived at 0, matched at the window's end
  // Greedy balance: {4,1} vs {3,2} -> averages 2.5 and 2.5.
  EXPECT_DOUBLE_EQ(r.mean_team_gap, 0);
}

TEST(Reference, LeftoversWaitForTheNextWindowAndTimeOut) {
  std::vector<TicketRecord> t = {T(0, {1}), T(0, {2}), T(0, {3}), T(1500, {4})};
  ReferenceResult r = RunReference(t, Params(1000));
  EXPECT_EQ(r.matches, 1);
  EXPECT_DOUBLE_EQ(r.mean_wait_ms, (2000 + 2000 + 2000 + 500) / 4.0);

  std::vector<TicketRecord> lonely = {T(0, {1})};
  ReferenceParams p = Params(1000);
  p.request_timeout_ms = 5000;
  r = RunReference(lonely, p);
  EXPECT_EQ(r.matches, 0);
  EXPECT_EQ(r.timed_out, 1);
}

TEST(Reference, PartiesStayWholeAndPoolsFollowRegionsAndPartitions) {
  // A party of 3 fits no team of 2: it never matches.
  std::vector<TicketRecord> t = {T(0, {1, 2, 3}), T(0, {4}), T(0, {5}), T(0, {6}), T(0, {7})};
  ReferenceParams p = Params(1000);
  p.request_timeout_ms = 3000;
  ReferenceResult r = RunReference(t, p);
  EXPECT_EQ(r.matches, 1);
  EXPECT_EQ(r.timed_out, 1);

  std::vector<TicketRecord> split = {T(0, {1}, 0), T(0, {2}, 1), T(0, {3}, 0), T(0, {4}, 1)};
  EXPECT_EQ(RunReference(split, Params(1000, {1, 1}, /*by_region=*/true)).matches, 2);
  r = RunReference(split, Params(1000, {1, 1}, true));
  EXPECT_DOUBLE_EQ(r.mean_spread, 2);  // {1,3} and {2,4}
  r = RunReference(split, Params(1000, {1, 1}, false));
  EXPECT_DOUBLE_EQ(r.mean_spread, 1);  // {1,2} and {3,4}

  std::vector<TicketRecord> modes = {T(0, {1}, 0, "a"), T(0, {2}, 0, "b"), T(0, {3}, 0, "a"), T(0, {4}, 0, "b")};
  EXPECT_DOUBLE_EQ(RunReference(modes, Params(1000, {1, 1})).mean_spread, 2);
}

TEST(Reference, ParamsForARuleSet) {
  auto rules = testing::Rules(testing::k2v2);
  ReferenceParams p = ReferenceParamsFor(*rules, 9000);
  EXPECT_EQ(p.team_sizes, (std::vector<int>{2, 2}));
  EXPECT_TRUE(p.by_region);
  EXPECT_EQ(p.request_timeout_ms, 9000);
}

TEST(Reference, CompareFindsTheWindowOfEqualMeanWait) {
  // Steady arrivals, one every 100 ms, skills cycling.
  std::vector<TicketRecord> t;
  for (int i = 0; i < 2000; ++i) {
    TicketRecord r = T(i * 100, {static_cast<double>((i * 37) % 1000)});
    r.outcome = TicketOutcome::kMatched;
    r.end = r.arrival + 4000;  // every online ticket waited 4 s
    t.push_back(r);
  }
  MatchRecord m;
  m.skill_spread = 50;
  std::vector<MatchRecord> online(500, m);
  Comparison c = CompareAtEqualWait(t, online, Params(1000));
  EXPECT_DOUBLE_EQ(c.online_mean_wait_ms, 4000);
  EXPECT_TRUE(c.wait_matched);
  EXPECT_NEAR(c.reference.mean_wait_ms, 4000, 40);
  EXPECT_GT(c.reference.mean_spread, 0);
  EXPECT_DOUBLE_EQ(c.spread_ratio, 50 / c.reference.mean_spread);
  EXPECT_EQ(c.within_10_percent, c.spread_ratio <= 1.10);
  ASSERT_GT(c.curve.size(), 5u);
  // Longer windows: longer waits, tighter matches.
  EXPECT_LT(c.curve.front().mean_wait_ms, c.curve.back().mean_wait_ms);
  EXPECT_GT(c.curve.front().mean_spread, c.curve.back().mean_spread);
}

TEST(Reference, CompareReportsWhenTheReferenceCannotWaitThatLittle) {
  std::vector<TicketRecord> t;
  for (int i = 0; i < 40; ++i) {
    TicketRecord r = T(i * 1000, {static_cast<double>(i)});
    r.outcome = TicketOutcome::kMatched;
    r.end = r.arrival;  // online matched instantly
    t.push_back(r);
  }
  Comparison c = CompareAtEqualWait(t, {MatchRecord{}}, Params(1000));
  EXPECT_FALSE(c.wait_matched);
  EXPECT_GT(c.reference.mean_wait_ms, 0);
}

}  // namespace
}  // namespace muster::sim
