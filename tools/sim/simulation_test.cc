#include "tools/sim/simulation.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tools/sim/sim_test_util.h"
#include "tools/sim/stats.h"

namespace muster::sim {
namespace {

using testing::Rules;
using testing::ScriptedSource;

constexpr Millis kT = kSimEpoch;

SimOptions Options(Millis duration, Millis timeout, bool drain = true) {
  SimOptions o;
  o.duration_ms = duration;
  o.request_timeout_ms = timeout;
  o.drain = drain;
  return o;
}

TEST(Simulation, FourClosePlayersMakeOneMatchWhenTheFourthArrives) {
  ScriptedSource src;
  src.Solo(kT + 100, 1000);
  src.Solo(kT + 200, 1010);
  src.Solo(kT + 300, 1020);
  src.Solo(kT + 1300, 1030);
  Simulation sim(Rules(testing::k2v2), Options(10'000, 60'000));
  auto out = sim.Run(src);
  ASSERT_TRUE(out.ok()) << out.error().message;
  ASSERT_EQ(out->matches.size(), 1u);
  const MatchRecord& m = out->matches[0];
  EXPECT_EQ(m.time, kT + 1300);
  EXPECT_EQ(m.players(), 4);
  EXPECT_DOUBLE_EQ(m.skill_spread, 30);
  EXPECT_EQ(m.team_skills.size(), 2u);
  EXPECT_EQ(m.team_skills[0].size(), 2u);
  // Waits 1200, 1100, 1000, 0.
  EXPECT_DOUBLE_EQ(m.mean_wait_ms, 825);
  for (const auto& t : out->tickets) EXPECT_EQ(t.outcome, TicketOutcome::kMatched);
  Summary s = Summarize(*out);
  EXPECT_EQ(s.matched, 4);
  EXPECT_DOUBLE_EQ(s.wait_s.max, 1.2);
  EXPECT_DOUBLE_EQ(s.wait_s.p50, 1.0);
}

TEST(Simulation, ExpansionWakesTheMatcherWithoutAnArrival) {
  // Skill 1000..1250 is too wide at first (100) and fits after the 5 s expansion (300).
  ScriptedSource src;
  src.Solo(kT, 1000);
  src.Solo(kT, 1100);
  src.Solo(kT, 1200);
  src.Solo(kT, 1250);
  Simulation sim(Rules(testing::k2v2), Options(1000, 60'000));
  auto out = sim.Run(src);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->matches.size(), 1u);
  EXPECT_EQ(out->matches[0].time, kT + 5000);
  EXPECT_DOUBLE_EQ(out->matches[0].skill_spread, 250);
}

TEST(Simulation, UnmatchedTicketsTimeOutAtTheirDeadline) {
  ScriptedSource src;
  src.Solo(kT, 1000);
  src.Solo(kT + 500, 1000);
  Simulation sim(Rules(testing::k2v2), Options(1000, 30'000));
  auto out = sim.Run(src);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->matches.empty());
  ASSERT_EQ(out->tickets.size(), 2u);
  EXPECT_EQ(out->tickets[0].outcome, TicketOutcome::kTimedOut);
  EXPECT_EQ(out->tickets[0].end, kT + 30'000);
  EXPECT_EQ(out->tickets[1].end, kT + 30'500);
  Summary s = Summarize(*out);
  EXPECT_EQ(s.timed_out, 2);
  EXPECT_DOUBLE_EQ(s.timed_out_share, 1.0);
  EXPECT_EQ(s.wait_s.count, 0);
}

TEST(Simulation, WithoutDrainTheRestIsStillSearching) {
  ScriptedSource src;
  src.Solo(kT, 1000);
  Simulation sim(Rules(testing::k2v2), Options(1000, 30'000, /*drain=*/false));
  auto out = sim.Run(src);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->tickets[0].outcome, TicketOutcome::kSearching);
  EXPECT_EQ(out->end, kT + 1000);
  EXPECT_EQ(Summarize(*out).searching, 1);
}

TEST(Simulation, PlayersInDifferentRegionsDoNotMatchOverTheLatencyRule) {
  ScriptedSource src;
  src.Solo(kT, 1000, "r1");
  src.Solo(kT, 1000, "r1");
  src.Solo(kT, 1000, "r2");
  src.Solo(kT, 1000, "r2");
  Simulation sim(Rules(testing::k2v2), Options(1000, 10'000));
  auto out = sim.Run(src);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->matches.empty());
}

TEST(Simulation, RefusedTicketIsAnErrorNamingIt) {
  auto rules = Rules(testing::k2v2);
  // A second arrival reusing player id p0 is refused by the matcher.
  class Dup : public ArrivalSource {
   public:
    std::optional<Arrival> Next() override {
      if (n_ == 2) return std::nullopt;
      Arrival a;
      a.time = kT;
      a.ticket.ticket_id = "dup" + std::to_string(n_++);
      matchmaking::PlayerInput p;
      p.player_id = "same";
      p.latency_ms["r1"] = 10;
      a.ticket.players.push_back(p);
      a.skills.push_back(1);
      return a;
    }
    int n_ = 0;
  } dup;
  Simulation sim(rules, Options(1000, 10'000));
  auto out = sim.Run(dup);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message.find("ticket dup1 refused"), std::string::npos) << out.error().message;
}

// A seeded population through the real matcher: the reported numbers are consistent.
TEST(Simulation, SeededPopulationRunIsConsistentAndRepeatable) {
  auto rules = Rules(testing::k2v2);
  PopulationSpec spec;
  spec.rate_per_second = 4;
  spec.party_weights = {3, 1};
  spec.regions = {RegionSpec{.name = "r1"}, RegionSpec{.name = "r2"}};
  ASSERT_TRUE(ValidatePopulation(&spec).ok());
  SimOptions opt = Options(60'000, 20'000);
  auto run = [&] {
    auto g = PopulationGenerator::Create(spec, rules, 11, opt.start, opt.duration_ms);
    EXPECT_TRUE(g.ok());
    std::vector<double> fractions;
    auto out = Simulation(rules, opt).Run(**g, [&](double f) { fractions.push_back(f); });
    EXPECT_TRUE(out.ok());
    EXPECT_FALSE(fractions.empty());
    EXPECT_DOUBLE_EQ(fractions.back(), 1.0);
    for (std::size_t i = 1; i < fractions.size(); ++i) EXPECT_GE(fractions[i], fractions[i - 1]);
    return *out;
  };
  SimOutcome out = run();
  Summary s = Summarize(out);
  EXPECT_GT(s.arrivals, 150);
  EXPECT_GT(s.matches, 20);
  EXPECT_EQ(s.matched + s.timed_out + s.searching, s.arrivals);
  EXPECT_EQ(s.searching, 0);  // drained
  EXPECT_LE(s.wait_s.p50, s.wait_s.p90);
  EXPECT_LE(s.wait_s.p90, s.wait_s.p99);
  EXPECT_LE(s.wait_s.p99, s.wait_s.max);
  EXPECT_LE(s.wait_s.max, 20.0);
  EXPECT_LE(s.skill_spread.p50, s.skill_spread.max);
  EXPECT_DOUBLE_EQ(s.players_per_match, 4.0);

  std::set<int> seen;
  long matched_players = 0;
  for (std::size_t i = 0; i < out.matches.size(); ++i) {
    const MatchRecord& m = out.matches[i];
    ASSERT_EQ(m.team_names, (std::vector<std::string>{"red", "blue"}));
    for (const auto& team : m.team_skills) EXPECT_EQ(team.size(), 2u);  // minPlayers = maxPlayers = 2
    for (int t : m.tickets) {
      EXPECT_TRUE(seen.insert(t).second) << "ticket in two matches";
      EXPECT_EQ(out.tickets[t].match, static_cast<int>(i));
      EXPECT_EQ(out.tickets[t].end, m.time);
      matched_players += static_cast<long>(out.tickets[t].skills.size());
    }
    // The final expansion allows 3000: every match is within it.
    EXPECT_LE(m.skill_spread, 3000);
    EXPECT_LE(m.team_gap, m.skill_spread);
  }
  EXPECT_EQ(static_cast<long>(seen.size()), s.matched);
  EXPECT_EQ(matched_players, s.matches * 4);

  SimOutcome again = run();
  ASSERT_EQ(again.matches.size(), out.matches.size());
  for (std::size_t i = 0; i < out.matches.size(); ++i) {
    EXPECT_EQ(again.matches[i].time, out.matches[i].time);
    EXPECT_EQ(again.matches[i].tickets, out.matches[i].tickets);
  }
}

TEST(MeasureMatch, SpreadAndTeamGap) {
  MatchRecord m;
  m.team_skills = {{100, 300}, {150, 150}, {}};
  MeasureMatch(&m);
  EXPECT_DOUBLE_EQ(m.skill_spread, 200);
  EXPECT_DOUBLE_EQ(m.team_gap, 50);
}

TEST(Stats, PercentilesAreNearestRank) {
  std::vector<double> v;
  for (int i = 1; i <= 100; ++i) v.push_back(i);
  EXPECT_EQ(Percentile(v, 50), 50);
  EXPECT_EQ(Percentile(v, 90), 90);
  EXPECT_EQ(Percentile(v, 99), 99);
  EXPECT_EQ(Percentile(v, 100), 100);
  EXPECT_EQ(Percentile({}, 50), 0);
  Distribution d = Describe({3, 1, 2});
  EXPECT_EQ(d.count, 3);
  EXPECT_DOUBLE_EQ(d.mean, 2);
  EXPECT_EQ(d.p50, 2);
  EXPECT_EQ(d.max, 3);
}

}  // namespace
}  // namespace muster::sim
