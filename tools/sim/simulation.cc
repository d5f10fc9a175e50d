#include "tools/sim/simulation.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <unordered_map>

namespace muster::sim {

namespace {
constexpr Millis kNever = std::numeric_limits<Millis>::max();
}  // namespace

int MatchRecord::players() const {
  int n = 0;
  for (const auto& t : team_skills) n += static_cast<int>(t.size());
  return n;
}

void MeasureMatch(MatchRecord* m) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  double best = -lo, worst = lo;
  for (const auto& team : m->team_skills) {
    if (team.empty()) continue;
    double sum = 0;
    for (double s : team) {
      lo = std::min(lo, s);
      hi = std::max(hi, s);
      sum += s;
    }
    double avg = sum / static_cast<double>(team.size());
    best = std::max(best, avg);
    worst = std::min(worst, avg);
  }
  m->skill_spread = hi >= lo ? hi - lo : 0;
  m->team_gap = best >= worst ? best - worst : 0;
}

Simulation::Simulation(std::shared_ptr<const matchmaking::RuleSet> rules, SimOptions options)
    : rules_(std::move(rules)), options_(options) {}

Result<SimOutcome> Simulation::Run(ArrivalSource& source, const std::function<void(double)>& progress) {
  matchmaking::Matcher matcher(rules_, options_.limits);
  SimOutcome out;
  out.start = options_.start;
  const Millis stop = options_.drain ? kNever : options_.start + options_.duration_ms;
  std::unordered_map<std::string, int> searching;  // ticket id -> index
  std::unordered_map<std::string, std::pair<int, int>> players;  // player id -> (ticket, k)
  std::size_t oldest = 0;  // tickets before this index are no longer searching
  std::optional<Arrival> next = source.Next();
  Millis now = options_.start;
  int reported = -1;

  while (true) {
    while (oldest < out.tickets.size() && out.tickets[oldest].outcome != TicketOutcome::kSearching) {
      ++oldest;
    }
    Millis t_arrival = next ? next->time : kNever;
    Millis t_timeout = oldest < out.tickets.size()
                           ? out.tickets[oldest].arrival + options_.request_timeout_ms
                           : kNever;
    Millis t_expand = matcher.size() > 0 ? matcher.NextExpansionAt(now) : kNever;
    Millis t = std::min({t_arrival, t_timeout, t_expand});
    if (t == kNever || t > stop) break;
    now = std::max(now, t);

    // Timeouts first: a ticket never waits longer than the request timeout.
    for (std::size_t i = oldest; i < out.tickets.size(); ++i) {
      TicketRecord& r = out.tickets[i];
      if (r.arrival + options_.request_timeout_ms > now) break;
      if (r.outcome != TicketOutcome::kSearching) continue;
      matcher.Remove(r.id);
      searching.erase(r.id);
      for (const auto& pid : r.player_ids) players.erase(pid);
      r.outcome = TicketOutcome::kTimedOut;
      r.end = now;
    }
    while (next && next->time <= now) {
      TicketRecord r;
      r.id = next->ticket.ticket_id;
      r.arrival = next->time;
      r.skills = next->skills;
      r.home_region = next->home_region;
      r.partition = next->partition;
      if (next->skills.size() != next->ticket.players.size()) {
        return Error::InvalidArgument("arrival " + r.id + " has a skill count unlike its player count");
      }
      Status st = matcher.Add(next->ticket);
      if (!st.ok()) {
        return Error{st.error().code, "ticket " + r.id + " refused by the matcher: " + st.error().message};
      }
      const int index = static_cast<int>(out.tickets.size());
      searching[r.id] = index;
      for (std::size_t k = 0; k < r.skills.size(); ++k) {
        r.player_ids.push_back(next->ticket.players[k].player_id);
        players[r.player_ids.back()] = {index, static_cast<int>(k)};
      }
      out.tickets.push_back(std::move(r));
      next = source.Next();
    }

    std::vector<matchmaking::MatchResult> results = matcher.Run(now);
    ++out.matcher_runs;
    for (auto& res : results) {
      MatchRecord m;
      m.time = now;
      m.team_names = res.team_names;
      m.team_skills.resize(res.team_names.size());
      double wait_sum = 0;
      for (const auto& id : res.ticket_ids) {
        auto it = searching.find(id);
        if (it == searching.end()) {
          return Error::Internal("matcher returned ticket " + id + " which is not searching");
        }
        TicketRecord& r = out.tickets[it->second];
        r.outcome = TicketOutcome::kMatched;
        r.end = now;
        r.match = static_cast<int>(out.matches.size());
        m.tickets.push_back(it->second);
        wait_sum += static_cast<double>(r.wait());
      }
      for (const auto& p : res.players) {
        auto it = players.find(p.player_id);
        auto team = std::find(m.team_names.begin(), m.team_names.end(), p.team) - m.team_names.begin();
        if (it == players.end() || team >= static_cast<long>(m.team_names.size())) {
          return Error::Internal("matcher returned an unknown player or team: " + p.player_id);
        }
        m.team_skills[team].push_back(out.tickets[it->second.first].skills[it->second.second]);
        players.erase(it);
      }
      for (const auto& id : res.ticket_ids) searching.erase(id);
      m.mean_wait_ms = res.ticket_ids.empty() ? 0 : wait_sum / static_cast<double>(res.ticket_ids.size());
      MeasureMatch(&m);
      out.matches.push_back(std::move(m));
    }

    if (progress) {
      double span = static_cast<double>(options_.duration_ms + (options_.drain ? options_.request_timeout_ms : 0));
      double f = std::min(1.0, static_cast<double>(now - options_.start) / std::max(1.0, span));
      int step = static_cast<int>(f * 200);
      if (step != reported) {
        reported = step;
        progress(f);
      }
    }
  }
  out.end = options_.drain ? now : std::max(now, stop);
  if (progress) progress(1.0);
  return out;
}

}  // namespace muster::sim
