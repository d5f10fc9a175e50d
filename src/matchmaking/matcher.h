#pragma once
// The deterministic matcher core of one matchmaking configuration: a pool of searching tickets
// and a search that forms matches satisfying a compiled RuleSet. No I/O, no threads, no clock:
// the caller passes the current time to Run() and NextExpansionAt().
//
// Guarantees: a ticket (and so a player) is in at most one returned match and leaves the pool
// when matched; every returned match has each team within its (expanded) min/max size, keeps
// each ticket's players on one team, and satisfies every rule of the rule set.
//
// Search (first cut): tickets are taken as anchors oldest first; around each anchor a bounded
// depth-first search over the other tickets (ordered by the sort rules, then by age) looks for
// the largest valid match, pruning with the monotone rules (batchDistance, latency).
//
// Thread safety: none; one owner.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "matchmaking/attribute.h"
#include "matchmaking/rule_eval.h"
#include "matchmaking/rule_set.h"

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
  // Candidate tickets considered around one anchor (after ordering).
  int max_candidates = 256;
};

class Matcher {
 public:
  explicit Matcher(std::shared_ptr<const RuleSet> rules, MatcherLimits limits = {});
  ~Matcher();

  // Validates and adds a ticket: 1..10 players, ≤10 attributes per player, declared attributes of
  // the declared type (missing ones take the default), latencies ≥ 0, a party that fits some team.
  // Duplicate ticket or player ids in the pool → kConflict.
  Status Add(TicketInput t);
  bool Remove(std::string_view ticket_id);
  // Forms as many matches as the rules allow at `now`. Matched tickets leave the pool.
  std::vector<MatchResult> Run(Millis now);
  std::size_t size() const { return pool_.size(); }
  // Earliest time after `now` at which an expansion step takes effect for some potential match,
  // or INT64_MAX.
  Millis NextExpansionAt(Millis now) const;

  const RuleSet& rules() const { return *rules_; }

 private:
  struct Ticket;
  class Search;

  std::shared_ptr<const RuleSet> rules_;
  MatcherLimits limits_;
  std::vector<std::unique_ptr<Ticket>> pool_;  // ordered by (start_time, seq)
  std::unordered_map<std::string, Ticket*> by_id_;
  std::unordered_set<std::string> player_ids_;
  std::uint64_t next_seq_ = 0;
  int next_slot_ = 0;
  std::vector<bool> symmetric_definition_;  // teams of this definition are interchangeable
  std::vector<std::int64_t> step_waits_;    // distinct expansion wait times, ascending
};

}  // namespace muster::matchmaking
