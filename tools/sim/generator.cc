#include "tools/sim/generator.h"

#include <algorithm>
#include <cmath>

namespace muster::sim {

using matchmaking::AttributeType;
using matchmaking::AttributeValue;

PopulationGenerator::PopulationGenerator(PopulationSpec spec,
                                         std::shared_ptr<const matchmaking::RuleSet> rules,
                                         std::uint64_t seed, Millis start, Millis duration_ms)
    : spec_(std::move(spec)), rules_(std::move(rules)), rng_(seed), end_(start + duration_ms),
      clock_ms_(static_cast<double>(start)) {}

Result<std::unique_ptr<PopulationGenerator>> PopulationGenerator::Create(
    PopulationSpec spec, std::shared_ptr<const matchmaking::RuleSet> rules, std::uint64_t seed,
    Millis start, Millis duration_ms) {
  const matchmaking::RuleSet& rs = *rules;
  int largest_team = 0;
  for (const auto& t : rs.teams) largest_team = std::max(largest_team, t.max_players);
  for (const auto& ex : rs.expansions) {
    if (ex.kind != matchmaking::Expansion::kTeamMax) continue;
    for (const auto& s : ex.steps) largest_team = std::max(largest_team, static_cast<int>(s.value));
  }
  for (std::size_t i = spec.party_weights.size(); i-- > 0;) {
    if (spec.party_weights[i] <= 0) continue;
    if (static_cast<int>(i) + 1 > largest_team) {
      return Error::InvalidArgument("party size " + std::to_string(i + 1) +
                                    " has a weight but the rule set's largest team holds " +
                                    std::to_string(largest_team) + " players");
    }
    break;
  }
  int skill_attr = -1;
  if (!spec.skill_attribute.empty()) {
    skill_attr = rs.AttributeIndex(spec.skill_attribute);
    if (skill_attr < 0 || rs.attributes[skill_attr].type != AttributeType::kNumber) {
      return Error::InvalidArgument("skill attribute '" + spec.skill_attribute +
                                    "' is not a number attribute of the rule set");
    }
  } else {
    skill_attr = rs.AttributeIndex("skill");
    if (skill_attr >= 0 && rs.attributes[skill_attr].type != AttributeType::kNumber) skill_attr = -1;
    for (std::size_t i = 0; skill_attr < 0 && i < rs.attributes.size(); ++i) {
      if (rs.attributes[i].type == AttributeType::kNumber) skill_attr = static_cast<int>(i);
    }
  }
  std::vector<int> attr_index;
  for (const auto& a : spec.attributes) {
    int idx = rs.AttributeIndex(a.name);
    if (idx < 0) {
      return Error::InvalidArgument("attribute " + a.name + " is not declared by the rule set");
    }
    if (idx == skill_attr) {
      return Error::InvalidArgument("attribute " + a.name + " is the skill attribute; set it under [skill]");
    }
    AttributeType type = rs.attributes[idx].type;
    bool listed = type == AttributeType::kString || type == AttributeType::kStringList;
    if (listed && a.values.empty()) {
      return Error::InvalidArgument("attribute " + a.name + " is a " +
                                    matchmaking::AttributeTypeName(type) + ": give values");
    }
    if (type == AttributeType::kStringNumberMap) {
      return Error::InvalidArgument("attribute " + a.name +
                                    ": string_number_map attributes cannot be generated; they take the default");
    }
    attr_index.push_back(idx);
  }
  auto g = std::unique_ptr<PopulationGenerator>(
      new PopulationGenerator(std::move(spec), std::move(rules), seed, start, duration_ms));
  g->skill_attr_ = skill_attr;
  g->attr_index_ = std::move(attr_index);
  for (const auto& r : g->spec_.regions) g->region_weights_.push_back(r.weight);
  return g;
}

double PopulationGenerator::Clamp(double x, double lo, double hi) const {
  return std::min(hi, std::max(lo, x));
}

std::optional<Arrival> PopulationGenerator::Next() {
  clock_ms_ += rng_.Exponential(spec_.rate_per_second) * 1000.0;
  Millis time = static_cast<Millis>(std::floor(clock_ms_));
  if (time >= end_) return std::nullopt;
  const matchmaking::RuleSet& rs = *rules_;
  Arrival a;
  a.time = time;
  const std::uint64_t n = count_++;
  a.ticket.ticket_id = "t" + std::to_string(n);
  a.ticket.start_time = time;
  a.home_region = rng_.Weighted(region_weights_);
  const int party = rng_.Weighted(spec_.party_weights) + 1;
  // Party members share their group's generated attributes (mode, map...): they queue together.
  std::map<std::string, AttributeValue> shared;
  for (std::size_t i = 0; i < spec_.attributes.size(); ++i) {
    const AttributeSpec& s = spec_.attributes[i];
    AttributeType type = rs.attributes[attr_index_[i]].type;
    if (type == AttributeType::kNumber) {
      shared[s.name] = AttributeValue::Number(Clamp(rng_.Normal(s.mean, s.sd), s.min, s.max));
      continue;
    }
    const std::string& v =
        s.values[s.weights.empty() ? static_cast<int>(rng_.Uniform() * s.values.size()) % s.values.size()
                                   : rng_.Weighted(s.weights)];
    if (!a.partition.empty()) a.partition += '|';
    a.partition += v;
    shared[s.name] = type == AttributeType::kString ? AttributeValue::String(v)
                                                    : AttributeValue::StringList({v});
  }
  for (int k = 0; k < party; ++k) {
    matchmaking::PlayerInput p;
    p.player_id = "p" + std::to_string(n) + "-" + std::to_string(k);
    double skill = Clamp(rng_.Normal(spec_.skill_mean, spec_.skill_sd), spec_.skill_min, spec_.skill_max);
    a.skills.push_back(skill);
    p.attributes = shared;
    if (skill_attr_ >= 0) p.attributes[rs.attributes[skill_attr_].name] = AttributeValue::Number(skill);
    for (std::size_t r = 0; r < spec_.regions.size(); ++r) {
      const RegionSpec& reg = spec_.regions[r];
      bool home = static_cast<int>(r) == a.home_region;
      double ms = home ? rng_.Normal(reg.home_latency_mean, reg.home_latency_sd)
                       : rng_.Normal(reg.away_latency_mean, reg.away_latency_sd);
      p.latency_ms[reg.name] = static_cast<int>(std::lround(Clamp(ms, 1, 1e6)));
    }
    a.ticket.players.push_back(std::move(p));
  }
  return a;
}

}  // namespace muster::sim
