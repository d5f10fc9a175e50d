#include "tools/sim/population.h"

#include <cmath>
#include <set>

#include "matchmaking/rule_set.h"

namespace muster::sim {

namespace {

bool Finite(double x) { return std::isfinite(x); }

Status CheckDistribution(const std::string& what, double mean, double sd) {
  if (!Finite(mean) || !Finite(sd) || sd < 0) {
    return Error::InvalidArgument(what + ": mean must be finite and sd a finite number >= 0");
  }
  return OkStatus();
}

}  // namespace

Status ValidatePopulation(PopulationSpec* spec) {
  if (!Finite(spec->rate_per_second) || spec->rate_per_second <= 0) {
    return Error::InvalidArgument("rate must be a number > 0 (tickets per second)");
  }
  if (spec->rate_per_second > 100000) {
    return Error::InvalidArgument("rate must be at most 100000 tickets per second");
  }
  MUSTER_RETURN_IF_ERROR(CheckDistribution("skill", spec->skill_mean, spec->skill_sd));
  if (!Finite(spec->skill_min) || !Finite(spec->skill_max) || spec->skill_min > spec->skill_max) {
    return Error::InvalidArgument("skill: min must not exceed max");
  }
  if (spec->regions.empty()) spec->regions.push_back(RegionSpec{.name = "us-east-1"});
  std::set<std::string> names;
  double region_total = 0;
  for (const auto& r : spec->regions) {
    if (r.name.empty()) return Error::InvalidArgument("region: name must not be empty");
    if (!names.insert(r.name).second) {
      return Error::InvalidArgument("region " + r.name + " is listed twice");
    }
    if (!Finite(r.weight) || r.weight < 0) {
      return Error::InvalidArgument("region " + r.name + ": weight must be >= 0");
    }
    region_total += r.weight;
    MUSTER_RETURN_IF_ERROR(CheckDistribution("region " + r.name + " home latency",
                                             r.home_latency_mean, r.home_latency_sd));
    MUSTER_RETURN_IF_ERROR(CheckDistribution("region " + r.name + " away latency",
                                             r.away_latency_mean, r.away_latency_sd));
  }
  if (region_total <= 0) return Error::InvalidArgument("region weights must not all be 0");
  if (spec->party_weights.empty() ||
      spec->party_weights.size() > static_cast<std::size_t>(matchmaking::kMaxPlayersPerTicket)) {
    return Error::InvalidArgument("party: give weights for sizes 1 to at most " +
                                  std::to_string(matchmaking::kMaxPlayersPerTicket));
  }
  double party_total = 0;
  for (double w : spec->party_weights) {
    if (!Finite(w) || w < 0) return Error::InvalidArgument("party: weights must be numbers >= 0");
    party_total += w;
  }
  if (party_total <= 0) return Error::InvalidArgument("party: weights must not all be 0");
  std::set<std::string> attrs;
  for (const auto& a : spec->attributes) {
    if (a.name.empty()) return Error::InvalidArgument("attribute: name must not be empty");
    if (!attrs.insert(a.name).second) {
      return Error::InvalidArgument("attribute " + a.name + " is listed twice");
    }
    if (!a.weights.empty() && a.weights.size() != a.values.size()) {
      return Error::InvalidArgument("attribute " + a.name + ": weights and values differ in length");
    }
    double total = a.weights.empty() ? 1 : 0;
    for (double w : a.weights) {
      if (!Finite(w) || w < 0) {
        return Error::InvalidArgument("attribute " + a.name + ": weights must be numbers >= 0");
      }
      total += w;
    }
    if (!a.values.empty() && total <= 0) {
      return Error::InvalidArgument("attribute " + a.name + ": weights must not all be 0");
    }
    MUSTER_RETURN_IF_ERROR(CheckDistribution("attribute " + a.name, a.mean, a.sd));
    if (a.min > a.max) return Error::InvalidArgument("attribute " + a.name + ": min must not exceed max");
  }
  return OkStatus();
}

}  // namespace muster::sim
