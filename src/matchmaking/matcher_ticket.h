#pragma once
// Private to the matcher: one pooled ticket in its packed form (interned regions, numbers inline)
// and the search over candidate tickets. Included only by matcher*.cc.
//
// Thread safety: none; owned by one Matcher.

#include <cstdint>
#include <memory_resource>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "matchmaking/matcher.h"
#include "matchmaking/matcher_balance.h"

namespace muster::matchmaking {

struct Matcher::Ticket {
  explicit Ticket(std::pmr::memory_resource* pool)
      : players(pool), attrs(pool), latency(pool), owned(pool), fixed_team(pool), party_latency(pool) {}

  std::string id;
  Millis start = 0;
  std::uint64_t seq = 0;
  double key = 0;             // index key (party value of the key attribute, or start time)
  std::uint64_t part = 0;     // hash of the string batchDistance values
  std::uint64_t lanes = 0;    // region bits the ticket is indexed under
  int level = 0;              // expansion level applied to the index
  int player_count = 0;
  bool backfill = false;
  bool indexable = true;      // false: can never match (e.g. mixed batch strings)
  bool dirty = false;
  std::uint32_t id_hash = 0;  // SlotTable::Hash(id), kept to erase without reading the id
  // In the matcher's pool (pool_).
  std::pmr::vector<EvalPlayer> players;
  std::pmr::vector<PackedAttr> attrs;           // players × RuleSet::attributes
  std::pmr::vector<RegionLatency> latency;      // every player's, concatenated
  std::pmr::vector<AttributeValue> owned;       // non-number attribute values
  std::pmr::vector<std::int16_t> fixed_team;    // backfill: team of each player
  std::pmr::vector<RegionLatency> party_latency;  // regions every player reports, worst ms
};

// The search around one anchor: a bounded depth-first search over team placements (exhaustive
// strategy), or a greedy ticket-set pick followed by balanced teams (set mode).
class Matcher::Search {
 public:
  explicit Search(const Matcher& m);
  void Reset(Millis now, const std::vector<const Ticket*>& cands);

  // Per candidate of a found match: the team all its players are on, kFixedTeams (a backfill
  // ticket: each player stays on the team in Ticket::fixed_team) or kOut (not in the match).
  static constexpr int kOut = -1;
  static constexpr int kFixedTeams = -2;
  using Assignment = std::vector<int>;

  // True when a match was found; then assignment() holds it.
  bool Run();
  const Assignment& assignment() const { return assign_; }
  const RuleCounters& counters() const { return counters_; }
  int nodes() const { return nodes_; }

 private:
  const EffectiveParams& ParamsFor(Millis age) const;
  Millis NewestStart() const;
  const EffectiveParams& PruneParams() const;
  const EffectiveParams& ActualParams() const;
  void FindClashes();
  bool Clashes(int cand) const;
  bool CanPlace(int cand, int team) const;
  void Place(int cand, int team);
  void Unplace(int cand);
  void CheckComplete();
  void Dfs(std::size_t i, bool changed);
  bool RunSetMode();
  bool Rebalance(const EffectiveParams& p, Assignment* assign);
  bool Verify(const Assignment& assign, const EffectiveParams& p, RuleCounters* counters);

  const Matcher& m_;
  const RuleSet& rs_;
  Millis now_ = 0;
  Millis oldest_start_ = 0;
  std::vector<const Ticket*> cands_;
  bool symmetric_ok_ = true;
  Assignment team_of_;         // per candidate, while searching
  std::vector<int> counts_;
  std::vector<int> room_max_;
  std::vector<int> chosen_;
  MatchView view_;
  int size_ = 0;
  int full_size_ = 0;
  int nodes_ = 0;
  int first_found_node_ = -1;
  int backfills_ = 0;
  std::vector<std::pair<int, int>> clashes_;  // (ordinary, backfill) candidates sharing a player
  std::vector<std::pair<std::string_view, int>> backfill_players_;  // FindClashes scratch
  bool stop_ = false;
  Assignment assign_;  // meaningful when found_
  // Scratch of set mode, Verify and Rebalance: kept so that a decision allocates (almost)
  // nothing; with a large pool the allocator's own bookkeeping made single decisions slow.
  MatchView verify_view_;
  Assignment rebalanced_;
  RuleCounters rebalance_counters_;
  std::vector<BalanceItem> items_;
  std::vector<std::pair<int, int>> item_owner_;
  std::vector<int> target_;
  bool found_ = false;
  int best_size_ = 0;
  RuleCounters counters_;
};

}  // namespace muster::matchmaking
