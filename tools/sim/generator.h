#pragma once
// Arrivals: the tickets a simulation feeds to the matcher, each with the hidden facts the
// reports need (every player's true skill, the party's home region, its partition key).
// PopulationGenerator draws them from a PopulationSpec for a rule set; tests may implement
// ArrivalSource with a fixed script.
//
// Thread safety: none; one owner.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "matchmaking/matcher.h"
#include "matchmaking/rule_set.h"
#include "tools/sim/population.h"
#include "tools/sim/rng.h"

namespace muster::sim {

struct Arrival {
  Millis time = 0;  // simulated time of the request
  matchmaking::TicketInput ticket;  // start_time == time
  std::vector<double> skills;       // per player, same order as ticket.players
  int home_region = 0;              // index into the population's regions
  // Values of the generated string attributes of the party's first player joined by '|'; the
  // offline reference only groups tickets with equal keys (and, with a latency rule, equal regions).
  std::string partition;
};

class ArrivalSource {
 public:
  virtual ~ArrivalSource() = default;
  // The next arrival in time order, or nullopt when there are no more.
  virtual std::optional<Arrival> Next() = 0;
};

class PopulationGenerator : public ArrivalSource {
 public:
  // REQUIRES: ValidatePopulation(&spec) passed. Arrivals start after `start` and stop once the
  // next one would be at or past start + duration_ms.
  static Result<std::unique_ptr<PopulationGenerator>> Create(
      PopulationSpec spec, std::shared_ptr<const matchmaking::RuleSet> rules, std::uint64_t seed,
      Millis start, Millis duration_ms);

  std::optional<Arrival> Next() override;

  // The rule set attribute that receives skill, or -1 when skill is not sent.
  int skill_attribute() const { return skill_attr_; }

 private:
  PopulationGenerator(PopulationSpec spec, std::shared_ptr<const matchmaking::RuleSet> rules,
                      std::uint64_t seed, Millis start, Millis duration_ms);
  double Clamp(double x, double lo, double hi) const;

  PopulationSpec spec_;
  std::shared_ptr<const matchmaking::RuleSet> rules_;
  Rng rng_;
  Millis end_ = 0;
  double clock_ms_ = 0;  // exact (fractional) time of the last arrival
  std::uint64_t count_ = 0;
  int skill_attr_ = -1;
  // Per spec_.attributes entry: the rule set attribute index (-1 = not declared, ignored).
  std::vector<int> attr_index_;
  std::vector<double> region_weights_;
};

}  // namespace muster::sim
