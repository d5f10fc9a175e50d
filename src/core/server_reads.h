#pragma once
// What matchmaking reads of the server side (queues, placements, running game sessions), without
// holding the cores that own them: the placement core answers from its memory when both run on
// one thread; a view kept current by the server side's commits can answer from another.
//
// Thread safety: as the implementation says (PlacementCore: its owner thread).

#include <optional>
#include <string>
#include <vector>

namespace muster::core {

// A game session as backfill needs it.
struct RunningSession {
  bool active = false;          // ACTIVE (not ACTIVATING, not ended)
  std::string status;           // its status name, for messages
  int max_players = 0;
  std::vector<std::string> present_players;  // of its player sessions RESERVED or ACTIVE
  // The ARN of the configuration whose match made it (from its matchmaker data); "" when none did.
  std::string configuration_arn;

  // The slots taken: one per player session RESERVED or ACTIVE.
  int occupied_slots() const { return static_cast<int>(present_players.size()); }
};

// A game session queue as matchmaking needs it: its ARN (for a configuration's
// GameSessionQueueArns) and the locations it can place into (for the players' latencies).
struct QueueInfo {
  std::string arn;
  std::vector<std::string> locations;
};

// A pending placement matchmaking asked for, with the ARN of the configuration whose match it
// places (its matchmaker data's matchmakingConfigurationArn; empty when that cannot be read).
struct MatchPlacement {
  std::string placement_id;
  std::string configuration_arn;
};

// The matchmakingConfigurationArn of matchmaker data (WIRE.md §5 shape), or "".
std::string MatchmakerDataConfigurationArn(const std::string& matchmaker_data);

class ServerReads {
 public:
  virtual ~ServerReads() = default;
  // A defined queue; nullopt when there is none of that name.
  virtual std::optional<QueueInfo> Queue(const std::string& name) const = 0;
  bool QueueExists(const std::string& name) const { return Queue(name).has_value(); }
  // Whether a placement is still pending (will be answered by PlacementFulfilled or PlacementEnded).
  virtual bool PlacementPending(const std::string& placement_id) const = 0;
  // The pending placements matchmaking asked for (their request carries matchmaker data), so
  // that it can stop those it no longer holds after a notice between the two was lost.
  virtual std::vector<MatchPlacement> MatchPlacementsPending() const = 0;
  // A game session that is live (activating or active); nullopt when it is unknown or ended.
  virtual std::optional<RunningSession> GameSession(const std::string& arn) const = 0;
};

}  // namespace muster::core
