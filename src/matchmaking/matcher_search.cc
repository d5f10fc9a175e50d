// The search around one anchor (see matcher_ticket.h).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>

#include "matchmaking/matcher_balance.h"
#include "matchmaking/matcher_ticket.h"

namespace muster::matchmaking {

Matcher::Search::Search(const Matcher& m) : m_(m), rs_(*m.rules_) {
  const std::size_t teams = rs_.teams.size();
  view_.teams.resize(teams);
  room_max_.assign(teams, 0);
  for (const auto& lv : m_.levels_) {
    for (std::size_t t = 0; t < teams; ++t) room_max_[t] = std::max(room_max_[t], lv.team_max[t]);
  }
  full_size_ = 0;
  for (int x : room_max_) full_size_ += x;
}

// Starts a search over `cands` (the anchor first); every buffer keeps its capacity between
// searches.
void Matcher::Search::Reset(Millis now, const std::vector<const Ticket*>& cands) {
  now_ = now;
  cands_.assign(cands.begin(), cands.end());
  counts_.assign(rs_.teams.size(), 0);
  for (auto& team : view_.teams) team.clear();
  counters_.passed.assign(rs_.rules.size(), 0);
  counters_.failed.assign(rs_.rules.size(), 0);
  oldest_start_ = std::numeric_limits<Millis>::max();
  symmetric_ok_ = true;
  for (const Ticket* t : cands_) {
    oldest_start_ = std::min(oldest_start_, t->start);
    if (t->backfill) symmetric_ok_ = false;
  }
  team_of_.assign(cands_.size(), kOut);
  chosen_.clear();
  clashes_.clear();
  assign_.assign(cands_.size(), kOut);
  found_ = false;
  size_ = 0;
  nodes_ = 0;
  first_found_node_ = -1;
  backfills_ = 0;
  stop_ = false;
  best_size_ = 0;
  if (!symmetric_ok_) FindClashes();
}

// A player searching on their own while a backfill ticket lists them (they are in its game
// session) must not land in that session twice: such pairs are never placed together.
void Matcher::Search::FindClashes() {
  // Every (player id, backfill candidate): a player may be listed by more than one backfill.
  auto& listed = backfill_players_;
  listed.clear();
  for (std::size_t c = 0; c < cands_.size(); ++c) {
    if (!cands_[c]->backfill) continue;
    for (const auto& p : cands_[c]->players) listed.emplace_back(p.id, static_cast<int>(c));
  }
  std::sort(listed.begin(), listed.end());
  for (std::size_t c = 0; c < cands_.size(); ++c) {
    if (cands_[c]->backfill) continue;
    for (const auto& p : cands_[c]->players) {
      auto it = std::lower_bound(listed.begin(), listed.end(), std::make_pair(std::string_view(p.id), -1));
      for (; it != listed.end() && it->first == p.id; ++it) clashes_.emplace_back(static_cast<int>(c), it->second);
    }
  }
}

bool Matcher::Search::Clashes(int cand) const {
  for (const auto& [ordinary, backfill] : clashes_) {
    if (ordinary == cand && team_of_[backfill] != kOut) return true;
    if (backfill == cand && team_of_[ordinary] != kOut) return true;
  }
  return false;
}

const EffectiveParams& Matcher::Search::ParamsFor(Millis age) const {
  return m_.levels_[m_.LevelAt(age)];
}

Millis Matcher::Search::NewestStart() const {
  Millis newest = std::numeric_limits<Millis>::min();
  for (int i : chosen_) newest = std::max(newest, cands_[i]->start);
  return newest;
}

// Loosest parameters any superset of the current set can have.
const EffectiveParams& Matcher::Search::PruneParams() const {
  if (rs_.algorithm.expansion_age == ExpansionAge::kOldest) return ParamsFor(now_ - oldest_start_);
  return ParamsFor(now_ - NewestStart());
}

const EffectiveParams& Matcher::Search::ActualParams() const {
  Millis newest = std::numeric_limits<Millis>::min(), oldest = std::numeric_limits<Millis>::max();
  for (int i : chosen_) {
    newest = std::max(newest, cands_[i]->start);
    oldest = std::min(oldest, cands_[i]->start);
  }
  return ParamsFor(now_ - (rs_.algorithm.expansion_age == ExpansionAge::kOldest ? oldest : newest));
}

bool Matcher::Search::CanPlace(int cand, int team) const {
  const Ticket& t = *cands_[cand];
  if (!clashes_.empty() && Clashes(cand)) return false;
  if (t.backfill) {
    if (backfills_ > 0) return false;  // never two backfill tickets in one match
    std::vector<int> add(counts_.size(), 0);
    for (auto ft : t.fixed_team) ++add[ft];
    for (std::size_t k = 0; k < add.size(); ++k) {
      if (counts_[k] + add[k] > room_max_[k]) return false;
    }
    return true;
  }
  if (counts_[team] + t.player_count > room_max_[team]) return false;
  int def = rs_.teams[team].definition;
  if (symmetric_ok_ && counts_[team] == 0 && m_.symmetric_definition_[def]) {
    // Interchangeable teams fill in order: only the first empty one may be opened.
    for (int k = 0; k < team; ++k) {
      if (rs_.teams[k].definition == def && counts_[k] == 0) return false;
    }
  }
  return true;
}

void Matcher::Search::Place(int cand, int team) {
  const Ticket& t = *cands_[cand];
  chosen_.push_back(cand);
  size_ += t.player_count;
  if (t.backfill) {
    team_of_[cand] = kFixedTeams;
    ++backfills_;
    for (std::size_t k = 0; k < t.players.size(); ++k) {
      ++counts_[t.fixed_team[k]];
      view_.teams[t.fixed_team[k]].push_back(&t.players[k]);
    }
    return;
  }
  team_of_[cand] = team;
  counts_[team] += t.player_count;
  for (const auto& p : t.players) view_.teams[team].push_back(&p);
}

void Matcher::Search::Unplace(int cand) {
  const Ticket& t = *cands_[cand];
  chosen_.pop_back();
  size_ -= t.player_count;
  if (t.backfill) {
    --backfills_;
    for (std::size_t k = t.players.size(); k-- > 0;) {
      --counts_[t.fixed_team[k]];
      view_.teams[t.fixed_team[k]].pop_back();
    }
  } else {
    counts_[team_of_[cand]] -= t.player_count;
    for (std::size_t k = 0; k < t.players.size(); ++k) view_.teams[team_of_[cand]].pop_back();
  }
  team_of_[cand] = kOut;
}

bool Matcher::Search::Verify(const Assignment& assign, const EffectiveParams& p,
                             RuleCounters* counters) {
  MatchView& v = verify_view_;
  v.teams.resize(rs_.teams.size());
  for (auto& team : v.teams) team.clear();
  for (std::size_t c = 0; c < assign.size(); ++c) {
    if (assign[c] == kOut) continue;
    const Ticket& t = *cands_[c];
    for (std::size_t k = 0; k < t.players.size(); ++k) {
      v.teams[assign[c] == kFixedTeams ? t.fixed_team[k] : assign[c]].push_back(&t.players[k]);
    }
  }
  for (std::size_t t = 0; t < v.teams.size(); ++t) {
    int n = static_cast<int>(v.teams[t].size());
    if (n < p.team_min[t] || n > p.team_max[t]) return false;
  }
  return EvaluateMatch(rs_, v, p, counters);
}

// Strategy balanced: re-forms the teams of the chosen tickets (same team sizes) so that the
// team averages of the balanced attribute are as close as possible, if the rules still hold.
bool Matcher::Search::Rebalance(const EffectiveParams& p, Assignment* assign) {
  const int attr = rs_.algorithm.balanced_attribute;
  if (rs_.algorithm.strategy != Strategy::kBalanced || attr < 0) return false;
  const std::size_t teams = rs_.teams.size();
  auto& target = target_;
  auto& items = items_;
  auto& owner = item_owner_;  // item -> (candidate, fixed team or -1)
  target.assign(teams, 0);
  items.clear();
  owner.clear();
  for (std::size_t c = 0; c < assign->size(); ++c) {
    const int a = (*assign)[c];
    if (a == kOut) continue;
    const Ticket& t = *cands_[c];
    auto value = [&](std::size_t k) {
      AttrRef r = PlayerAttribute(t.players[k], attr);
      return r.number ? r.n : (r.present && r.value->type == AttributeType::kNumber ? r.value->n : 0);
    };
    if (a == kFixedTeams) {
      // One fixed item per team the ticket has players on.
      const std::size_t first = items.size();
      for (std::size_t tm = 0; tm < teams; ++tm) {
        BalanceItem it;
        it.size = 0;
        it.fixed_team = static_cast<int>(tm);
        items.push_back(it);
      }
      for (std::size_t k = 0; k < t.players.size(); ++k) {
        BalanceItem& it = items[first + static_cast<std::size_t>(t.fixed_team[k])];
        it.size += 1;
        it.sum += value(k);
        ++target[t.fixed_team[k]];
      }
      std::size_t w = first;
      for (std::size_t i = first; i < items.size(); ++i) {
        if (items[i].size == 0) continue;
        items[w++] = items[i];
        owner.emplace_back(static_cast<int>(c), items[i].fixed_team);
      }
      items.resize(w);
      continue;
    }
    target[a] += t.player_count;
    BalanceItem it;
    it.size = t.player_count;
    it.sum = 0;
    for (std::size_t k = 0; k < t.players.size(); ++k) it.sum += value(k);
    items.push_back(it);
    owner.emplace_back(static_cast<int>(c), -1);
  }
  std::vector<int> team_of = BalanceTeams(items, target);
  if (team_of.empty()) return false;
  Assignment& out = rebalanced_;
  out = *assign;
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto [c, fixed] = owner[i];
    if (fixed < 0) out[c] = team_of[i];
  }
  RuleCounters& scratch = rebalance_counters_;
  scratch.passed.assign(rs_.rules.size(), 0);
  scratch.failed.assign(rs_.rules.size(), 0);
  if (!Verify(out, p, &scratch)) return false;
  assign->swap(out);
  for (std::size_t i = 0; i < rs_.rules.size(); ++i) {
    counters_.passed[i] += scratch.passed[i];
    counters_.failed[i] += scratch.failed[i];
  }
  return true;
}

void Matcher::Search::CheckComplete() {
  if (size_ <= best_size_ || backfills_ == static_cast<int>(chosen_.size())) return;
  const EffectiveParams& p = ActualParams();
  for (std::size_t t = 0; t < counts_.size(); ++t) {
    if (counts_[t] < p.team_min[t] || counts_[t] > p.team_max[t]) return;
  }
  if (!EvaluateMatch(rs_, view_, p, &counters_)) return;
  found_ = true;
  assign_ = team_of_;
  best_size_ = size_;
  if (first_found_node_ < 0) first_found_node_ = nodes_;
  if (size_ >= full_size_) stop_ = true;
}

void Matcher::Search::Dfs(std::size_t i, bool changed) {
  if (stop_) return;
  ++nodes_;
  int budget = m_.limits_.max_nodes_per_anchor;
  if (first_found_node_ >= 0) budget = std::min(budget, first_found_node_ + budget / 8 + 1);
  if (nodes_ > budget) {
    stop_ = true;
    return;
  }
  if (changed) CheckComplete();
  if (stop_ || i >= cands_.size()) return;
  const std::size_t options = cands_[i]->backfill ? 1 : rs_.teams.size();
  for (std::size_t t = 0; t < options; ++t) {
    if (!CanPlace(static_cast<int>(i), static_cast<int>(t))) continue;
    Place(static_cast<int>(i), static_cast<int>(t));
    if (EvaluateMonotoneRules(rs_, view_, PruneParams())) Dfs(i + 1, true);
    Unplace(static_cast<int>(i));
    if (stop_) return;
  }
  Dfs(i + 1, false);
}

// Set mode (large matches; balanced rule sets whose rules ignore teams): takes candidates in
// order while the monotone rules hold and the match has room, then forms balanced teams.
bool Matcher::Search::RunSetMode() {
  // Incremental checks (fast_set_checks_): spread of the key, regions every ticket may use.
  double lo = INFINITY, hi = -INFINITY;
  std::uint64_t mask = ~0ULL;
  int mask_level = -1;
  Millis newest = std::numeric_limits<Millis>::min();  // NewestStart() of the chosen, kept here
  auto fast_ok = [&](const Ticket& t) {
    const int level = m_.LevelAt(now_ - std::max(t.start, chosen_.empty() ? t.start : newest));
    const EffectiveParams& p = m_.levels_[level];
    if (m_.key_rule_ >= 0) {
      double d = p.rule[m_.key_rule_][kMaxDistance].value_or(0);
      if (std::max(hi, t.key) - std::min(lo, t.key) > d) return false;
    }
    if (m_.latency_rule_ >= 0) {
      std::uint64_t cur = mask;
      if (level != mask_level) {  // a newer ticket tightens the level: recompute for the set
        cur = ~0ULL;
        for (int c : chosen_) cur &= m_.RegionMask(*cands_[c], level);
      }
      cur &= m_.RegionMask(t, level);
      if (cur == 0) return false;
      mask = cur;
      mask_level = level;
    }
    lo = std::min(lo, t.key);
    hi = std::max(hi, t.key);
    return true;
  };
  for (std::size_t i = 0; i < cands_.size() && size_ < full_size_; ++i) {
    ++nodes_;
    const Ticket& t = *cands_[i];
    if (size_ + t.player_count > full_size_) continue;
    if (t.backfill && backfills_ > 0) continue;
    if (t.backfill && !CanPlace(static_cast<int>(i), 0)) continue;
    if (!clashes_.empty() && Clashes(static_cast<int>(i))) continue;
    if (m_.fast_set_checks_ && rs_.algorithm.expansion_age == ExpansionAge::kNewest) {
      if (fast_ok(t)) {
        Place(static_cast<int>(i), 0);
        newest = std::max(newest, t.start);
      }
      continue;
    }
    Place(static_cast<int>(i), 0);  // rules ignore teams: everyone in team 0 for the checks
    if (!EvaluateMonotoneRules(rs_, view_, PruneParams())) Unplace(static_cast<int>(i));
  }
  if (backfills_ == static_cast<int>(chosen_.size())) return false;
  const EffectiveParams& p = ActualParams();
  const std::size_t teams = rs_.teams.size();
  // Target sizes: fixed players first, every team at least its minimum, the rest spread evenly.
  std::vector<int> target(teams, 0);
  for (int c : chosen_) {
    if (cands_[c]->backfill) {
      for (auto ft : cands_[c]->fixed_team) ++target[ft];
    }
  }
  int placed = 0;
  for (std::size_t t = 0; t < teams; ++t) {
    if (target[t] > p.team_max[t]) return false;
    target[t] = std::max(target[t], p.team_min[t]);
    placed += target[t];
  }
  if (placed > size_) return false;
  for (int rest = size_ - placed; rest > 0; --rest) {
    int pick = -1;
    for (std::size_t t = 0; t < teams; ++t) {
      if (target[t] >= p.team_max[t]) continue;
      if (pick < 0 || target[t] < target[pick]) pick = static_cast<int>(t);
    }
    if (pick < 0) return false;
    ++target[pick];
  }
  // Rebalance needs team sizes equal to the target: give it a provisional packing.
  auto& items = items_;
  auto& owner = item_owner_;
  items.clear();
  owner.clear();
  std::vector<int> fixed_count(teams, 0);
  for (int c : chosen_) {
    const Ticket& t = *cands_[c];
    if (t.backfill) {
      for (auto ft : t.fixed_team) ++fixed_count[ft];
      continue;
    }
    BalanceItem it;
    it.size = t.player_count;
    items.push_back(it);
    owner.emplace_back(c, -1);
  }
  for (std::size_t t = 0; t < teams; ++t) {
    if (fixed_count[t] == 0) continue;
    BalanceItem it;
    it.size = fixed_count[t];
    it.fixed_team = static_cast<int>(t);
    items.push_back(it);
  }
  std::vector<int> packed = BalanceTeams(items, target);
  if (packed.empty()) return false;
  Assignment& assign = assign_;
  assign.assign(cands_.size(), kOut);
  for (int c : chosen_) {
    if (cands_[c]->backfill) assign[c] = kFixedTeams;
  }
  for (std::size_t i = 0; i < owner.size(); ++i) assign[owner[i].first] = packed[i];
  if (!Rebalance(p, &assign)) {
    if (!Verify(assign, p, &counters_)) return false;
  }
  found_ = true;
  return true;
}

bool Matcher::Search::Run() {
  if (cands_.empty()) return false;
  if (m_.set_mode_) return RunSetMode();
  const Ticket& anchor = *cands_[0];
  const std::size_t options = anchor.backfill ? 1 : rs_.teams.size();
  for (std::size_t t = 0; t < options && !stop_; ++t) {
    if (!CanPlace(0, static_cast<int>(t))) continue;
    Place(0, static_cast<int>(t));
    if (EvaluateMonotoneRules(rs_, view_, PruneParams())) Dfs(1, true);
    Unplace(0);
  }
  if (!found_) return false;
  // Balanced: re-form the teams of the chosen tickets when the rules still hold.
  chosen_.clear();
  for (std::size_t c = 0; c < assign_.size(); ++c) {
    if (assign_[c] != kOut) chosen_.push_back(static_cast<int>(c));
  }
  Rebalance(ActualParams(), &assign_);
  return true;
}

}  // namespace muster::matchmaking
