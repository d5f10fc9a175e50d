#include "matchmaking/matcher.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace muster::matchmaking {

struct Matcher::Ticket {
  std::string id;
  Millis start = 0;
  std::uint64_t seq = 0;
  std::vector<EvalPlayer> players;
  bool taken = false;
  int size() const { return static_cast<int>(players.size()); }
};

namespace {

void CollectPaths(const Expr& e, std::vector<const Expr*>* out) {
  if (e.is_call) {
    CollectPaths(*e.arg, out);
  } else {
    out->push_back(&e);
  }
}

// Sort key of one ticket for a sort rule: the party's aggregated attribute value.
std::optional<double> SortValue(const Rule& r, const std::vector<EvalPlayer>& players) {
  std::vector<double> xs;
  for (const auto& p : players) {
    const auto& a = p.attributes[r.attribute];
    if (!a) continue;
    if (a->type == AttributeType::kNumber) {
      xs.push_back(a->n);
    } else if (a->type == AttributeType::kStringNumberMap && !a->sdm.empty()) {
      double v = a->sdm[0].second;
      for (const auto& [k, n] : a->sdm) {
        v = r.map_key == MapKey::kMinValue ? std::min(v, n) : std::max(v, n);
      }
      xs.push_back(v);
    }
  }
  if (xs.empty()) return std::nullopt;
  PartyAggregation agg = r.party_aggregation.value_or(PartyAggregation::kAvg);
  if (agg == PartyAggregation::kMin) return *std::min_element(xs.begin(), xs.end());
  if (agg == PartyAggregation::kMax) return *std::max_element(xs.begin(), xs.end());
  double s = 0;
  for (double d : xs) s += d;
  return s / static_cast<double>(xs.size());
}

}  // namespace

// One anchor's bounded depth-first search.
class Matcher::Search {
 public:
  Search(const RuleSet& rs, const MatcherLimits& limits, const std::vector<bool>& symmetric,
         const std::vector<std::int64_t>& step_waits, const std::vector<EffectiveParams>& levels,
         Millis now, Millis pool_oldest_start)
      : rs_(rs), limits_(limits), symmetric_(symmetric), step_waits_(step_waits),
        levels_(levels), now_(now), pool_oldest_start_(pool_oldest_start) {
    const std::size_t teams = rs.teams.size();
    counts_.assign(teams, 0);
    view_.teams.resize(teams);
    room_max_.assign(teams, 0);
    for (const auto& lv : levels_) {
      for (std::size_t t = 0; t < teams; ++t) room_max_[t] = std::max(room_max_[t], lv.team_max[t]);
    }
    full_size_ = 0;
    for (int m : room_max_) full_size_ += m;
    counters_.passed.assign(rs.rules.size(), 0);
    counters_.failed.assign(rs.rules.size(), 0);
  }

  // cands[0] is the anchor. Returns (candidate index, team) pairs of the best match, or empty.
  std::vector<std::pair<int, int>> Find(std::vector<Ticket*> cands) {
    cands_ = std::move(cands);
    team_of_.assign(cands_.size(), -1);
    for (std::size_t t = 0; t < rs_.teams.size() && !stop_; ++t) {
      if (!CanPlace(0, static_cast<int>(t))) continue;
      Place(0, static_cast<int>(t));
      if (EvaluateMonotoneRules(rs_, view_, PruneParams())) Dfs(1, true);
      Unplace(0, static_cast<int>(t));
    }
    return best_;
  }

  const RuleCounters& counters() const { return counters_; }

 private:
  const EffectiveParams& ParamsFor(Millis age) const {
    auto it = std::upper_bound(step_waits_.begin(), step_waits_.end(), age);
    return levels_[it - step_waits_.begin()];
  }
  Millis NewestStart() const {
    Millis m = std::numeric_limits<Millis>::min();
    for (int i : chosen_) m = std::max(m, cands_[i]->start);
    return m;
  }
  Millis OldestStart() const {
    Millis m = std::numeric_limits<Millis>::max();
    for (int i : chosen_) m = std::min(m, cands_[i]->start);
    return m;
  }
  // Loosest parameters any superset of the current set can have.
  const EffectiveParams& PruneParams() const {
    if (rs_.algorithm.expansion_age == ExpansionAge::kOldest) {
      return ParamsFor(now_ - pool_oldest_start_);
    }
    return ParamsFor(now_ - NewestStart());
  }
  const EffectiveParams& ActualParams() const {
    Millis start = rs_.algorithm.expansion_age == ExpansionAge::kOldest ? OldestStart() : NewestStart();
    return ParamsFor(now_ - start);
  }

  bool CanPlace(int cand, int team) const {
    if (counts_[team] + cands_[cand]->size() > room_max_[team]) return false;
    int def = rs_.teams[team].definition;
    if (counts_[team] == 0 && symmetric_[def]) {
      // Interchangeable teams fill in order: only the first empty one may be opened.
      for (int t = 0; t < team; ++t) {
        if (rs_.teams[t].definition == def && counts_[t] == 0) return false;
      }
    }
    return true;
  }
  void Place(int cand, int team) {
    team_of_[cand] = team;
    counts_[team] += cands_[cand]->size();
    size_ += cands_[cand]->size();
    chosen_.push_back(cand);
    for (const auto& p : cands_[cand]->players) view_.teams[team].push_back(&p);
  }
  void Unplace(int cand, int team) {
    team_of_[cand] = -1;
    counts_[team] -= cands_[cand]->size();
    size_ -= cands_[cand]->size();
    chosen_.pop_back();
    for (std::size_t k = 0; k < cands_[cand]->players.size(); ++k) view_.teams[team].pop_back();
  }

  void CheckComplete() {
    if (size_ <= best_size_) return;
    const EffectiveParams& p = ActualParams();
    for (std::size_t t = 0; t < counts_.size(); ++t) {
      if (counts_[t] < p.team_min[t] || counts_[t] > p.team_max[t]) return;
    }
    if (!EvaluateMatch(rs_, view_, p, &counters_)) return;
    best_.clear();
    for (int i : chosen_) best_.emplace_back(i, team_of_[i]);
    best_size_ = size_;
    if (first_found_node_ < 0) first_found_node_ = nodes_;
    if (size_ >= full_size_) stop_ = true;
  }

  void Dfs(std::size_t i, bool changed) {
    if (stop_) return;
    ++nodes_;
    int budget = limits_.max_nodes_per_anchor;
    if (first_found_node_ >= 0) budget = std::min(budget, first_found_node_ + budget / 8 + 1);
    if (nodes_ > budget) {
      stop_ = true;
      return;
    }
    if (changed) CheckComplete();
    if (stop_ || i >= cands_.size()) return;
    for (std::size_t t = 0; t < rs_.teams.size(); ++t) {
      if (!CanPlace(static_cast<int>(i), static_cast<int>(t))) continue;
      Place(static_cast<int>(i), static_cast<int>(t));
      if (EvaluateMonotoneRules(rs_, view_, PruneParams())) Dfs(i + 1, true);
      Unplace(static_cast<int>(i), static_cast<int>(t));
      if (stop_) return;
    }
    Dfs(i + 1, false);
  }

  const RuleSet& rs_;
  const MatcherLimits& limits_;
  const std::vector<bool>& symmetric_;
  const std::vector<std::int64_t>& step_waits_;
  const std::vector<EffectiveParams>& levels_;
  Millis now_;
  Millis pool_oldest_start_;

  std::vector<Ticket*> cands_;
  std::vector<int> team_of_;
  std::vector<int> counts_;
  std::vector<int> room_max_;
  std::vector<int> chosen_;
  MatchView view_;
  int size_ = 0;
  int full_size_ = 0;
  int nodes_ = 0;
  int first_found_node_ = -1;
  bool stop_ = false;
  std::vector<std::pair<int, int>> best_;
  int best_size_ = 0;
  RuleCounters counters_;
};

Matcher::Matcher(std::shared_ptr<const RuleSet> rules, MatcherLimits limits)
    : rules_(std::move(rules)), limits_(limits) {
  const RuleSet& rs = *rules_;
  // Teams of one definition are interchangeable unless some expression singles one out.
  std::vector<int> per_def(rs.definition_count, 0);
  for (const auto& t : rs.teams) ++per_def[t.definition];
  symmetric_definition_.assign(rs.definition_count, false);
  for (int d = 0; d < rs.definition_count; ++d) symmetric_definition_[d] = per_def[d] > 1;
  std::vector<const Expr*> paths;
  for (const auto& r : rs.rules) {
    for (const auto& m : r.measurements) CollectPaths(*m, &paths);
    if (r.reference.expr) CollectPaths(*r.reference.expr, &paths);
  }
  for (const Expr* p : paths) {
    if (p->all_players) continue;
    std::vector<int> hits(rs.definition_count, 0);
    for (int t : p->teams) ++hits[rs.teams[t].definition];
    for (int d = 0; d < rs.definition_count; ++d) {
      if (hits[d] > 0 && hits[d] < per_def[d]) symmetric_definition_[d] = false;
    }
  }
  for (const auto& ex : rs.expansions) {
    for (const auto& s : ex.steps) step_waits_.push_back(s.wait_ms);
  }
  std::sort(step_waits_.begin(), step_waits_.end());
  step_waits_.erase(std::unique(step_waits_.begin(), step_waits_.end()), step_waits_.end());
}

Matcher::~Matcher() = default;

Status Matcher::Add(TicketInput in) {
  const RuleSet& rs = *rules_;
  if (in.ticket_id.empty()) return Error::InvalidArgument("ticketId must not be empty");
  if (in.players.empty() || in.players.size() > static_cast<std::size_t>(kMaxPlayersPerTicket)) {
    return Error::InvalidArgument("a ticket needs 1 to " + std::to_string(kMaxPlayersPerTicket) +
                                  " players; got " + std::to_string(in.players.size()));
  }
  if (by_id_.count(in.ticket_id)) {
    return Error::Conflict("ticket " + in.ticket_id + " is already in the matchmaking pool");
  }
  int largest_team = 0;
  for (const auto& t : rs.teams) largest_team = std::max(largest_team, t.max_players);
  for (const auto& ex : rs.expansions) {
    if (ex.kind != Expansion::kTeamMax) continue;
    for (const auto& s : ex.steps) largest_team = std::max(largest_team, static_cast<int>(s.value));
  }
  if (static_cast<int>(in.players.size()) > largest_team) {
    return Error::InvalidArgument("the ticket has " + std::to_string(in.players.size()) +
                                  " players but the largest team holds " +
                                  std::to_string(largest_team));
  }
  auto t = std::make_unique<Ticket>();
  t->id = in.ticket_id;
  t->start = in.start_time;
  const int slot = next_slot_++;
  std::unordered_set<std::string> seen;
  for (std::size_t i = 0; i < in.players.size(); ++i) {
    PlayerInput& p = in.players[i];
    const std::string path = "players[" + std::to_string(i) + "]";
    if (p.player_id.empty()) return Error::InvalidArgument(path + ".playerId must not be empty");
    if (!seen.insert(p.player_id).second) {
      return Error::InvalidArgument(path + ": player " + p.player_id + " appears twice in the ticket");
    }
    if (player_ids_.count(p.player_id)) {
      return Error::Conflict("player " + p.player_id + " is already in another searching ticket");
    }
    if (p.attributes.size() > static_cast<std::size_t>(kMaxAttributesPerPlayer)) {
      return Error::InvalidArgument(path + ": " + std::to_string(p.attributes.size()) +
                                    " attributes; the limit is " +
                                    std::to_string(kMaxAttributesPerPlayer));
    }
    if (!p.team.empty()) {
      bool known = false;
      for (const auto& team : rs.teams) known = known || team.name == p.team || team.base_name == p.team;
      if (!known) return Error::InvalidArgument(path + ".team: unknown team '" + p.team + "'");
    }
    EvalPlayer ep;
    ep.id = p.player_id;
    ep.ticket = slot;
    ep.attributes.resize(rs.attributes.size());
    for (auto& [name, value] : p.attributes) {
      std::string apath = path + ".attributes." + name;
      MUSTER_RETURN_IF_ERROR(CheckAttributeValue(value, apath));
      int idx = rs.AttributeIndex(name);
      if (idx < 0) continue;  // undeclared attributes are carried by the caller, not matched on
      if (rs.attributes[idx].type != value.type) {
        return Error::InvalidArgument(apath + ": attribute is declared as " +
                                      AttributeTypeName(rs.attributes[idx].type) + ", got " +
                                      AttributeTypeName(value.type));
      }
      ep.attributes[idx] = std::move(value);
    }
    for (std::size_t k = 0; k < rs.attributes.size(); ++k) {
      if (!ep.attributes[k]) ep.attributes[k] = rs.attributes[k].default_value;
    }
    for (const auto& [region, ms] : p.latency_ms) {
      if (region.empty()) return Error::InvalidArgument(path + ".latencyInMs: empty region name");
      if (ms < 0) {
        return Error::InvalidArgument(path + ".latencyInMs." + region + ": must not be negative");
      }
      ep.latency_ms.emplace_back(region, ms);
    }
    t->players.push_back(std::move(ep));
  }
  for (const auto& p : t->players) player_ids_.insert(p.id);
  t->seq = next_seq_++;
  by_id_[t->id] = t.get();
  auto pos = std::upper_bound(pool_.begin(), pool_.end(), t, [](const auto& a, const auto& b) {
    return a->start != b->start ? a->start < b->start : a->seq < b->seq;
  });
  pool_.insert(pos, std::move(t));
  return OkStatus();
}

bool Matcher::Remove(std::string_view ticket_id) {
  auto it = by_id_.find(std::string(ticket_id));
  if (it == by_id_.end()) return false;
  Ticket* t = it->second;
  for (const auto& p : t->players) player_ids_.erase(p.id);
  by_id_.erase(it);
  pool_.erase(std::find_if(pool_.begin(), pool_.end(), [t](const auto& u) { return u.get() == t; }));
  return true;
}

std::vector<MatchResult> Matcher::Run(Millis now) {
  const RuleSet& rs = *rules_;
  std::vector<MatchResult> out;
  if (pool_.empty()) return out;
  std::vector<EffectiveParams> levels;
  levels.push_back(ParamsAtAge(rs, -1));
  for (std::int64_t w : step_waits_) levels.push_back(ParamsAtAge(rs, w));
  std::vector<int> sort_rules;
  for (std::size_t i = 0; i < rs.rules.size(); ++i) {
    if (rs.rules[i].type == RuleType::kAbsoluteSort || rs.rules[i].type == RuleType::kDistanceSort) {
      sort_rules.push_back(static_cast<int>(i));
    }
  }
  for (std::size_t a = 0; a < pool_.size(); ++a) {
    Ticket* anchor = pool_[a].get();
    if (anchor->taken) continue;
    Millis oldest = anchor->start;
    std::vector<Ticket*> cands{anchor};
    for (const auto& t : pool_) {
      if (t->taken || t.get() == anchor) continue;
      oldest = std::min(oldest, t->start);
      cands.push_back(t.get());
    }
    if (!sort_rules.empty() && cands.size() > 2) {
      // Order by the sort rules (relative to the anchor for distanceSort), then by age.
      std::vector<std::vector<double>> keys(cands.size());
      for (std::size_t c = 1; c < cands.size(); ++c) {
        for (int ri : sort_rules) {
          const Rule& r = rs.rules[ri];
          auto v = SortValue(r, cands[c]->players);
          double key = std::numeric_limits<double>::infinity();
          if (v) {
            if (r.type == RuleType::kDistanceSort) {
              auto av = SortValue(r, anchor->players);
              double d = av ? std::fabs(*v - *av) : 0;
              key = r.sort_direction == SortDirection::kAscending ? d : -d;
            } else {
              key = r.sort_direction == SortDirection::kAscending ? *v : -*v;
            }
          }
          keys[c].push_back(key);
        }
      }
      std::vector<std::size_t> idx(cands.size() - 1);
      for (std::size_t k = 0; k < idx.size(); ++k) idx[k] = k + 1;
      std::stable_sort(idx.begin(), idx.end(),
                       [&](std::size_t x, std::size_t y) { return keys[x] < keys[y]; });
      std::vector<Ticket*> sorted{anchor};
      for (std::size_t k : idx) sorted.push_back(cands[k]);
      cands = std::move(sorted);
    }
    if (cands.size() > static_cast<std::size_t>(limits_.max_candidates)) {
      cands.resize(limits_.max_candidates);
    }
    Search search(rs, limits_, symmetric_definition_, step_waits_, levels, now, oldest);
    auto best = search.Find(cands);
    if (best.empty()) continue;
    MatchResult m;
    for (const auto& team : rs.teams) m.team_names.push_back(team.name);
    for (const auto& [c, team] : best) {
      Ticket* t = cands[c];
      t->taken = true;
      m.ticket_ids.push_back(t->id);
      for (const auto& p : t->players) m.players.push_back({p.id, t->id, rs.teams[team].name});
    }
    for (std::size_t i = 0; i < rs.rules.size(); ++i) {
      m.metrics.push_back({rs.rules[i].name, search.counters().passed[i], search.counters().failed[i]});
    }
    out.push_back(std::move(m));
  }
  std::vector<std::unique_ptr<Ticket>> keep;
  for (auto& t : pool_) {
    if (!t->taken) {
      keep.push_back(std::move(t));
      continue;
    }
    for (const auto& p : t->players) player_ids_.erase(p.id);
    by_id_.erase(t->id);
  }
  pool_ = std::move(keep);
  return out;
}

Millis Matcher::NextExpansionAt(Millis now) const {
  Millis next = std::numeric_limits<Millis>::max();
  for (const auto& t : pool_) {
    for (std::int64_t w : step_waits_) {
      if (t->start > std::numeric_limits<Millis>::max() - w) break;
      Millis at = t->start + w;
      if (at > now) {
        next = std::min(next, at);
        break;
      }
    }
  }
  return next;
}

}  // namespace muster::matchmaking
