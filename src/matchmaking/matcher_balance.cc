#include "matchmaking/matcher_balance.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace muster::matchmaking {
namespace {

struct Teams {
  std::vector<double> sum;
  std::vector<int> count;
  double Spread() const {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (std::size_t t = 0; t < sum.size(); ++t) {
      if (count[t] == 0) continue;
      double a = sum[t] / count[t];
      lo = std::min(lo, a);
      hi = std::max(hi, a);
    }
    return hi >= lo ? hi - lo : 0;
  }
};

class Exact {
 public:
  Exact(const std::vector<BalanceItem>& items, const std::vector<int>& target,
        const std::vector<int>& free, Teams teams)
      : items_(items), target_(target), free_(free), teams_(std::move(teams)) {}

  std::vector<int> Solve(std::vector<int> team_of) {
    cur_ = std::move(team_of);
    Dfs(0);
    return best_;
  }

 private:
  void Dfs(std::size_t k) {
    if (k == free_.size()) {
      for (std::size_t t = 0; t < target_.size(); ++t) {
        if (teams_.count[t] != target_[t]) return;
      }
      double s = teams_.Spread();
      if (s < best_spread_) {
        best_spread_ = s;
        best_ = cur_;
      }
      return;
    }
    const BalanceItem& it = items_[free_[k]];
    for (std::size_t t = 0; t < target_.size(); ++t) {
      if (teams_.count[t] + it.size > target_[t]) continue;
      cur_[free_[k]] = static_cast<int>(t);
      teams_.count[t] += it.size;
      teams_.sum[t] += it.sum;
      Dfs(k + 1);
      teams_.count[t] -= it.size;
      teams_.sum[t] -= it.sum;
    }
  }

  const std::vector<BalanceItem>& items_;
  const std::vector<int>& target_;
  const std::vector<int>& free_;
  Teams teams_;
  std::vector<int> cur_;
  std::vector<int> best_;
  double best_spread_ = std::numeric_limits<double>::infinity();
};

// Greedy fill; `balance` false = plain first-fit decreasing by size.
bool Greedy(const std::vector<BalanceItem>& items, const std::vector<int>& target,
            const std::vector<int>& free, bool balance, double mean, Teams* teams,
            std::vector<int>* team_of) {
  std::vector<int> order = free;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    if (items[a].size != items[b].size) return items[a].size > items[b].size;
    return balance && items[a].sum / items[a].size > items[b].sum / items[b].size;
  });
  for (int i : order) {
    int pick = -1;
    double pick_score = 0;
    for (std::size_t t = 0; t < target.size(); ++t) {
      if (teams->count[t] + items[i].size > target[t]) continue;
      // How far the team is below the overall mean, per slot it still has to fill.
      double score = balance ? (mean * teams->count[t] - teams->sum[t]) +
                                   mean * (target[t] - teams->count[t]) * 1e-9
                             : static_cast<double>(target[t] - teams->count[t]);
      if (pick < 0 || score > pick_score) {
        pick = static_cast<int>(t);
        pick_score = score;
      }
    }
    if (pick < 0) return false;
    (*team_of)[i] = pick;
    teams->count[pick] += items[i].size;
    teams->sum[pick] += items[i].sum;
  }
  return true;
}

// Swaps equal-size free items between teams while that lowers the spread.
void Improve(const std::vector<BalanceItem>& items, const std::vector<int>& free, Teams* teams,
             std::vector<int>* team_of) {
  double spread = teams->Spread();
  for (int pass = 0; pass < 8 && spread > 0; ++pass) {
    bool improved = false;
    for (std::size_t x = 0; x < free.size(); ++x) {
      for (std::size_t y = x + 1; y < free.size(); ++y) {
        int a = free[x], b = free[y];
        int ta = (*team_of)[a], tb = (*team_of)[b];
        if (ta == tb || items[a].size != items[b].size || items[a].sum == items[b].sum) continue;
        double d = items[b].sum - items[a].sum;
        teams->sum[ta] += d;
        teams->sum[tb] -= d;
        double s = teams->Spread();
        if (s < spread - 1e-12) {
          spread = s;
          std::swap((*team_of)[a], (*team_of)[b]);
          improved = true;
        } else {
          teams->sum[ta] -= d;
          teams->sum[tb] += d;
        }
      }
    }
    if (!improved) break;
  }
}

// Two teams: applies the one swap of equal-size free items that brings the two team averages
// closest, found per size by a binary search over one team's sorted sums, while that lowers the
// spread. A swap moves d = (sum of b) - (sum of a) from team 1 to team 0, changing the gap of the
// averages by d * (1/count0 + 1/count1); the best d cancels the gap.
void ImproveTwoTeams(const std::vector<BalanceItem>& items, const std::vector<int>& free,
                     Teams* teams, std::vector<int>* team_of) {
  if (teams->count[0] == 0 || teams->count[1] == 0) return;
  const double c0 = teams->count[0], c1 = teams->count[1];
  auto spread_after = [&](double d) {
    return std::fabs((teams->sum[0] + d) / c0 - (teams->sum[1] - d) / c1);
  };
  struct Side {
    double sum;
    int size;
    int item;
  };
  thread_local std::vector<Side> on0, on1;  // kept per thread: no allocation per call
  auto by_size_then_sum = [](const Side& x, const Side& y) {
    return x.size != y.size ? x.size < y.size : x.sum < y.sum;
  };
  for (int round = 0; round < 16; ++round) {
    const double spread = teams->Spread();
    if (spread <= 0) return;
    on0.clear();
    on1.clear();
    for (int i : free) {
      (*team_of)[i] == 0 ? on0.push_back({items[i].sum, items[i].size, i})
                         : on1.push_back({items[i].sum, items[i].size, i});
    }
    std::sort(on1.begin(), on1.end(), by_size_then_sum);
    const double want = -(teams->sum[0] / c0 - teams->sum[1] / c1) / (1 / c0 + 1 / c1);
    double best = spread - 1e-12;
    int best_a = -1, best_b = -1;
    for (const Side& a : on0) {
      // Team 1's items of a's size whose sum is nearest a.sum + want.
      const Side key{a.sum + want, a.size, -1};
      auto it = std::lower_bound(on1.begin(), on1.end(), key, by_size_then_sum);
      for (auto c : {it, it == on1.begin() ? on1.end() : std::prev(it)}) {
        if (c == on1.end() || c->size != a.size || c->sum == a.sum) continue;
        const double s = spread_after(c->sum - a.sum);
        if (s < best) {
          best = s;
          best_a = a.item;
          best_b = c->item;
        }
      }
    }
    if (best_a < 0) return;
    const double d = items[best_b].sum - items[best_a].sum;
    teams->sum[0] += d;
    teams->sum[1] -= d;
    std::swap((*team_of)[best_a], (*team_of)[best_b]);
  }
}

}  // namespace

double TeamAverageSpread(const std::vector<BalanceItem>& items, const std::vector<int>& team_of,
                         int teams) {
  Teams t{std::vector<double>(teams, 0), std::vector<int>(teams, 0)};
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (team_of[i] < 0 || team_of[i] >= teams) continue;
    t.sum[team_of[i]] += items[i].sum;
    t.count[team_of[i]] += items[i].size;
  }
  return t.Spread();
}

std::vector<int> BalanceTeams(const std::vector<BalanceItem>& items, const std::vector<int>& target) {
  const std::size_t teams = target.size();
  Teams fixed{std::vector<double>(teams, 0), std::vector<int>(teams, 0)};
  std::vector<int> team_of(items.size(), -1);
  std::vector<int> free;
  double total = 0;
  int players = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    total += items[i].sum;
    players += items[i].size;
    if (items[i].fixed_team >= 0 && static_cast<std::size_t>(items[i].fixed_team) < teams) {
      team_of[i] = items[i].fixed_team;
      fixed.count[items[i].fixed_team] += items[i].size;
      fixed.sum[items[i].fixed_team] += items[i].sum;
    } else {
      free.push_back(static_cast<int>(i));
    }
  }
  if (players != std::accumulate(target.begin(), target.end(), 0)) return {};
  for (std::size_t t = 0; t < teams; ++t) {
    if (fixed.count[t] > target[t]) return {};
  }
  double budget = std::pow(static_cast<double>(teams), static_cast<double>(free.size()));
  if (static_cast<int>(free.size()) <= kExactBalanceItems && budget <= kExactBudget) {
    return Exact(items, target, free, fixed).Solve(team_of);
  }
  const double mean = players > 0 ? total / players : 0;
  Teams t = fixed;
  std::vector<int> out = team_of;
  if (!Greedy(items, target, free, true, mean, &t, &out)) {
    t = fixed;
    out = team_of;
    if (!Greedy(items, target, free, false, mean, &t, &out)) return {};
  }
  if (teams == 2) {
    ImproveTwoTeams(items, free, &t, &out);
  } else {
    Improve(items, free, &t, &out);
  }
  return out;
}

}  // namespace muster::matchmaking
