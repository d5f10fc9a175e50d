#pragma once
// What the matchmaking side reads of the server side (core::ServerReads) when the two run as
// shards on different owner threads (docs/shell.md, "Shards"): the queues, the pending
// placements and the live game sessions with the players holding a slot in each, as committed.
// Kept current from the server side's durable commits (Apply, fed its placement, game session and
// player session rows) and its definitions (queues), so it answers what is in the store, never a
// change that may still fail.
//
// Used with NodeOptions::matchmaking_shard (node.h), where the server shard's commits hand it their
// placement, game session and player session rows. With one shard the placement core answers
// these reads itself; server_view_test.cc keeps the two answers equal through a game's life.
//
// Thread safety: one reader-writer lock; the reads from any thread. Apply comes from the writer's
// completions, in commit order; ReplaceQueues and Replace from the server shard's owner thread at
// start and at its reload, when none of its batches is in flight (else an older commit's Apply
// could land after a Replace that read newer state), as for the ticket and fleet views.

#include <map>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/server_reads.h"
#include "fleet/model.h"
#include "placement/placement_core.h"
#include "store/store.h"

namespace muster::node {

class ServerView : public core::ServerReads {
 public:
  // The queues by name, as a whole (start, reload, a queue defined).
  void ReplaceQueues(std::map<std::string, core::QueueInfo> queues);
  // The server side's live state as a whole (start, reload): pending placements, live game
  // sessions and their live player sessions.
  void Replace(const std::vector<placement::Placement>& pending, const std::vector<fleet::GameSession>& sessions,
               const std::vector<fleet::PlayerSession>& players);
  // The rows of a durable commit (tables other than placements, game sessions and player
  // sessions are skipped), game sessions before player sessions whatever their order in the
  // commit. A row that does not decode is skipped (the store keeps it; the server side's own
  // restore reports it).
  void Apply(const std::vector<store::Write>& writes);

  std::optional<core::QueueInfo> Queue(const std::string& name) const override;
  bool PlacementPending(const std::string& placement_id) const override;
  std::vector<core::MatchPlacement> MatchPlacementsPending() const override;
  std::optional<core::RunningSession> GameSession(const std::string& arn) const override;

 private:
  struct Session {
    bool active = false;
    std::string status;
    int max_players = 0;
    std::string configuration_arn;  // whose match made it (it never changes)
    std::map<std::string, std::string> holding;  // player session id → player id (RESERVED or ACTIVE)
  };
  // Who asked for a pending placement: matchmaking (for which configuration), or not.
  struct Asker {
    bool matchmaking = false;
    std::string configuration_arn;
  };
  static Asker Origin(const core::PlacementRequest& r);
  void PutSessionLocked(const fleet::GameSession& g);
  void PutPlayerLocked(const fleet::PlayerSession& p);

  mutable std::shared_mutex mu_;
  std::map<std::string, core::QueueInfo> queues_;     // GUARDED_BY(mu_)
  std::unordered_map<std::string, Asker> pending_;     // GUARDED_BY(mu_), pending placements
  std::unordered_map<std::string, Session> sessions_;  // GUARDED_BY(mu_), live ones by ARN
};

}  // namespace muster::node
