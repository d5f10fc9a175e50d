#pragma once
// Replays arrivals through the real matcher on a simulated clock. Event driven: the matcher
// runs after each arrival time, at each NextExpansionAt() and when tickets time out; no wall
// time is read and nothing sleeps, so ten simulated minutes take as long as the matching work.
//
// Thread safety: none; one owner. No I/O: progress is reported through a callback.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "matchmaking/matcher.h"
#include "matchmaking/rule_set.h"
#include "tools/sim/generator.h"

namespace muster::sim {

inline constexpr Millis kSimEpoch = 1'700'000'000'000;  // simulated time of the first instant

struct SimOptions {
  Millis start = kSimEpoch;
  Millis duration_ms = 600'000;       // arrivals happen in [start, start + duration_ms)
  Millis request_timeout_ms = 120'000;  // a ticket unmatched this long times out
  // After the last arrival keep running until every ticket is matched or timed out; otherwise
  // stop at start + duration_ms and count the rest as still searching.
  bool drain = true;
  matchmaking::MatcherLimits limits;
};

enum class TicketOutcome { kSearching, kMatched, kTimedOut };

struct TicketRecord {
  std::string id;
  Millis arrival = 0;
  std::vector<std::string> player_ids;
  std::vector<double> skills;  // per player
  int home_region = 0;
  std::string partition;
  TicketOutcome outcome = TicketOutcome::kSearching;
  Millis end = 0;   // when matched or timed out
  int match = -1;   // index into SimOutcome::matches
  Millis wait() const { return end - arrival; }
};

struct MatchRecord {
  Millis time = 0;
  std::vector<int> tickets;                  // indices into SimOutcome::tickets
  std::vector<std::string> team_names;       // the rule set's teams, in order
  std::vector<std::vector<double>> team_skills;  // skills of each team's players
  double skill_spread = 0;    // max - min skill over all players
  double team_gap = 0;        // largest - smallest average skill among non-empty teams
  double mean_wait_ms = 0;    // mean wait of the match's tickets
  int players() const;
};

struct SimOutcome {
  std::vector<TicketRecord> tickets;  // arrival order
  std::vector<MatchRecord> matches;   // formation order
  Millis start = 0;
  Millis end = 0;       // simulated time when the run stopped
  long matcher_runs = 0;
};

// Skill spread and team gap of a match whose teams hold these skills.
void MeasureMatch(MatchRecord* m);

class Simulation {
 public:
  Simulation(std::shared_ptr<const matchmaking::RuleSet> rules, SimOptions options);

  // Drains `source`. `progress` (optional) gets the fraction of simulated time done, 0..1, at
  // most about 200 times per run. Fails when the matcher refuses a ticket (its message names it).
  Result<SimOutcome> Run(ArrivalSource& source, const std::function<void(double)>& progress = {});

 private:
  std::shared_ptr<const matchmaking::RuleSet> rules_;
  SimOptions options_;
};

}  // namespace muster::sim
