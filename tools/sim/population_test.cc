#include "tools/sim/population.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace muster::sim {
namespace {

using ::testing::HasSubstr;

TEST(Population, ParsesEveryKey) {
  PopulationSpec s;
  ASSERT_TRUE(ParsePopulationToml(R"(
rate = 20
[skill]
mean = 1500
sd = 300
min = 100
max = 2900
attribute = "rating"
[party]
weights = [0.7, 0.2, 0.1]
[[region]]
name = "us-east-1"
weight = 2
home_latency_mean = 20
home_latency_sd = 5
away_latency_mean = 100
away_latency_sd = 20
[[region]]
name = "eu-west-1"
[[attribute]]
name = "mode"
values = ["classic", "ranked"]
weights = [3, 1]
)", &s).ok());
  EXPECT_EQ(s.rate_per_second, 20);
  EXPECT_EQ(s.skill_mean, 1500);
  EXPECT_EQ(s.skill_sd, 300);
  EXPECT_EQ(s.skill_min, 100);
  EXPECT_EQ(s.skill_max, 2900);
  EXPECT_EQ(s.skill_attribute, "rating");
  EXPECT_EQ(s.party_weights, (std::vector<double>{0.7, 0.2, 0.1}));
  ASSERT_EQ(s.regions.size(), 2u);
  EXPECT_EQ(s.regions[0].name, "us-east-1");
  EXPECT_EQ(s.regions[0].weight, 2);
  EXPECT_EQ(s.regions[0].home_latency_mean, 20);
  EXPECT_EQ(s.regions[0].away_latency_sd, 20);
  EXPECT_EQ(s.regions[1].home_latency_mean, 30);  // default
  ASSERT_EQ(s.attributes.size(), 1u);
  EXPECT_EQ(s.attributes[0].values, (std::vector<std::string>{"classic", "ranked"}));
  EXPECT_TRUE(ValidatePopulation(&s).ok());
}

TEST(Population, EmptyFileKeepsDefaultsAndValidationAddsARegion) {
  PopulationSpec s;
  ASSERT_TRUE(ParsePopulationToml("", &s).ok());
  ASSERT_TRUE(ValidatePopulation(&s).ok());
  ASSERT_EQ(s.regions.size(), 1u);
  EXPECT_EQ(s.regions[0].name, "us-east-1");
}

std::string ParseError(const std::string& text) {
  PopulationSpec s;
  Status st = ParsePopulationToml(text, &s);
  if (st.ok()) st = ValidatePopulation(&s);
  return st.ok() ? "" : st.error().message;
}

TEST(Population, BadFilesNameTheProblem) {
  EXPECT_THAT(ParseError("rate = = 3"), HasSubstr("line 1"));
  EXPECT_THAT(ParseError("\n\n[skill\nmean=1"), HasSubstr("line 3"));
  EXPECT_THAT(ParseError("rat = 3"), HasSubstr("unknown key rat"));
  EXPECT_THAT(ParseError("[skill]\nmaen = 3"), HasSubstr("unknown key skill.maen"));
  EXPECT_THAT(ParseError("rate = \"fast\""), HasSubstr("rate must be a number"));
  EXPECT_THAT(ParseError("skill = 3"), HasSubstr("skill must be a table"));
  EXPECT_THAT(ParseError("[party]\nweights = [1, \"x\"]"), HasSubstr("party.weights must be an array of numbers"));
  EXPECT_THAT(ParseError("region = 3"), HasSubstr("region must be an array of tables"));
  EXPECT_THAT(ParseError("[[region]]\nname = 1"), HasSubstr("region[0].name must be a string"));
  EXPECT_THAT(ParseError("[[region]]\nname = \"a\"\nping = 3"), HasSubstr("unknown key region[0].ping"));
  EXPECT_THAT(ParseError("[[attribute]]\nname = \"m\"\nvalues = [1]"), HasSubstr("attribute[0].values must be an array of strings"));
}

TEST(Population, ValidationRejectsImpossibleValues) {
  EXPECT_THAT(ParseError("rate = -1"), HasSubstr("rate must be a number > 0"));
  EXPECT_THAT(ParseError("rate = 0"), HasSubstr("rate must be a number > 0"));
  EXPECT_THAT(ParseError("rate = nan"), HasSubstr("rate must be a number > 0"));
  EXPECT_THAT(ParseError("[skill]\nsd = -1"), HasSubstr("skill: mean must be finite and sd"));
  EXPECT_THAT(ParseError("[skill]\nmin = 10\nmax = 5"), HasSubstr("min must not exceed max"));
  EXPECT_THAT(ParseError("[party]\nweights = []"), HasSubstr("party: give weights"));
  EXPECT_THAT(ParseError("[party]\nweights = [1,1,1,1,1,1,1,1,1,1,1]"), HasSubstr("party: give weights"));
  EXPECT_THAT(ParseError("[party]\nweights = [0, 0]"), HasSubstr("must not all be 0"));
  EXPECT_THAT(ParseError("[party]\nweights = [1, -1]"), HasSubstr(">= 0"));
  EXPECT_THAT(ParseError("[[region]]\nname = \"a\"\n[[region]]\nname = \"a\""), HasSubstr("region a is listed twice"));
  EXPECT_THAT(ParseError("[[region]]\nname = \"\""), HasSubstr("name must not be empty"));
  EXPECT_THAT(ParseError("[[region]]\nname = \"a\"\nweight = 0"), HasSubstr("region weights must not all be 0"));
  EXPECT_THAT(ParseError("[[region]]\nname = \"a\"\nhome_latency_sd = -2"), HasSubstr("region a home latency"));
  EXPECT_THAT(ParseError("[[attribute]]\nname = \"m\"\nvalues = [\"x\"]\nweights = [1, 2]"),
              HasSubstr("weights and values differ"));
  EXPECT_THAT(ParseError("[[attribute]]\nname = \"m\"\n[[attribute]]\nname = \"m\""), HasSubstr("listed twice"));
}

}  // namespace
}  // namespace muster::sim
