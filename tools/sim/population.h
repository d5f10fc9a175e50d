#pragma once
// The synthetic player population a simulation draws from: ticket arrival rate, skill
// distribution, home regions with their latencies, party sizes and extra attribute values.
// Read from a small TOML file (see docs/simulator.md) and/or set by flags.
//
// Thread safety: plain values.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace muster::sim {

// A player's home region: latency there ~ N(home_mean, home_sd), elsewhere ~ N(away_mean, away_sd),
// both clamped to at least 1 ms.
struct RegionSpec {
  std::string name;
  double weight = 1;
  double home_latency_mean = 30;
  double home_latency_sd = 10;
  double away_latency_mean = 120;
  double away_latency_sd = 30;
};

// Values for one rule set attribute other than skill. A string / string_list attribute takes one
// of `values` (a string_list gets a one-element list); a number attribute ~ N(mean, sd) clamped
// to [min, max]. Attributes the rule set declares without a spec take their default.
struct AttributeSpec {
  std::string name;
  std::vector<std::string> values;
  std::vector<double> weights;  // same length as values, or empty for equal weights
  double mean = 0, sd = 0, min = -1e300, max = 1e300;
};

struct PopulationSpec {
  double rate_per_second = 10;  // tickets (parties) arriving per simulated second, Poisson
  double skill_mean = 1000;
  double skill_sd = 200;
  double skill_min = 0;
  double skill_max = 3000;
  // Rule set attribute that carries skill; empty = "skill" if declared, else the first
  // declared number attribute, else skill is only simulated (measured, never sent).
  std::string skill_attribute;
  std::vector<RegionSpec> regions;       // empty = one region "us-east-1"
  std::vector<double> party_weights = {1};  // [i] = weight of party size i+1, up to 10 sizes
  std::vector<AttributeSpec> attributes;
};

// Checks ranges (rate > 0, sd >= 0, min <= max, 1..10 party sizes with positive total weight,
// unique region names, ...). Fills an empty region list with the default region.
Status ValidatePopulation(PopulationSpec* spec);

// Parses a population file's TOML text over `spec` (keys present replace values). Errors name
// the key and, for syntax errors, the line.
Status ParsePopulationToml(std::string_view text, PopulationSpec* spec);

}  // namespace muster::sim
