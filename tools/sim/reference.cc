#include "tools/sim/reference.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <optional>

namespace muster::sim {

namespace {

struct Pending {
  int ticket;
  double avg_skill;
  double sum_skill;
  int size;
};

// Puts whole parties into teams: largest parties first, each into the team with room and the
// lowest total skill. nullopt when some party finds no room.
std::optional<std::vector<int>> Pack(const std::vector<Pending>& group, const std::vector<int>& sizes) {
  std::vector<int> order(group.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    if (group[a].size != group[b].size) return group[a].size > group[b].size;
    if (group[a].sum_skill != group[b].sum_skill) return group[a].sum_skill > group[b].sum_skill;
    return group[a].ticket < group[b].ticket;
  });
  std::vector<int> room = sizes;
  std::vector<double> total(sizes.size(), 0);
  std::vector<int> team_of(group.size(), -1);
  for (int i : order) {
    int best = -1;
    for (std::size_t t = 0; t < sizes.size(); ++t) {
      if (room[t] < group[i].size) continue;
      if (best < 0 || total[t] < total[best]) best = static_cast<int>(t);
    }
    if (best < 0) return std::nullopt;
    room[best] -= group[i].size;
    total[best] += group[i].sum_skill;
    team_of[i] = best;
  }
  return team_of;
}

struct Accumulator {
  ReferenceResult r;
  double wait_sum = 0, spread_sum = 0, gap_sum = 0;
};

// Cuts one pool (sorted by skill) into full matches at time `now`; unmatched tickets stay.
void CutPool(std::vector<Pending>* pool, Millis now, const std::vector<TicketRecord>& tickets,
             const std::vector<int>& sizes, int match_size, Accumulator* acc) {
  std::sort(pool->begin(), pool->end(), [](const Pending& a, const Pending& b) {
    return a.avg_skill != b.avg_skill ? a.avg_skill < b.avg_skill : a.ticket < b.ticket;
  });
  std::deque<Pending> queue(pool->begin(), pool->end());
  std::vector<Pending> left, group, skipped;
  int filled = 0;
  while (!queue.empty()) {
    Pending p = queue.front();
    queue.pop_front();
    group.push_back(p);
    if (filled + p.size > match_size || !Pack(group, sizes)) {
      group.pop_back();
      skipped.push_back(p);
    } else {
      filled += p.size;
    }
    if (filled == match_size) {
      std::vector<int> team_of = *Pack(group, sizes);
      MatchRecord m;
      m.team_skills.resize(sizes.size());
      for (std::size_t i = 0; i < group.size(); ++i) {
        const TicketRecord& t = tickets[group[i].ticket];
        for (double s : t.skills) m.team_skills[team_of[i]].push_back(s);
        acc->wait_sum += static_cast<double>(now - t.arrival);
        ++acc->r.matched;
      }
      MeasureMatch(&m);
      acc->spread_sum += m.skill_spread;
      acc->gap_sum += m.team_gap;
      ++acc->r.matches;
      group.clear();
      filled = 0;
      // Skipped tickets are the closest in skill to what follows: they go first.
      queue.insert(queue.begin(), skipped.begin(), skipped.end());
      skipped.clear();
    }
  }
  left.insert(left.end(), group.begin(), group.end());
  left.insert(left.end(), skipped.begin(), skipped.end());
  *pool = std::move(left);
}

}  // namespace

ReferenceParams ReferenceParamsFor(const matchmaking::RuleSet& rules, Millis request_timeout_ms) {
  ReferenceParams p;
  p.request_timeout_ms = request_timeout_ms;
  for (const auto& t : rules.teams) p.team_sizes.push_back(t.max_players);
  for (const auto& r : rules.rules) p.by_region = p.by_region || r.type == matchmaking::RuleType::kLatency;
  return p;
}

ReferenceResult RunReference(const std::vector<TicketRecord>& tickets, const ReferenceParams& params) {
  Accumulator acc;
  acc.r.window_ms = params.window_ms;
  int match_size = 0;
  for (int s : params.team_sizes) match_size += s;
  if (tickets.empty() || match_size <= 0 || params.window_ms <= 0) return acc.r;
  std::map<std::pair<int, std::string>, std::vector<Pending>> pools;
  const Millis start = tickets.front().arrival;
  std::size_t next = 0;
  long waiting = 0;
  for (Millis end = start + params.window_ms; next < tickets.size() || waiting > 0; end += params.window_ms) {
    for (; next < tickets.size() && tickets[next].arrival < end; ++next) {
      const TicketRecord& t = tickets[next];
      double sum = 0;
      for (double s : t.skills) sum += s;
      int size = static_cast<int>(t.skills.size());
      pools[{params.by_region ? t.home_region : 0, t.partition}].push_back(
          {static_cast<int>(next), size ? sum / size : 0, sum, size});
      ++waiting;
    }
    waiting = 0;
    for (auto& [key, pool] : pools) {
      // Timeouts first, as online: a ticket never waits longer than the request timeout.
      std::erase_if(pool, [&](const Pending& p) {
        bool expired = end - tickets[p.ticket].arrival > params.request_timeout_ms;
        if (expired) ++acc.r.timed_out;
        return expired;
      });
      CutPool(&pool, end, tickets, params.team_sizes, match_size, &acc);
      waiting += static_cast<long>(pool.size());
    }
  }
  if (acc.r.matched) acc.r.mean_wait_ms = acc.wait_sum / static_cast<double>(acc.r.matched);
  if (acc.r.matches) {
    acc.r.mean_spread = acc.spread_sum / static_cast<double>(acc.r.matches);
    acc.r.mean_team_gap = acc.gap_sum / static_cast<double>(acc.r.matches);
  }
  return acc.r;
}

Comparison CompareAtEqualWait(const std::vector<TicketRecord>& tickets,
                              const std::vector<MatchRecord>& online_matches, ReferenceParams params) {
  Comparison c;
  double wait_sum = 0;
  long matched = 0;
  for (const auto& t : tickets) {
    if (t.outcome != TicketOutcome::kMatched) continue;
    wait_sum += static_cast<double>(t.wait());
    ++matched;
  }
  c.online_mean_wait_ms = matched ? wait_sum / static_cast<double>(matched) : 0;
  for (const auto& m : online_matches) {
    c.online_mean_spread += m.skill_spread;
    c.online_mean_team_gap += m.team_gap;
  }
  if (!online_matches.empty()) {
    c.online_mean_spread /= static_cast<double>(online_matches.size());
    c.online_mean_team_gap /= static_cast<double>(online_matches.size());
  }
  auto run = [&](Millis w) {
    params.window_ms = std::max<Millis>(1, w);
    return RunReference(tickets, params);
  };
  // The curve: windows from 50 ms up to the request timeout, geometric.
  const Millis top = std::max<Millis>(100, params.request_timeout_ms);
  for (double w = 50; w <= static_cast<double>(top) * 1.0001; w *= 1.5) {
    c.curve.push_back(run(static_cast<Millis>(w)));
  }
  // Bisection on the window: the reference's mean wait grows with it.
  Millis lo = 1, hi = top;
  ReferenceResult at_lo = run(lo);
  if (at_lo.matched == 0 || at_lo.mean_wait_ms >= c.online_mean_wait_ms) {
    c.reference = at_lo;
  } else {
    ReferenceResult best = at_lo;
    for (int i = 0; i < 40 && lo < hi; ++i) {
      Millis mid = lo + (hi - lo) / 2;
      ReferenceResult r = run(mid);
      if (r.matched > 0 && std::fabs(r.mean_wait_ms - c.online_mean_wait_ms) <
                               std::fabs(best.mean_wait_ms - c.online_mean_wait_ms)) {
        best = r;
      }
      if (r.matched > 0 && r.mean_wait_ms < c.online_mean_wait_ms) lo = mid + 1;
      else hi = mid;
    }
    c.reference = best;
    double diff = std::fabs(best.mean_wait_ms - c.online_mean_wait_ms);
    c.wait_matched = diff <= std::max(10.0, 0.01 * c.online_mean_wait_ms);
  }
  if (c.reference.mean_spread > 0) c.spread_ratio = c.online_mean_spread / c.reference.mean_spread;
  c.within_10_percent = c.spread_ratio > 0 && c.spread_ratio <= 1.10;
  return c;
}

}  // namespace muster::sim
