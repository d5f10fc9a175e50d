#include "tools/sim/stats.h"

#include <algorithm>
#include <cmath>

namespace muster::sim {

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  double rank = std::ceil(p / 100.0 * static_cast<double>(sorted.size()));
  std::size_t i = rank < 1 ? 0 : static_cast<std::size_t>(rank) - 1;
  return sorted[std::min(i, sorted.size() - 1)];
}

Distribution Describe(std::vector<double> values) {
  Distribution d;
  if (values.empty()) return d;
  std::sort(values.begin(), values.end());
  double sum = 0;
  for (double v : values) sum += v;
  d.count = static_cast<long>(values.size());
  d.mean = sum / static_cast<double>(values.size());
  d.p50 = Percentile(values, 50);
  d.p90 = Percentile(values, 90);
  d.p99 = Percentile(values, 99);
  d.max = values.back();
  return d;
}

Summary Summarize(const SimOutcome& o) {
  Summary s;
  std::vector<double> waits;
  for (const auto& t : o.tickets) {
    ++s.arrivals;
    s.players += static_cast<long>(t.skills.size());
    switch (t.outcome) {
      case TicketOutcome::kMatched:
        ++s.matched;
        waits.push_back(static_cast<double>(t.wait()) / 1000.0);
        break;
      case TicketOutcome::kTimedOut: ++s.timed_out; break;
      case TicketOutcome::kSearching: ++s.searching; break;
    }
  }
  std::vector<double> spreads, gaps;
  long matched_players = 0;
  for (const auto& m : o.matches) {
    spreads.push_back(m.skill_spread);
    gaps.push_back(m.team_gap);
    matched_players += m.players();
  }
  s.matches = static_cast<long>(o.matches.size());
  s.timed_out_share = s.arrivals ? static_cast<double>(s.timed_out) / static_cast<double>(s.arrivals) : 0;
  s.players_per_match = s.matches ? static_cast<double>(matched_players) / static_cast<double>(s.matches) : 0;
  s.wait_s = Describe(std::move(waits));
  s.skill_spread = Describe(std::move(spreads));
  s.team_gap = Describe(std::move(gaps));
  s.simulated_s = static_cast<double>(o.end - o.start) / 1000.0;
  s.matcher_runs = o.matcher_runs;
  return s;
}

}  // namespace muster::sim
