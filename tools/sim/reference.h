#pragma once
// The offline reference: a matcher that knows the whole arrival sequence. Time is cut into
// windows of length W; at the end of each window, within each pool (same partition key and,
// when the rule set has a latency rule, same home region) every waiting ticket is sorted by
// average skill and consecutive tickets are cut into full matches (each team at its maxPlayers,
// parties kept whole, teams balanced greedily). Tickets that do not complete a match wait for
// the next window; a ticket older than the request timeout times out. A larger W means longer
// waits and tighter matches; CompareAtEqualWait picks the W whose mean wait equals the online
// run's, which defines "at equal wait".
//
// Thread safety: plain functions over values.

#include <vector>

#include "matchmaking/rule_set.h"
#include "tools/sim/simulation.h"

namespace muster::sim {

struct ReferenceParams {
  Millis window_ms = 1000;
  Millis request_timeout_ms = 120'000;
  std::vector<int> team_sizes;  // players per team of one match
  bool by_region = false;       // pools split by home region (the rule set has a latency rule)
};

// Team sizes and region pooling the reference uses for a rule set.
ReferenceParams ReferenceParamsFor(const matchmaking::RuleSet& rules, Millis request_timeout_ms);

struct ReferenceResult {
  Millis window_ms = 0;
  long matched = 0;      // tickets
  long timed_out = 0;
  long matches = 0;
  double mean_wait_ms = 0;     // matched tickets
  double mean_spread = 0;      // per match, max - min skill
  double mean_team_gap = 0;    // per match, largest - smallest team average
};

ReferenceResult RunReference(const std::vector<TicketRecord>& tickets, const ReferenceParams& params);

struct Comparison {
  double online_mean_wait_ms = 0;
  double online_mean_spread = 0;
  double online_mean_team_gap = 0;
  // The reference at the window whose mean wait equals the online mean wait (bisection to
  // within 1% or 10 ms). If even the shortest window waits longer, this is that window and
  // wait_matched is false.
  ReferenceResult reference;
  bool wait_matched = false;
  double spread_ratio = 0;   // online mean spread / reference mean spread (0 if undefined)
  bool within_10_percent = false;  // spread_ratio <= 1.10
  std::vector<ReferenceResult> curve;  // the reference over a range of windows, for the plot
};

// REQUIRES: `online` summarises `tickets`' outcome (its matched tickets and matches).
Comparison CompareAtEqualWait(const std::vector<TicketRecord>& tickets,
                              const std::vector<MatchRecord>& online_matches, ReferenceParams params);

}  // namespace muster::sim
