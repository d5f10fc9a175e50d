#pragma once
// Private to the matcher: one pooled ticket in its packed form (interned regions, numbers inline)
// and the search over candidate tickets. Included only by matcher*.cc.
//
// Thread safety: none; owned by one Matcher.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "matchmaking/matcher.h"

namespace muster::matchmaking {

struct Matcher::Ticket {
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
  std::vector<EvalPlayer> players;
  std::vector<PackedAttr> attrs;           // players × RuleSet::attributes
  std::vector<RegionLatency> latency;      // every player's, concatenated
  std::vector<AttributeValue> owned;       // non-number attribute values
  std::vector<std::int16_t> fixed_team;    // backfill: team of each player
  std::vector<RegionLatency> party_latency;  // regions every player reports, worst ms
};

// The search around one anchor: a bounded depth-first search over team placements (exhaustive
// strategy), or a greedy ticket-set pick followed by balanced teams (set mode).
class Matcher::Search {
 public:
  explicit Search(const Matcher& m);
  void Reset(Millis now, const std::vector<const Ticket*>& cands);

  // True when a match was found; then `team_of_player` holds, per candidate, the team of each of
  // its players (empty for candidates not in the match).
  bool Run();
  const std::vector<std::vector<int>>& assignment() const { return assign_; }
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
  bool Rebalance(const EffectiveParams& p, std::vector<std::vector<int>>* assign);
  bool Verify(const std::vector<std::vector<int>>& assign, const EffectiveParams& p,
              RuleCounters* counters) const;

  const Matcher& m_;
  const RuleSet& rs_;
  Millis now_ = 0;
  Millis oldest_start_ = 0;
  std::vector<const Ticket*> cands_;
  bool symmetric_ok_ = true;
  std::vector<int> team_of_;   // per candidate: team (ordinary) or -2 (backfill placed)
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
  std::vector<std::vector<int>> assign_;  // meaningful when found_
  bool found_ = false;
  int best_size_ = 0;
  RuleCounters counters_;
};

}  // namespace muster::matchmaking
