#include "matchmaking/matcher.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <memory_resource>
#include <new>
#include <span>

#include "matchmaking/block_pool.h"
#include "matchmaking/matcher_ticket.h"

namespace muster::matchmaking {
namespace {

constexpr int kOverflowBit = 63;  // regions with ids >= 63 share the last lane

void CollectPaths(const Expr& e, std::vector<const Expr*>* out) {
  if (e.is_call) {
    CollectPaths(*e.arg, out);
  } else {
    out->push_back(&e);
  }
}

double NumberOf(const AttrRef& a, MapKey map_key, bool* ok) {
  *ok = true;
  if (a.number) return a.n;
  if (a.present && a.value->type == AttributeType::kNumber) return a.value->n;
  if (a.present && a.value->type == AttributeType::kStringNumberMap && !a.value->sdm.empty()) {
    double v = a.value->sdm[0].second;
    for (const auto& [k, n] : a.value->sdm) {
      v = map_key == MapKey::kMinValue ? std::min(v, n) : std::max(v, n);
    }
    return v;
  }
  *ok = false;
  return 0;
}

// The party's aggregated value of a numeric attribute (avg unless told otherwise).
std::optional<double> PartyValue(std::span<const EvalPlayer> players, int attribute,
                                 PartyAggregation agg, MapKey map_key = MapKey::kMaxValue) {
  double sum = 0, lo = INFINITY, hi = -INFINITY;
  int n = 0;
  for (const auto& p : players) {
    bool ok = false;
    double x = NumberOf(PlayerAttribute(p, attribute), map_key, &ok);
    if (!ok) continue;
    sum += x;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    ++n;
  }
  if (n == 0) return std::nullopt;
  if (agg == PartyAggregation::kMin) return lo;
  if (agg == PartyAggregation::kMax) return hi;
  return sum / n;
}

std::uint64_t HashMix(std::uint64_t h, std::string_view s) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return (h ^ 0xff) * 0x100000001b3ULL;
}

}  // namespace

Matcher::Matcher(std::shared_ptr<const RuleSet> rules, MatcherLimits limits)
    : rules_(std::move(rules)),
      limits_(limits),
      pool_(std::make_unique<BlockPool>()),
      rng_(limits.seed) {
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
  levels_.push_back(ParamsAtAge(rs, -1));
  for (std::int64_t w : step_waits_) levels_.push_back(ParamsAtAge(rs, w));
  min_total_players_ = std::numeric_limits<int>::max();
  for (const auto& lv : levels_) {
    int mn = 0, mx = 0;
    for (std::size_t t = 0; t < rs.teams.size(); ++t) {
      mn += lv.team_min[t];
      mx += lv.team_max[t];
    }
    min_total_players_ = std::min(min_total_players_, std::max(mn, 1));
    full_size_ = std::max(full_size_, mx);
  }
  // Index configuration: lanes by region (top-level latency rule) and by the values of string
  // batchDistance attributes; buckets by the first numeric batchDistance attribute, else the
  // first numeric sort / balance attribute, else the start time.
  bool team_independent = true;
  double width = 0;
  for (std::size_t i = 0; i < rs.rules.size(); ++i) {
    const Rule& r = rs.rules[i];
    if (r.type != RuleType::kBatchDistance && r.type != RuleType::kLatency &&
        r.type != RuleType::kAbsoluteSort && r.type != RuleType::kDistanceSort) {
      team_independent = false;
    }
    if (r.in_compound) continue;
    if (r.type == RuleType::kLatency && latency_rule_ < 0) latency_rule_ = static_cast<int>(i);
    if (r.type != RuleType::kBatchDistance || r.attribute < 0) continue;
    if (rs.attributes[r.attribute].type == AttributeType::kString) {
      string_batch_attributes_.push_back(r.attribute);
    } else if (rs.attributes[r.attribute].type == AttributeType::kNumber && key_rule_ < 0) {
      key_rule_ = static_cast<int>(i);
      key_attribute_ = r.attribute;
      width = r.params[kMaxDistance].value_or(0);
    }
  }
  auto numeric = [&](int a) { return a >= 0 && rs.attributes[a].type == AttributeType::kNumber; };
  if (key_attribute_ < 0) {
    for (int a : rs.algorithm.sort_by_attributes) {
      if (numeric(a)) {
        key_attribute_ = a;
        break;
      }
    }
  }
  if (key_attribute_ < 0 && numeric(rs.algorithm.balanced_attribute)) {
    key_attribute_ = rs.algorithm.balanced_attribute;
  }
  if (key_attribute_ < 0) width = 1000;  // start time in ms: one bucket per second
  index_ = std::make_unique<PoolIndex>(width > 0 ? width : 1);
  set_mode_ = rs.large || (rs.algorithm.strategy == Strategy::kBalanced && team_independent);
  // Set mode can check the monotone rules incrementally when they are the key batchDistance
  // rule, string batchDistance rules (lanes) and one latency rule without maxDistance.
  fast_set_checks_ = set_mode_;
  for (std::size_t i = 0; i < rs.rules.size(); ++i) {
    const Rule& r = rs.rules[i];
    if (r.in_compound) continue;
    bool string_batch = r.type == RuleType::kBatchDistance && r.attribute >= 0 &&
                        rs.attributes[r.attribute].type == AttributeType::kString;
    if (r.type == RuleType::kBatchDistance && static_cast<int>(i) != key_rule_ && !string_batch) {
      fast_set_checks_ = false;
    }
    if (r.type == RuleType::kLatency) {
      if (static_cast<int>(i) != latency_rule_) fast_set_checks_ = false;
      for (const auto& lv : levels_) {
        if (lv.rule[i][kMaxDistance]) fast_set_checks_ = false;
      }
    }
  }
}

Matcher::~Matcher() = default;

void Matcher::TicketFree::operator()(Ticket* t) const {
  t->~Ticket();
  pool->deallocate(t, sizeof(Ticket), alignof(Ticket));
}

Matcher::TicketPtr Matcher::NewTicket() {
  void* p = pool_->allocate(sizeof(Ticket), alignof(Ticket));
  return TicketPtr(new (p) Ticket(pool_.get()), TicketFree{pool_.get()});
}

Matcher::Ticket* Matcher::Live(std::uint32_t slot, std::uint32_t gen) const {
  if (slot >= slots_.size() || gens_[slot] != gen) return nullptr;
  return slots_[slot].get();
}

int Matcher::LevelAt(Millis age) const {
  return static_cast<int>(std::upper_bound(step_waits_.begin(), step_waits_.end(), age) -
                          step_waits_.begin());
}

std::uint64_t Matcher::RegionMask(const Ticket& t, int level) const {
  if (latency_rule_ < 0) return 1;
  double max_latency = levels_[level].rule[latency_rule_][kMaxLatency].value_or(0);
  const auto& lat = t.players.size() == 1 ? t.latency : t.party_latency;
  std::uint64_t mask = 0;
  for (const RegionLatency& rl : lat) {
    if (rl.ms <= max_latency) mask |= 1ULL << std::min(rl.region, kOverflowBit);
  }
  return mask;
}

std::uint64_t Matcher::LaneKey(std::uint64_t part, int bit) const {
  return part ^ (static_cast<std::uint64_t>(bit + 1) * 0x9e3779b97f4a7c15ULL);
}

void Matcher::Index(Ticket& t, std::uint32_t slot) {
  t.lanes = t.indexable ? RegionMask(t, t.level) : 0;
  PoolIndex::Entry e;
  e.key = t.key;
  e.slot = slot;
  e.level = t.level;
  e.players = static_cast<std::uint16_t>(t.player_count);
  e.backfill = t.backfill;
  for (std::uint64_t m = t.lanes; m; m &= m - 1) {
    const int bit = __builtin_ctzll(m);
    e.ms = latency_rule_ >= 0 && bit != kOverflowBit ? LatencyIn(t, bit) : -1;
    index_->Insert(LaneKey(t.part, bit), e);
  }
}

void Matcher::Unindex(const Ticket& t, std::uint32_t slot) {
  for (std::uint64_t m = t.lanes; m; m &= m - 1) {
    index_->Remove(LaneKey(t.part, __builtin_ctzll(m)), t.key, slot);
  }
}

void Matcher::PushDue(const Ticket& t, std::uint32_t slot) {
  if (static_cast<std::size_t>(t.level) >= step_waits_.size()) return;
  std::int64_t w = step_waits_[t.level];
  if (t.start > std::numeric_limits<Millis>::max() - w) return;
  heap_.push_back({t.start + w, slot, gens_[slot]});
  std::push_heap(heap_.begin(), heap_.end(), std::greater<>());
}

Status Matcher::Add(TicketInput in) {
  const RuleSet& rs = *rules_;
  if (in.ticket_id.empty()) return Error::InvalidArgument("ticketId must not be empty");
  const int max_players = in.backfill ? kMaxPlayersPerMatch : kMaxPlayersPerTicket;
  if (in.players.empty() || in.players.size() > static_cast<std::size_t>(max_players)) {
    return Error::InvalidArgument("a ticket needs 1 to " + std::to_string(max_players) +
                                  " players; got " + std::to_string(in.players.size()));
  }
  if (FindTicket(in.ticket_id) != SlotTable::kNone) {
    return Error::Conflict("ticket " + in.ticket_id + " is already in the matchmaking pool");
  }
  int largest_team = 0;
  for (const auto& lv : levels_) {
    for (int m : lv.team_max) largest_team = std::max(largest_team, m);
  }
  if (!in.backfill && static_cast<int>(in.players.size()) > largest_team) {
    return Error::InvalidArgument("the ticket has " + std::to_string(in.players.size()) +
                                  " players but the largest team holds " +
                                  std::to_string(largest_team));
  }
  TicketPtr t = NewTicket();
  t->id = std::move(in.ticket_id);  // not read below
  t->start = in.start_time;
  t->backfill = in.backfill;
  const std::size_t n_attr = rs.attributes.size();
  std::size_t owned = 0;
  std::size_t latencies = 0;
  for (const auto& p : in.players) {
    latencies += p.latency_ms.size();
    for (const auto& [name, value] : p.attributes) owned += value.type != AttributeType::kNumber;
  }
  t->owned.reserve(owned);
  t->attrs.resize(in.players.size() * n_attr);
  t->latency.reserve(latencies);
  std::vector<int> per_team(in.backfill ? rs.teams.size() : 0, 0);  // backfill only
  std::unordered_set<std::string_view> seen;
  for (std::size_t i = 0; i < in.players.size(); ++i) {
    PlayerInput& p = in.players[i];
    const std::string path = "players[" + std::to_string(i) + "]";
    if (p.player_id.empty()) return Error::InvalidArgument(path + ".playerId must not be empty");
    // A one-player ticket cannot repeat a player: skip the set (and its allocation).
    if (in.players.size() > 1 && !seen.insert(p.player_id).second) {
      return Error::InvalidArgument(path + ": player " + p.player_id + " appears twice in the ticket");
    }
    // A backfill ticket lists players already in a game session: they may search for another
    // game meanwhile (the search never puts such a ticket in a match with its backfill ticket).
    if (!in.backfill && FindPlayer(p.player_id) != SlotTable::kNone) {
      return Error::Conflict("player " + p.player_id + " is already in another searching ticket");
    }
    if (p.attributes.size() > static_cast<std::size_t>(kMaxAttributesPerPlayer)) {
      return Error::InvalidArgument(path + ": " + std::to_string(p.attributes.size()) +
                                    " attributes; the limit is " +
                                    std::to_string(kMaxAttributesPerPlayer));
    }
    if (in.backfill && p.team.empty()) {
      return Error::InvalidArgument(path + ".team: every player of a backfill ticket needs the team it is on");
    }
    if (!p.team.empty()) {
      int found = -1;
      for (std::size_t k = 0; k < rs.teams.size(); ++k) {
        if (rs.teams[k].name == p.team) found = static_cast<int>(k);
      }
      bool base = false;
      for (const auto& team : rs.teams) base = base || team.base_name == p.team;
      if (found < 0 && (in.backfill || !base)) {
        return Error::InvalidArgument(path + ".team: unknown team '" + p.team + "'");
      }
      if (in.backfill) {
        if (++per_team[found] > largest_team) {
          return Error::InvalidArgument(path + ".team: team '" + p.team + "' would have more than " +
                                        std::to_string(largest_team) + " players");
        }
        t->fixed_team.push_back(static_cast<std::int16_t>(found));
      }
    }
    PackedAttr* attrs = t->attrs.data() + i * n_attr;
    for (auto& entry : p.attributes) {
      const std::string& name = entry.first;
      auto& value = entry.second;
      // The field path is built only for an error message.
      auto apath = [&] { return path + ".attributes." + name; };
      if (!CheckAttributeValue(value, {}).ok()) {
        MUSTER_RETURN_IF_ERROR(CheckAttributeValue(value, apath()));
      }
      int idx = rs.AttributeIndex(name);
      if (idx < 0) continue;  // undeclared attributes are carried by the caller, not matched on
      if (rs.attributes[idx].type != value.type) {
        return Error::InvalidArgument(apath() + ": attribute is declared as " +
                                      AttributeTypeName(rs.attributes[idx].type) + ", got " +
                                      AttributeTypeName(value.type));
      }
      if (value.type == AttributeType::kNumber) {
        attrs[idx] = {PackedNumberTag(), value.n};
      } else {
        t->owned.push_back(std::move(value));
        attrs[idx] = {&t->owned.back(), 0};
      }
    }
    for (std::size_t k = 0; k < n_attr; ++k) {
      const auto& def = rs.attributes[k].default_value;
      if (attrs[k].value != nullptr || !def) continue;
      if (def->type == AttributeType::kNumber) attrs[k] = {PackedNumberTag(), def->n};
      else attrs[k] = {&*def, 0};
    }
    const std::size_t first_latency = t->latency.size();
    for (const auto& [region, ms] : p.latency_ms) {
      if (region.empty()) return Error::InvalidArgument(path + ".latencyInMs: empty region name");
      if (ms < 0) {
        return Error::InvalidArgument(path + ".latencyInMs." + region + ": must not be negative");
      }
      // find first: emplace would build (and free) a node for every region already known.
      auto it = region_ids_.find(region);
      if (it == region_ids_.end()) {
        it = region_ids_.emplace(region, static_cast<std::int32_t>(region_ids_.size())).first;
      }
      t->latency.push_back({it->second, ms});
    }
    std::sort(t->latency.begin() + first_latency, t->latency.end(),
              [](const RegionLatency& a, const RegionLatency& b) { return a.region < b.region; });
    EvalPlayer ep;
    // `seen` holds views of the input's ids: move only when there is no such view.
    if (in.players.size() == 1) ep.id = std::move(p.player_id);
    else ep.id = p.player_id;
    ep.ticket = static_cast<int>(next_seq_ & 0x7fffffff);
    ep.packed_attributes = attrs;
    ep.packed_latency = t->latency.data() + first_latency;
    ep.packed_latency_count = static_cast<int>(t->latency.size() - first_latency);
    t->players.push_back(std::move(ep));
  }
  t->player_count = static_cast<int>(t->players.size());
  // Regions every player reports, with the party's worst latency there.
  if (t->players.size() > 1) {
    for (int k = 0; k < t->players[0].packed_latency_count; ++k) {
      RegionLatency worst = t->players[0].packed_latency[k];
      bool all = true;
      for (const auto& p : t->players) {
        const RegionLatency* end = p.packed_latency + p.packed_latency_count;
        const RegionLatency* it = std::find_if(p.packed_latency, end, [&](const RegionLatency& r) {
          return r.region == worst.region;
        });
        if (it == end) {
          all = false;
          break;
        }
        worst.ms = std::max(worst.ms, it->ms);
      }
      if (all) t->party_latency.push_back(worst);
    }
  }
  // Index key and partition.
  if (key_attribute_ >= 0) {
    PartyAggregation agg = PartyAggregation::kAvg;
    if (key_rule_ >= 0) agg = rs.rules[key_rule_].party_aggregation.value_or(PartyAggregation::kAvg);
    auto v = PartyValue(t->players, key_attribute_, agg);
    if (v) t->key = *v;
    else if (key_rule_ >= 0) t->indexable = false;  // batchDistance on a missing value never holds
  } else {
    t->key = static_cast<double>(t->start);
  }
  std::uint64_t part = 0xcbf29ce484222325ULL;
  for (int a : string_batch_attributes_) {
    const AttributeValue* first = nullptr;
    for (const auto& p : t->players) {
      AttrRef r = PlayerAttribute(p, a);
      if (!r.present || r.number || (first && r.value->s != first->s)) {
        t->indexable = false;
        break;
      }
      first = r.value;
    }
    if (first) part = HashMix(part, first->s);
  }
  t->part = part;
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
    gens_.push_back(0);
  }
  Ticket& tr = *t;
  slots_[slot] = std::move(t);
  tr.seq = next_seq_++;
  tr.dirty = true;
  tr.id_hash = SlotTable::Hash(tr.id);
  by_id_.Insert(tr.id_hash, slot);
  if (!tr.backfill) {
    for (auto& p : tr.players) {
      p.id_hash = SlotTable::Hash(p.id);
      player_ids_.Insert(p.id_hash, slot);
    }
  }
  ++live_;
  Index(tr, slot);
  PushDue(tr, slot);
  dirty_.emplace_back(slot, gens_[slot]);
  return OkStatus();
}

void Matcher::Release(std::uint32_t slot) { Detach(slot); }

Matcher::TicketPtr Matcher::Detach(std::uint32_t slot) {
  Ticket& t = *slots_[slot];
  Unindex(t, slot);
  if (!t.backfill) {
    for (const auto& p : t.players) player_ids_.Erase(p.id_hash, slot);
  }
  by_id_.Erase(t.id_hash, slot);
  if (static_cast<std::size_t>(t.level) < step_waits_.size()) ++stale_due_;
  TicketPtr out = std::move(slots_[slot]);
  ++gens_[slot];
  free_slots_.push_back(slot);
  --live_;
  if (stale_due_ > 4 * live_ + 4096) {
    // Stale entries leave the heap when their time comes; rebuild only if they pile up.
    heap_.erase(std::remove_if(heap_.begin(), heap_.end(),
                               [&](const Due& d) { return Live(d.slot, d.gen) == nullptr; }),
                heap_.end());
    std::make_heap(heap_.begin(), heap_.end(), std::greater<>());
    stale_due_ = 0;
  }
  return out;
}

std::uint32_t Matcher::FindTicket(std::string_view ticket_id) const {
  return by_id_.Find(SlotTable::Hash(ticket_id), [&](std::uint32_t s) { return slots_[s]->id == ticket_id; });
}

std::uint32_t Matcher::FindPlayer(std::string_view player_id) const {
  return player_ids_.Find(SlotTable::Hash(player_id), [&](std::uint32_t s) {
    for (const auto& p : slots_[s]->players) {
      if (p.id == player_id) return true;
    }
    return false;
  });
}

bool Matcher::Remove(std::string_view ticket_id) {
  std::uint32_t slot = FindTicket(ticket_id);
  if (slot == SlotTable::kNone) return false;
  Release(slot);
  return true;
}

void Matcher::ApplyExpansions(Millis now) {
  while (!heap_.empty() && heap_.front().at <= now) {
    Due d = heap_.front();
    std::pop_heap(heap_.begin(), heap_.end(), std::greater<>());
    heap_.pop_back();
    Ticket* t = Live(d.slot, d.gen);
    if (t == nullptr) {
      if (stale_due_ > 0) --stale_due_;
      continue;
    }
    int level = LevelAt(now - t->start);
    if (level != t->level) {
      ++stats_.level_changes;
      Unindex(*t, d.slot);
      t->level = level;
      Index(*t, d.slot);
      if (!t->dirty) {
        t->dirty = true;
        dirty_.emplace_back(d.slot, d.gen);
      }
    }
    PushDue(*t, d.slot);
  }
}

double Matcher::Distance(const Ticket& anchor) const {
  if (key_rule_ < 0) return INFINITY;
  // Widest batchDistance any match with this anchor can use: its own level (newest), or any.
  std::size_t top = rules_->algorithm.expansion_age == ExpansionAge::kOldest
                        ? levels_.size() - 1
                        : static_cast<std::size_t>(anchor.level);
  double d = 0;
  for (std::size_t l = 0; l <= top && l < levels_.size(); ++l) {
    d = std::max(d, levels_[l].rule[key_rule_][kMaxDistance].value_or(0));
  }
  return d;
}

void Matcher::Gather(const Ticket& anchor, std::uint32_t anchor_slot, int bit, bool allow_backfill,
                     std::vector<PoolIndex::Entry>* out) {
  std::size_t limit = static_cast<std::size_t>(limits_.max_candidates);
  if (set_mode_) limit = std::max(limit, static_cast<std::size_t>(2 * full_size_));
  const std::size_t want = limit;
  const double d = Distance(anchor);
  out->clear();
  const bool skip_backfill = anchor.backfill || !allow_backfill;
  auto visit = [&](const PoolIndex::Entry& e) {
    if (e.slot == anchor_slot) return true;
    if (e.backfill && skip_backfill) return true;
    out->push_back(e);
    return out->size() < want;
  };
  const bool from_lowest = key_attribute_ < 0;
  auto gather_lane = [&](int b) {
    stats_.candidates += index_->Gather(LaneKey(anchor.part, b), anchor.key, anchor.key - d,
                                        anchor.key + d, from_lowest, visit);
  };
  gather_lane(bit);
  if (latency_rule_ >= 0 && bit != kOverflowBit) gather_lane(kOverflowBit);
  if (!from_lowest && out->size() > limit) {
    // Keep the nearest in key.
    const double key = anchor.key;
    std::nth_element(out->begin(), out->begin() + static_cast<std::ptrdiff_t>(limit), out->end(),
                     [key](const PoolIndex::Entry& a, const PoolIndex::Entry& b) {
                       return std::fabs(a.key - key) < std::fabs(b.key - key);
                     });
    out->resize(limit);
  }
}

// Keeps the batchDistance window (width: the widest distance in force) around the anchor that
// holds the most players. False when no window holds enough players for any match.
bool Matcher::Window(const Ticket& anchor, double d, int min_total_players,
                     std::vector<PoolIndex::Entry>* cands) {
  if (key_rule_ < 0) {
    int players = anchor.player_count;
    for (const auto& e : *cands) players += e.players;
    return players >= min_total_players;
  }
  // Every window lies within [anchor - d, anchor + d]: when that span lacks the players, no
  // window has them (skips the sort).
  int span_players = anchor.player_count;
  double min_key = anchor.key, max_key = anchor.key;
  for (const auto& e : *cands) {
    min_key = std::min(min_key, e.key);
    max_key = std::max(max_key, e.key);
    if (e.key >= anchor.key - d && e.key <= anchor.key + d) span_players += e.players;
  }
  if (span_players < min_total_players) return false;
  // Every key fits one window (which then holds the anchor): that window is the best and keeps
  // them all, so there is nothing to sort (dense pools: the nearest candidates are close).
  if (max_key - min_key <= d) return true;
  if (d > 0 && std::isfinite(d)) {
    // Upper bound without sorting: the players of every window lie in kSub + 1 consecutive
    // sub-spans of width d / kSub (one more on each side against rounding).
    constexpr int kSub = 32;
    int per[2 * kSub + 1] = {};
    const double base = anchor.key - d, w = d / kSub;
    auto add = [&](double key, int players) {
      if (key < anchor.key - d || key > anchor.key + d) return;
      const double x = (key - base) / w;  // clamped before the cast (inf, NaN: edges)
      per[x >= 2 * kSub ? 2 * kSub : x > 0 ? static_cast<int>(x) : 0] += players;
    };
    add(anchor.key, anchor.player_count);
    for (const auto& e : *cands) add(e.key, e.players);
    int prefix[2 * kSub + 2] = {};
    for (int i = 0; i <= 2 * kSub; ++i) prefix[i + 1] = prefix[i] + per[i];
    int bound = 0;
    for (int i = 0; i <= kSub; ++i) {
      bound = std::max(bound, prefix[std::min(2 * kSub, i + kSub + 1) + 1] - prefix[std::max(0, i - 1)]);
    }
    if (bound < min_total_players) return false;
  }
  auto& keys = window_keys_;  // (key, players), anchor included
  keys.clear();
  keys.reserve(cands->size() + 1);
  keys.emplace_back(anchor.key, anchor.player_count);
  for (const auto& e : *cands) keys.emplace_back(e.key, e.players);
  // By key only: the order of equal keys cannot change the chosen window (the first of a run of
  // equal keys always counts the whole run).
  std::sort(keys.begin(), keys.end(),
            [](const std::pair<double, int>& a, const std::pair<double, int>& b) {
              return a.first < b.first;
            });
  auto& prefix = window_prefix_;
  prefix.assign(keys.size() + 1, 0);
  for (std::size_t i = 0; i < keys.size(); ++i) prefix[i + 1] = prefix[i] + keys[i].second;
  int best = -1;
  double best_lo = anchor.key, best_center = INFINITY;
  std::size_t j = 0;  // first key above lo + d; moves only forwards as lo grows
  for (std::size_t i = 0; i < keys.size(); ++i) {
    double lo = keys[i].first;
    if (lo < anchor.key - d || lo > anchor.key) continue;
    while (j < keys.size() && !(lo + d < keys[j].first)) ++j;
    int players = prefix[j] - prefix[i];
    double center = std::fabs(lo + d / 2 - anchor.key);
    if (players > best || (players == best && center < best_center)) {
      best = players;
      best_lo = lo;
      best_center = center;
    }
  }
  if (best < min_total_players) return false;
  cands->erase(std::remove_if(cands->begin(), cands->end(),
                              [&](const PoolIndex::Entry& e) {
                                return e.key < best_lo || e.key > best_lo + d;
                              }),
               cands->end());
  return true;
}

void Matcher::Order(const Ticket& anchor, int bit, std::vector<std::uint32_t>* cands) {
  const RuleSet& rs = *rules_;
  // Stable sort of the candidates by a per-ticket key vector.
  auto SortByKey = [&](std::vector<std::uint32_t>* v, const auto& key) {
    std::vector<std::pair<std::vector<double>, std::uint32_t>> keyed;
    for (auto s : *v) keyed.emplace_back(key(*slots_[s]), s);
    std::stable_sort(keyed.begin(), keyed.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t i = 0; i < keyed.size(); ++i) (*v)[i] = keyed[i].second;
  };
  // Oldest first. (start, seq) is unique per ticket, so the order is fully determined; the keys
  // are read once per ticket rather than once per comparison.
  auto& aged = aged_;
  aged.clear();
  for (auto s : *cands) aged.push_back({slots_[s]->start, slots_[s]->seq, s});
  std::sort(aged.begin(), aged.end(), [](const Aged& x, const Aged& y) {
    return x.start != y.start ? x.start < y.start : x.seq < y.seq;
  });
  for (std::size_t i = 0; i < aged.size(); ++i) (*cands)[i] = aged[i].slot;
  const auto pref = rs.algorithm.batching_preference;
  if (pref == BatchingPreference::kRandom) {
    std::shuffle(cands->begin(), cands->end(), rng_);
  } else if (pref == BatchingPreference::kSorted && !rs.algorithm.sort_by_attributes.empty()) {
    // Nearest to the anchor in sortByAttributes, in order (strings: equal first).
    auto key = [&](const Ticket& t) {
      std::vector<double> k;
      for (int a : rs.algorithm.sort_by_attributes) {
        if (rs.attributes[a].type == AttributeType::kString) {
          AttrRef x = PlayerAttribute(t.players[0], a), y = PlayerAttribute(anchor.players[0], a);
          bool same = x.present && y.present && !x.number && !y.number && x.value->s == y.value->s;
          k.push_back(same ? 0 : 1);
        } else {
          auto x = PartyValue(t.players, a, PartyAggregation::kAvg);
          auto y = PartyValue(anchor.players, a, PartyAggregation::kAvg);
          k.push_back(x && y ? std::fabs(*x - *y) : INFINITY);
        }
      }
      return k;
    };
    SortByKey(cands, key);
  }
  // Sort rules: by the rule's attribute (relative to the anchor for distanceSort), then as above.
  std::vector<int> sort_rules;
  for (std::size_t i = 0; i < rs.rules.size(); ++i) {
    if (rs.rules[i].type == RuleType::kAbsoluteSort || rs.rules[i].type == RuleType::kDistanceSort) {
      sort_rules.push_back(static_cast<int>(i));
    }
  }
  if (!sort_rules.empty() && cands->size() > 1) {
    auto key = [&](const Ticket& t) {
      std::vector<double> k;
      for (int ri : sort_rules) {
        const Rule& r = rs.rules[ri];
        PartyAggregation agg = r.party_aggregation.value_or(PartyAggregation::kAvg);
        auto v = PartyValue(t.players, r.attribute, agg, r.map_key);
        double x = std::numeric_limits<double>::infinity();
        if (v) {
          if (r.type == RuleType::kDistanceSort) {
            auto av = PartyValue(anchor.players, r.attribute, agg, r.map_key);
            double dd = av ? std::fabs(*v - *av) : 0;
            x = r.sort_direction == SortDirection::kAscending ? dd : -dd;
          } else {
            x = r.sort_direction == SortDirection::kAscending ? *v : -*v;
          }
        }
        k.push_back(x);
      }
      return k;
    };
    SortByKey(cands, key);
  }
  if (pref == BatchingPreference::kFastestRegion && latency_rule_ >= 0) {
    // Tickets whose own fastest region is this one first, fastest there first.
    auto fastest = [&](const Ticket& t) {
      const auto& lat = t.players.size() == 1 ? t.latency : t.party_latency;
      const RegionLatency* best = nullptr;
      for (const auto& rl : lat) {
        if (!best || rl.ms < best->ms) best = &rl;
      }
      return best ? std::min(best->region, kOverflowBit) : -1;
    };
    std::stable_partition(cands->begin(), cands->end(),
                          [&](std::uint32_t s) { return fastest(*slots_[s]) == bit; });
  }
  if (rs.algorithm.backfill_priority == BackfillPriority::kHigh && !anchor.backfill) {
    std::stable_partition(cands->begin(), cands->end(),
                          [&](std::uint32_t s) { return slots_[s]->backfill; });
  }
}

bool Matcher::TryAnchor(std::uint32_t slot, Millis now, bool allow_backfill,
                        std::vector<MatchResult>* out) {
  const RuleSet& rs = *rules_;
  Ticket& anchor = *slots_[slot];
  if (!anchor.indexable || anchor.lanes == 0) return false;
  ++stats_.anchors;
  // Regions to try, in the order of the batching preference.
  std::vector<int>& bits = bits_;
  bits.clear();
  for (std::uint64_t m = anchor.lanes; m; m &= m - 1) bits.push_back(__builtin_ctzll(m));
  if (latency_rule_ >= 0 && bits.size() > 1) {
    if (rs.algorithm.batching_preference == BatchingPreference::kFastestRegion) {
      const auto& lat = anchor.players.size() == 1 ? anchor.latency : anchor.party_latency;
      auto ms = [&](int b) {
        int best = INT32_MAX;
        for (const auto& rl : lat) {
          if (std::min(rl.region, kOverflowBit) == b) best = std::min(best, rl.ms);
        }
        return best;
      };
      std::stable_sort(bits.begin(), bits.end(), [&](int a, int b) { return ms(a) < ms(b); });
    } else {
      // Largest population first (the default for every other preference).
      std::vector<std::pair<std::size_t, int>> pop;
      for (int b : bits) pop.emplace_back(index_->LaneSize(LaneKey(anchor.part, b)), b);
      std::stable_sort(pop.begin(), pop.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
      for (std::size_t i = 0; i < bits.size(); ++i) bits[i] = pop[i].second;
    }
    if (bits.size() > static_cast<std::size_t>(limits_.max_regions_per_anchor)) {
      bits.resize(std::max(1, limits_.max_regions_per_anchor));
    }
  }
  const bool newest = rs.algorithm.expansion_age == ExpansionAge::kNewest;
  for (int bit : bits) {
    std::vector<PoolIndex::Entry>& cands = gathered_;
    Gather(anchor, slot, bit, allow_backfill, &cands);
    if (!newest || (key_rule_ < 0 && latency_rule_ < 0)) {
      if (Window(anchor, Distance(anchor), min_total_players_, &cands) &&
          SearchAndCommit(slot, bit, now, cands, out)) {
        return true;
      }
      continue;
    }
    // Newest: a match is judged at the level of its newest ticket. Try each level the anchor
    // has reached, loosest first, with the candidates that are at least that old and meet the
    // level's latency and batchDistance limits on their own.
    for (int level = anchor.level; level >= 0; --level) {
      const EffectiveParams& p = levels_[level];
      double max_latency = latency_rule_ >= 0 ? p.rule[latency_rule_][kMaxLatency].value_or(0) : 0;
      // Entries of the anchor's region lane carry the latency there; others (overflow lane)
      // read it from the ticket.
      auto fits = [&](int t_level, int lane_ms, std::uint32_t t_slot) {
        if (t_level < level) return false;
        if (latency_rule_ < 0 || bit == kOverflowBit) return true;
        int ms = lane_ms >= 0 ? lane_ms : LatencyIn(*slots_[t_slot], bit);
        return ms >= 0 && ms <= max_latency;
      };
      if (!fits(anchor.level, -1, slot)) continue;
      std::vector<PoolIndex::Entry>& at_level = at_level_;
      at_level.clear();
      for (const auto& e : cands) {
        if (fits(e.level, e.ms, e.slot)) at_level.push_back(e);
      }
      int min_players = 0;
      for (int m : p.team_min) min_players += m;
      double d = key_rule_ >= 0 ? p.rule[key_rule_][kMaxDistance].value_or(0) : INFINITY;
      if (Window(anchor, d, std::max(min_players, 1), &at_level) &&
          SearchAndCommit(slot, bit, now, at_level, out)) {
        return true;
      }
    }
  }
  return false;
}

int Matcher::LatencyIn(const Ticket& t, int bit) const {
  const auto& lat = t.players.size() == 1 ? t.latency : t.party_latency;
  for (const auto& rl : lat) {
    if (rl.region == bit) return rl.ms;
  }
  return -1;
}

bool Matcher::SearchAndCommit(std::uint32_t slot, int bit, Millis now,
                              const std::vector<PoolIndex::Entry>& entries,
                              std::vector<MatchResult>* out) {
  const RuleSet& rs = *rules_;
  const Ticket& anchor = *slots_[slot];
  std::size_t cap = static_cast<std::size_t>(limits_.max_candidates);
  if (set_mode_) cap = std::max(cap, static_cast<std::size_t>(2 * full_size_));
  {
    std::vector<std::uint32_t>& cands = cand_slots_;
    cands.clear();
    for (const auto& e : entries) cands.push_back(e.slot);
    Order(anchor, bit, &cands);
    if (cands.size() + 1 > cap) cands.resize(cap - 1);
    std::vector<const Ticket*>& tickets = search_tickets_;
    tickets.clear();
    tickets.push_back(&anchor);
    for (auto s : cands) tickets.push_back(slots_[s].get());
    if (!search_) search_ = std::make_unique<Search>(*this);
    Search& search = *search_;
    search.Reset(now, tickets);
    bool found = search.Run();
    stats_.nodes += static_cast<std::uint64_t>(search.nodes());
    if (!found) return false;
    MatchResult m;
    m.team_names.reserve(rs.teams.size());
    for (const auto& team : rs.teams) m.team_names.push_back(team.name);
    for (std::size_t i = 0; i < rs.rules.size(); ++i) {
      m.metrics.push_back({rs.rules[i].name, search.counters().passed[i], search.counters().failed[i]});
    }
    // The matched tickets leave the pool; their ids move into the result instead of being copied.
    const Search::Assignment& assign = search.assignment();
    std::size_t tickets_in = 0, players_in = 0;
    for (std::size_t c = 0; c < assign.size(); ++c) {
      if (assign[c] == Search::kOut) continue;
      ++tickets_in;
      players_in += tickets[c]->players.size();
    }
    m.ticket_ids.reserve(tickets_in);
    m.players.reserve(players_in);
    auto& done = detached_;
    done.clear();
    for (std::size_t c = 0; c < assign.size(); ++c) {
      if (assign[c] == Search::kOut) continue;
      done.push_back(Detach(c == 0 ? slot : cands[c - 1]));
      Ticket& t = *done.back();
      if (t.backfill) m.backfill_ticket_id = t.id;
      for (std::size_t k = 0; k < t.players.size(); ++k) {
        const int team = assign[c] == Search::kFixedTeams ? t.fixed_team[k] : assign[c];
        m.players.push_back({std::move(t.players[k].id), t.id, rs.teams[team].name});
      }
      m.ticket_ids.push_back(std::move(t.id));
    }
    done.clear();
    out->push_back(std::move(m));
    return true;
  }
}

std::vector<MatchResult> Matcher::Run(Millis now) {
  std::vector<MatchResult> out;
  ApplyExpansions(now);
  if (dirty_.empty()) return out;
  // Anchors: the dirty tickets, oldest first; backfill tickets first (high) or last (low).
  const BackfillPriority prio = rules_->algorithm.backfill_priority;
  struct A {
    int cls;
    Millis start;
    std::uint64_t seq;
    std::uint32_t slot, gen;
  };
  std::vector<A> anchors;
  anchors.reserve(dirty_.size());
  for (auto [slot, gen] : dirty_) {
    Ticket* t = Live(slot, gen);
    if (t == nullptr || !t->dirty) continue;
    t->dirty = false;
    int cls = 0;
    if (prio == BackfillPriority::kHigh) cls = t->backfill ? 0 : 1;
    if (prio == BackfillPriority::kLow) cls = t->backfill ? 1 : 0;
    anchors.push_back({cls, t->start, t->seq, slot, gen});
  }
  dirty_.clear();
  std::sort(anchors.begin(), anchors.end(), [](const A& a, const A& b) {
    if (a.cls != b.cls) return a.cls < b.cls;
    return a.start != b.start ? a.start < b.start : a.seq < b.seq;
  });
  std::vector<A> retry;
  for (const A& a : anchors) {
    if (Live(a.slot, a.gen) == nullptr) continue;
    const bool low_ordinary = prio == BackfillPriority::kLow && !slots_[a.slot]->backfill;
    if (!TryAnchor(a.slot, now, !low_ordinary, &out) && low_ordinary) retry.push_back(a);
  }
  // Low priority: backfill tickets are filled only after ordinary matching had its turn.
  for (const A& a : retry) {
    if (Live(a.slot, a.gen) != nullptr) TryAnchor(a.slot, now, true, &out);
  }
  return out;
}

Millis Matcher::NextExpansionAt(Millis now) const {
  while (!heap_.empty() && Live(heap_.front().slot, heap_.front().gen) == nullptr) {
    std::pop_heap(heap_.begin(), heap_.end(), std::greater<>());
    heap_.pop_back();
    if (stale_due_ > 0) --stale_due_;
  }
  if (heap_.empty()) return std::numeric_limits<Millis>::max();
  if (heap_.front().at > now) return heap_.front().at;
  // Run() has not caught up with `now`: scan (rare).
  Millis next = std::numeric_limits<Millis>::max();
  for (const auto& t : slots_) {
    if (!t) continue;
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
