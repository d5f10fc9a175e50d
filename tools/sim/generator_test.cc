#include "tools/sim/generator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "tools/sim/sim_test_util.h"

namespace muster::sim {
namespace {

using ::testing::HasSubstr;
using testing::Rules;

constexpr const char* kModes = R"({
  "name": "modes", "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "rating", "type": "number", "default": 1},
                       {"name": "mode", "type": "string", "default": "x"},
                       {"name": "maps", "type": "string_list", "default": ["a"]},
                       {"name": "prefs", "type": "string_number_map", "default": {"a": 1}}],
  "teams": [{"name": "all", "minPlayers": 2, "maxPlayers": 4}],
  "rules": []
})";

PopulationSpec Spec() {
  PopulationSpec s;
  s.rate_per_second = 50;
  s.skill_mean = 1000;
  s.skill_sd = 400;
  s.skill_min = 500;
  s.skill_max = 1500;
  s.party_weights = {2, 1};
  s.regions = {RegionSpec{.name = "near", .home_latency_mean = 20, .away_latency_mean = 150},
               RegionSpec{.name = "far", .home_latency_mean = 20, .away_latency_mean = 150}};
  EXPECT_TRUE(ValidatePopulation(&s).ok());
  return s;
}

std::vector<Arrival> Drain(ArrivalSource& g) {
  std::vector<Arrival> out;
  while (auto a = g.Next()) out.push_back(std::move(*a));
  return out;
}

TEST(Generator, SeededRunsRepeatAndRespectTheSpec) {
  auto rules = Rules(testing::k2v2);
  auto g1 = PopulationGenerator::Create(Spec(), rules, 5, 1000, 60'000);
  auto g2 = PopulationGenerator::Create(Spec(), rules, 5, 1000, 60'000);
  ASSERT_TRUE(g1.ok() && g2.ok());
  EXPECT_EQ((*g1)->skill_attribute(), 0);
  auto a = Drain(**g1), b = Drain(**g2);
  ASSERT_EQ(a.size(), b.size());
  // Poisson(50/s) over 60 s: 3000 expected, sd ~55.
  EXPECT_NEAR(static_cast<double>(a.size()), 3000, 250);
  int sizes[3] = {0, 0, 0};
  long home_lower = 0;
  Millis last = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].ticket.ticket_id, b[i].ticket.ticket_id);
    EXPECT_EQ(a[i].time, b[i].time);
    EXPECT_EQ(a[i].skills, b[i].skills);
    EXPECT_GE(a[i].time, last);
    EXPECT_GE(a[i].time, 1000);
    EXPECT_LT(a[i].time, 61'000);
    EXPECT_EQ(a[i].ticket.start_time, a[i].time);
    last = a[i].time;
    int n = static_cast<int>(a[i].ticket.players.size());
    ASSERT_GE(n, 1);
    ASSERT_LE(n, 2);
    ++sizes[n];
    ASSERT_EQ(a[i].skills.size(), a[i].ticket.players.size());
    for (std::size_t k = 0; k < a[i].skills.size(); ++k) {
      const auto& p = a[i].ticket.players[k];
      EXPECT_GE(a[i].skills[k], 500);
      EXPECT_LE(a[i].skills[k], 1500);
      EXPECT_EQ(p.attributes.at("skill").n, a[i].skills[k]);
      ASSERT_EQ(p.latency_ms.size(), 2u);
      const std::string home = a[i].home_region == 0 ? "near" : "far";
      const std::string away = a[i].home_region == 0 ? "far" : "near";
      if (p.latency_ms.at(home) < p.latency_ms.at(away)) ++home_lower;
      EXPECT_GE(p.latency_ms.at(away), 1);
    }
  }
  EXPECT_NEAR(static_cast<double>(sizes[1]) / sizes[2], 2.0, 0.3);
  EXPECT_GT(home_lower, static_cast<long>(a.size()) * 99 / 100);
}

TEST(Generator, DifferentSeedsGiveDifferentRuns) {
  auto rules = Rules(testing::k2v2);
  auto g1 = PopulationGenerator::Create(Spec(), rules, 1, 0, 10'000);
  auto g2 = PopulationGenerator::Create(Spec(), rules, 2, 0, 10'000);
  auto a = Drain(**g1), b = Drain(**g2);
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  EXPECT_NE(a[0].time == b[0].time && a[0].skills == b[0].skills, true);
}

TEST(Generator, FillsDeclaredAttributesAndPartyMembersShareThem) {
  auto rules = Rules(kModes);
  PopulationSpec s = Spec();
  s.attributes = {AttributeSpec{.name = "mode", .values = {"ranked", "casual"}, .weights = {1, 1}},
                  AttributeSpec{.name = "maps", .values = {"m1"}}};
  ASSERT_TRUE(ValidatePopulation(&s).ok());
  auto g = PopulationGenerator::Create(s, rules, 3, 0, 5'000);
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ((*g)->skill_attribute(), 0);  // the first number attribute: rating
  std::set<std::string> modes;
  for (const auto& a : Drain(**g)) {
    const auto& first = a.ticket.players[0].attributes;
    modes.insert(first.at("mode").s);
    EXPECT_EQ(a.partition, first.at("mode").s + "|m1");
    EXPECT_EQ(first.at("maps").sl, (std::vector<std::string>{"m1"}));
    EXPECT_EQ(first.count("prefs"), 0u);  // the matcher applies the default
    for (const auto& p : a.ticket.players) EXPECT_EQ(p.attributes.at("mode").s, first.at("mode").s);
  }
  EXPECT_EQ(modes, (std::set<std::string>{"casual", "ranked"}));
}

TEST(Generator, RefusesWhatTheRuleSetCannotTake) {
  auto rules = Rules(testing::k2v2);
  PopulationSpec s = Spec();
  s.party_weights = {1, 1, 1};  // a party of 3 fits no team of 2
  auto g = PopulationGenerator::Create(s, rules, 1, 0, 1000);
  ASSERT_FALSE(g.ok());
  EXPECT_THAT(g.error().message, HasSubstr("party size 3"));
  s = Spec();
  s.party_weights = {1, 1, 0};  // size 3 has no weight: fine
  EXPECT_TRUE(PopulationGenerator::Create(s, rules, 1, 0, 1000).ok());

  s = Spec();
  s.skill_attribute = "elo";
  g = PopulationGenerator::Create(s, rules, 1, 0, 1000);
  ASSERT_FALSE(g.ok());
  EXPECT_THAT(g.error().message, HasSubstr("skill attribute 'elo'"));

  s = Spec();
  s.attributes = {AttributeSpec{.name = "mode", .values = {"x"}}};
  g = PopulationGenerator::Create(s, rules, 1, 0, 1000);
  ASSERT_FALSE(g.ok());
  EXPECT_THAT(g.error().message, HasSubstr("not declared"));

  auto modes = Rules(kModes);
  s = Spec();
  s.attributes = {AttributeSpec{.name = "mode"}};
  g = PopulationGenerator::Create(s, modes, 1, 0, 1000);
  ASSERT_FALSE(g.ok());
  EXPECT_THAT(g.error().message, HasSubstr("give values"));
  s.attributes = {AttributeSpec{.name = "prefs"}};
  g = PopulationGenerator::Create(s, modes, 1, 0, 1000);
  ASSERT_FALSE(g.ok());
  EXPECT_THAT(g.error().message, HasSubstr("cannot be generated"));
}

}  // namespace
}  // namespace muster::sim
