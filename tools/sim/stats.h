#pragma once
// Summary numbers of a simulation outcome: ticket counts, wait-time percentiles of matched
// tickets, and match quality (skill spread within a match, gap between team averages).
//
// Thread safety: plain functions over values.

#include <vector>

#include "tools/sim/simulation.h"

namespace muster::sim {

// Nearest-rank percentile (p in [0, 100]) of `sorted` (ascending); 0 when empty.
double Percentile(const std::vector<double>& sorted, double p);

struct Distribution {
  long count = 0;
  double mean = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;
};
Distribution Describe(std::vector<double> values);

struct Summary {
  long arrivals = 0;      // tickets
  long players = 0;
  long matched = 0;       // tickets
  long timed_out = 0;
  long searching = 0;     // still searching when the run stopped
  long matches = 0;
  double timed_out_share = 0;   // timed_out / arrivals
  double players_per_match = 0;
  Distribution wait_s;          // seconds from request to match, matched tickets only
  Distribution skill_spread;    // per match: max - min skill of its players
  Distribution team_gap;        // per match: largest - smallest team average skill
  double simulated_s = 0;       // simulated seconds covered
  long matcher_runs = 0;
};

Summary Summarize(const SimOutcome& outcome);

}  // namespace muster::sim
