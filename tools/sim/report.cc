#include "tools/sim/report.h"

#include <cstdio>
#include <sstream>

namespace muster::sim {

namespace {

std::string F(const char* fmt, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, x);
  return buf;
}

json::object DistJson(const Distribution& d) {
  return {{"count", d.count}, {"mean", d.mean}, {"p50", d.p50}, {"p90", d.p90}, {"p99", d.p99}, {"max", d.max}};
}

json::object RefJson(const ReferenceResult& r) {
  return {{"windowSeconds", static_cast<double>(r.window_ms) / 1000.0},
          {"matchedTickets", r.matched},
          {"timedOutTickets", r.timed_out},
          {"matches", r.matches},
          {"meanWaitSeconds", r.mean_wait_ms / 1000.0},
          {"meanSkillSpread", r.mean_spread},
          {"meanTeamGap", r.mean_team_gap}};
}

}  // namespace

std::string FormatText(const RunInfo& info, const Summary& s, const Comparison& c) {
  std::ostringstream o;
  o << "rule set      " << info.rule_set_name << " (" << info.rule_set_file << ")\n"
    << "workload      " << F("%g", info.rate_per_second) << " tickets/s for " << F("%g", info.duration_s)
    << " s, timeout " << F("%g", info.request_timeout_s) << " s, seed " << info.seed
    << (info.drain ? ", drained" : ", not drained") << "\n"
    << "simulated     " << F("%.1f", s.simulated_s) << " s, " << s.matcher_runs << " matcher runs\n\n"
    << "tickets       " << s.arrivals << " (" << s.players << " players)\n"
    << "  matched     " << s.matched << "\n"
    << "  timed out   " << s.timed_out << " (" << F("%.2f", 100 * s.timed_out_share) << "%)\n"
    << "  searching   " << s.searching << "\n"
    << "matches       " << s.matches << " (" << F("%.2f", s.players_per_match) << " players each)\n\n"
    << "wait (s)      p50 " << F("%.2f", s.wait_s.p50) << "  p90 " << F("%.2f", s.wait_s.p90) << "  p99 "
    << F("%.2f", s.wait_s.p99) << "  max " << F("%.2f", s.wait_s.max) << "  mean " << F("%.2f", s.wait_s.mean) << "\n"
    << "skill spread  p50 " << F("%.1f", s.skill_spread.p50) << "  p90 " << F("%.1f", s.skill_spread.p90) << "  p99 "
    << F("%.1f", s.skill_spread.p99) << "  max " << F("%.1f", s.skill_spread.max) << "  mean "
    << F("%.1f", s.skill_spread.mean) << "   (max - min skill in a match)\n"
    << "team gap      p50 " << F("%.1f", s.team_gap.p50) << "  p90 " << F("%.1f", s.team_gap.p90) << "  p99 "
    << F("%.1f", s.team_gap.p99) << "  max " << F("%.1f", s.team_gap.max) << "  mean " << F("%.1f", s.team_gap.mean)
    << "   (difference of team average skills)\n\n";
  const ReferenceResult& r = c.reference;
  o << "offline reference at equal mean wait (window " << F("%.2f", static_cast<double>(r.window_ms) / 1000.0) << " s"
    << (c.wait_matched ? "" : ", NOT equal: its shortest window already waits longer") << ")\n"
    << "  mean wait     online " << F("%.2f", c.online_mean_wait_ms / 1000.0) << " s   reference "
    << F("%.2f", r.mean_wait_ms / 1000.0) << " s\n"
    << "  mean spread   online " << F("%.1f", c.online_mean_spread) << "   reference " << F("%.1f", r.mean_spread)
    << "   ratio " << F("%.3f", c.spread_ratio) << "\n"
    << "  mean team gap online " << F("%.1f", c.online_mean_team_gap) << "   reference " << F("%.1f", r.mean_team_gap) << "\n"
    << "  reference matched " << r.matched << " tickets in " << r.matches << " matches, timed out " << r.timed_out << "\n"
    << "  within 10% of the reference: " << (c.within_10_percent ? "yes" : "no") << "\n";
  return o.str();
}

json::object FormatJson(const RunInfo& info, const Summary& s, const Comparison& c) {
  json::array curve;
  for (const auto& r : c.curve) curve.push_back(RefJson(r));
  return {
      {"ruleSet", {{"file", info.rule_set_file}, {"name", info.rule_set_name}}},
      {"workload", {{"seed", info.seed}, {"ratePerSecond", info.rate_per_second}, {"durationSeconds", info.duration_s},
                    {"requestTimeoutSeconds", info.request_timeout_s}, {"drain", info.drain}}},
      {"simulatedSeconds", s.simulated_s},
      {"matcherRuns", s.matcher_runs},
      {"tickets", {{"arrivals", s.arrivals}, {"players", s.players}, {"matched", s.matched},
                   {"timedOut", s.timed_out}, {"searching", s.searching}, {"timedOutShare", s.timed_out_share}}},
      {"matches", s.matches},
      {"playersPerMatch", s.players_per_match},
      {"waitSeconds", DistJson(s.wait_s)},
      {"skillSpread", DistJson(s.skill_spread)},
      {"teamGap", DistJson(s.team_gap)},
      {"reference", {{"atEqualWait", RefJson(c.reference)},
                     {"waitMatched", c.wait_matched},
                     {"onlineMeanWaitSeconds", c.online_mean_wait_ms / 1000.0},
                     {"onlineMeanSkillSpread", c.online_mean_spread},
                     {"onlineMeanTeamGap", c.online_mean_team_gap},
                     {"spreadRatio", c.spread_ratio},
                     {"within10Percent", c.within_10_percent},
                     {"curve", std::move(curve)}}},
  };
}

}  // namespace muster::sim
