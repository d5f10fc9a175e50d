#pragma once
// The deterministic matcher core of one matchmaking configuration: a pool of searching tickets
// and a search that forms matches satisfying a compiled RuleSet. No I/O, no threads, no clock:
// the caller passes the current time to Run() and NextExpansionAt().
//
// Guarantees: a ticket (and so a player) is in at most one returned match and leaves the pool
// when matched; every returned match has each team within its (expanded) min/max size, keeps
// each ticket's players on one team, and satisfies every rule of the rule set.
//
// Search: matching is event-driven. Run() anchors only on "dirty" tickets (new arrivals and
// tickets whose expansion level just changed), oldest first. For each anchor, candidates are
// gathered from the pool index (tickets eligible in the same region under the latency rule at
// their current expansion level, same string batchDistance values, nearest in the first
// numeric batchDistance/sort attribute), cut to the best batchDistance window around the anchor,
// ordered by the algorithm's preferences, and a bounded depth-first search over them looks for
// the largest valid match (pruning with the monotone rules). Large matches, and balanced rule
// sets whose rules do not depend on teams, pick the ticket set greedily and then form balanced
// teams. The cost of Run() is proportional to the dirty tickets, not to the pool.
//
// Thread safety: none; one owner.

#include <cstdint>
#include <map>
#include <memory>
#include <memory_resource>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "matchmaking/attribute.h"
#include "matchmaking/pool_index.h"
#include "matchmaking/rule_eval.h"
#include "matchmaking/rule_set.h"
#include "matchmaking/slot_table.h"

namespace muster::matchmaking {

struct PlayerInput {
  std::string player_id;
  std::map<std::string, AttributeValue> attributes;
  std::map<std::string, int> latency_ms;
  std::string team;  // backfill: the team the player is already on (required for backfill)
};

struct TicketInput {
  std::string ticket_id;
  std::vector<PlayerInput> players;
  Millis start_time = 0;
  // A backfill ticket carries the players already in a game session, each with its team. It is
  // matched only with ordinary tickets (never with another backfill ticket) that fill open slots;
  // its players keep their teams.
  bool backfill = false;
};

struct MatchedPlayer {
  std::string player_id;
  std::string ticket_id;
  std::string team;
};

struct RuleMetric {
  std::string rule_name;
  int passed = 0;
  int failed = 0;
};

struct MatchResult {
  std::string backfill_ticket_id;  // set when this match fills a backfill ticket's session
  std::vector<std::string> ticket_ids;
  std::vector<MatchedPlayer> players;
  std::vector<std::string> team_names;
  std::vector<RuleMetric> metrics;
};

struct MatcherLimits {
  // Search nodes per anchor ticket; bounds the work of one Run().
  int max_nodes_per_anchor = 4000;
  // Candidate tickets gathered (nearest in the index key) and searched around one anchor.
  // Large matches consider at least twice the match size.
  int max_candidates = 64;
  // Regions (latency rule) tried per anchor, in the order of the batching preference.
  int max_regions_per_anchor = 3;
  // Seed of the matcher's own PRNG (batchingPreference random): same seed, same inputs, same
  // matches.
  std::uint64_t seed = 0x5eed5eed5eed5eedULL;
};

// Work counters (monotonic), for tests and benchmarks.
struct MatcherStats {
  std::uint64_t anchors = 0;     // anchor searches started
  std::uint64_t candidates = 0;  // tickets read from the index while gathering candidates
  std::uint64_t nodes = 0;       // search nodes evaluated
  std::uint64_t level_changes = 0;  // expansion level changes applied
};

class Matcher {
 public:
  explicit Matcher(std::shared_ptr<const RuleSet> rules, MatcherLimits limits = {});
  ~Matcher();

  // Validates and adds a ticket: 1..10 players, ≤10 attributes per player, declared attributes of
  // the declared type (missing ones take the default), latencies ≥ 0, a party that fits some team.
  // Duplicate ticket or player ids in the pool → kConflict. A backfill ticket holds 1..200
  // players, each with the (exact) name of the team it is on, no team over its maxPlayers.
  Status Add(TicketInput t);
  bool Remove(std::string_view ticket_id);
  // Forms as many matches as the rules allow at `now`. Matched tickets leave the pool.
  std::vector<MatchResult> Run(Millis now);
  std::size_t size() const { return live_; }
  // Earliest time after `now` at which an expansion step takes effect for some potential match,
  // or INT64_MAX.
  Millis NextExpansionAt(Millis now) const;

  const RuleSet& rules() const { return *rules_; }
  const MatcherStats& stats() const { return stats_; }

 private:
  struct Ticket;
  // Returns a ticket's memory to the matcher's pool.
  struct TicketFree {
    std::pmr::memory_resource* pool = nullptr;
    void operator()(Ticket* t) const;
  };
  using TicketPtr = std::unique_ptr<Ticket, TicketFree>;
  class Search;
  struct Due {
    Millis at;
    std::uint32_t slot;
    std::uint32_t gen;
    bool operator>(const Due& o) const { return at > o.at; }
  };

  Ticket* Live(std::uint32_t slot, std::uint32_t gen) const;
  int LevelAt(Millis age) const;
  std::uint64_t RegionMask(const Ticket& t, int level) const;
  std::uint64_t LaneKey(std::uint64_t part, int bit) const;
  void Index(Ticket& t, std::uint32_t slot);
  void Unindex(const Ticket& t, std::uint32_t slot);
  void Release(std::uint32_t slot);
  // Takes a ticket out of the pool and every index; the caller owns what is left of it.
  TicketPtr Detach(std::uint32_t slot);
  TicketPtr NewTicket();
  void PushDue(const Ticket& t, std::uint32_t slot);
  void ApplyExpansions(Millis now);
  bool TryAnchor(std::uint32_t slot, Millis now, bool allow_backfill, std::vector<MatchResult>* out);
  void Gather(const Ticket& anchor, std::uint32_t anchor_slot, int bit, bool allow_backfill,
              std::vector<PoolIndex::Entry>* out);
  void Order(const Ticket& anchor, int bit, std::vector<std::uint32_t>* cands);
  bool Window(const Ticket& anchor, double d, int min_players,
              std::vector<PoolIndex::Entry>* cands);
  bool SearchAndCommit(std::uint32_t slot, int bit, Millis now,
                       const std::vector<PoolIndex::Entry>& entries,
                       std::vector<MatchResult>* out);
  int LatencyIn(const Ticket& t, int bit) const;
  double Distance(const Ticket& anchor) const;

  std::shared_ptr<const RuleSet> rules_;
  MatcherLimits limits_;
  // Memory of the tickets and their arrays (a BlockPool: see block_pool.h for why). Declared
  // before the tickets, which it must outlive.
  std::unique_ptr<std::pmr::memory_resource> pool_;
  std::vector<TicketPtr> slots_;
  std::vector<std::uint32_t> gens_;
  std::vector<std::uint32_t> free_slots_;
  std::uint32_t FindTicket(std::string_view ticket_id) const;
  std::uint32_t FindPlayer(std::string_view player_id) const;
  std::unique_ptr<Search> search_;             // reused by every anchor search (keeps its buffers)
  std::vector<TicketPtr> detached_;  // tickets of the match being returned
  std::vector<const Ticket*> search_tickets_;  // the anchor and its candidates, for search_
  SlotTable by_id_;       // ticket id → slot
  SlotTable player_ids_;  // player id → slot of the ordinary ticket searching with them
  std::size_t live_ = 0;
  std::uint64_t next_seq_ = 0;
  std::vector<bool> symmetric_definition_;  // teams of this definition are interchangeable
  std::vector<std::int64_t> step_waits_;    // distinct expansion wait times, ascending
  std::vector<EffectiveParams> levels_;     // params at each expansion level
  int min_total_players_ = 0;               // fewest players any level allows in a match
  int full_size_ = 0;                       // most players any level allows in a match
  bool set_mode_ = false;                   // pick the ticket set first, then balanced teams
  bool fast_set_checks_ = false;            // set mode: monotone rules checked incrementally
  // Index configuration.
  int key_attribute_ = -1;       // numeric attribute the index orders by (-1: start time)
  int key_rule_ = -1;            // the batchDistance rule on it, if any
  std::vector<int> string_batch_attributes_;
  int latency_rule_ = -1;        // top-level latency rule used for region lanes
  std::unique_ptr<PoolIndex> index_;
  std::unordered_map<std::string, std::int32_t> region_ids_;
  mutable std::vector<Due> heap_;  // next expansion of each ticket (min-heap, lazy deletion)
  mutable std::size_t stale_due_ = 0;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> dirty_;  // (slot, gen)
  std::mt19937_64 rng_;
  MatcherStats stats_;
  // Scratch reused across anchors (no allocation per anchor in steady state).
  std::vector<PoolIndex::Entry> gathered_;
  std::vector<PoolIndex::Entry> at_level_;
  std::vector<std::uint32_t> cand_slots_;
  std::vector<std::pair<double, int>> window_keys_;
  std::vector<int> window_prefix_;
  struct Aged {
    Millis start;
    std::uint64_t seq;
    std::uint32_t slot;
  };
  std::vector<Aged> aged_;
  std::vector<int> bits_;  // TryAnchor: regions to try
};

}  // namespace muster::matchmaking
