#pragma once
// Matchmaking ticket lifecycle for every configuration (WIRE.md §2 and §5): tickets go
// QUEUED → SEARCHING → PLACING → COMPLETED, or end TIMED_OUT, CANCELLED or FAILED, each step with
// its "GameLift Matchmaking Event". The Matcher of each configuration decides matches; this layer
// owns statuses, timeouts, placement requests, events and the store rows of tickets.
//
// Acceptance: with AcceptanceRequired a match puts its tickets in REQUIRES_ACCEPTANCE until every
// player accepts (→ placement), one rejects (its ticket is CANCELLED, the others search again) or
// the acceptance timeout passes (tickets with a player who did not accept are CANCELLED, fully
// accepted ones search again). STANDALONE configurations complete a match without placement; the
// MatchmakingSucceeded event carries the teams. Backfill tickets (StartBackfill; AUTOMATIC mode
// starts them itself for matched sessions with open slots) fill a running game session: the new
// players get player sessions there and the game server receives UpdateGameSession.
// Estimated wait: the median wait of the configuration's last 100 matched tickets (15 minutes).
//
// The server side: matches are placed through requests (core/events.h, topic
// "placement-requests": PlacementRequested, BackfillRequested, PlacementStopRequested; topic
// "fleet-requests": BackfillStatus) answered by PlacementFulfilled / PlacementEnded (topic
// "placement"); queues, pending placements and running game sessions are read through
// core::ServerReads. This core never calls the cores of the server side, so it can run as a shard
// of its own.
//
// Thread safety: none; one owner thread. `server` is read on that thread.

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/env.h"
#include "common/result.h"
#include "bus/bus.h"
#include "core/effects.h"
#include "core/server_reads.h"
#include "matchmaking/matcher.h"
#include "matchmaking/rule_set.h"

namespace muster::matchmaking {

enum class BackfillMode { kManual, kAutomatic };
enum class FlexMatchMode { kWithQueue, kStandalone };

struct ConfigurationSpec {
  std::string name;
  std::string arn;
  std::string description;
  std::string rule_set_name;
  std::string rule_set_arn;
  std::string rule_set_body;
  std::shared_ptr<const RuleSet> rule_set;
  Millis request_timeout_ms = 120'000;
  bool acceptance_required = false;
  Millis acceptance_timeout_ms = 0;  // AcceptanceTimeoutSeconds × 1000 (1..600 s when required)
  FlexMatchMode mode = FlexMatchMode::kWithQueue;
  std::string queue_name;  // WITH_QUEUE: the placement queue (name, not ARN)
  std::vector<std::string> game_session_queue_arns;  // as given (ARNs or names)
  std::string notification_target;
  int additional_player_count = 0;
  BackfillMode backfill_mode = BackfillMode::kManual;
  std::string custom_event_data;
  std::string game_session_data;
  std::vector<std::pair<std::string, std::string>> game_properties;
  Millis creation_time = 0;
};

enum class TicketStatus { kQueued, kSearching, kRequiresAcceptance, kPlacing, kCompleted, kFailed, kCancelled, kTimedOut };
const char* TicketStatusName(TicketStatus s);
bool IsTerminal(TicketStatus s);

struct MatchedPlayerSession {
  std::string player_id;
  std::string player_session_id;
};

struct Ticket {
  std::string ticket_id;
  std::string configuration_name;
  std::string owner;                     // identity id of the client that started it ("" = API)
  TicketStatus status = TicketStatus::kQueued;
  std::string status_reason;
  std::string status_message;
  Millis start_time = 0;
  Millis end_time = 0;
  std::vector<PlayerInput> players;
  std::string match_id;
  // GameSessionConnectionInfo, once COMPLETED.
  std::string game_session_arn;
  std::string ip_address;
  std::string dns_name;
  int port = 0;
  std::vector<MatchedPlayerSession> matched_player_sessions;
  // REQUIRES_ACCEPTANCE: player id → accepted (absent = no answer yet), until the deadline.
  std::map<std::string, bool> acceptance;
  Millis acceptance_deadline = 0;
  // Backfill tickets: the game session they fill (players = its current players, with teams).
  bool backfill = false;
  bool auto_backfill = false;
  std::string backfill_game_session_arn;
  Millis estimated_wait_ms = -1;  // at start, from recent history; -1 = not available
  // Request timeout: fixed when the ticket starts (a later configuration update does not move it).
  Millis search_deadline = 0;
};

// The MatchmakingTicket shape of the management API (epoch-second timestamps).
json::object TicketToApiJson(const Ticket& t, const std::string& configuration_arn);

class MatchmakingCore {
 public:
  MatchmakingCore(const Env& env, const core::ServerReads& server, std::string region, std::string account);

  // Subscribes this core to what it handles: placement outcomes and fleet notices.
  void Subscribe(bus::Bus& bus);

  // Which configurations this core answers for when it reconciles with the server side: when
  // several cores share one server side (matchmaking sides, node/node.h), each stops only the
  // lost placements of the configurations that are its own, including deleted ones. Unset:
  // every configuration (one core).
  using Owns = std::function<bool(const std::string& configuration_arn)>;
  void SetOwns(Owns owns) { owns_ = std::move(owns); }

  Status PutConfiguration(ConfigurationSpec spec);
  // What PutConfiguration would refuse, changing nothing: callers check, commit, then put.
  Status CheckConfiguration(const ConfigurationSpec& spec) const;
  const ConfigurationSpec* FindConfiguration(const std::string& name) const;
  std::vector<const ConfigurationSpec*> Configurations() const;
  // Removes a configuration; its live tickets end FAILED (reason ConfigurationDeleted) with events.
  Result<core::Effects> RemoveConfiguration(const std::string& name);

  // Starts a ticket. kConflict if the ticket id is in use; kInvalidArgument for bad players.
  Result<core::Effects> StartTicket(const std::string& configuration, std::string ticket_id,
                                    std::vector<PlayerInput> players, std::string owner);
  Result<core::Effects> StopTicket(const std::string& ticket_id);
  // Starts a backfill ticket for a game session; `players` are its current players, each with
  // Team. One live backfill ticket per game session and configuration: a new request replaces one still searching
  // (ended in the same commit; CommitStart updates memory after it); kConflict while the old one is in a
  // proposed match or being placed. In WITH_QUEUE mode the game session must be ACTIVE.
  Result<core::Effects> StartBackfill(const std::string& configuration, std::string ticket_id,
                                      const std::string& game_session_arn,
                                      std::vector<PlayerInput> players);
  // ACCEPT (accept=true) or REJECT for players of a REQUIRES_ACCEPTANCE ticket.
  Result<core::Effects> AcceptMatch(const std::string& ticket_id,
                                    const std::vector<std::string>& player_ids, bool accept);
  // Undoes StartTicket when its effects could not be committed (the client hears an error).
  void AbortStart(const std::string& ticket_id);
  // Completes a start whose effects were committed: a backfill ticket takes over its session from
  // the one it replaces (whose CANCELLED row, event and BACKFILL_CANCELLED push were part of the
  // start's effects).
  void CommitStart(const std::string& ticket_id);

  // Moves QUEUED tickets to SEARCHING, forms matches, hands them to placement, times tickets out.
  core::Effects Run();
  // Placement outcome for a match (topic "placement" notices).
  core::Effects OnPlacementNotice(const core::Notice& notice);
  // Fleet notices: a game session that ended stops its backfill ticket.
  core::Effects OnFleetNotice(const core::Notice& notice);
  // Median wait of recent matches of the configuration, or -1 when there is no history.
  Millis EstimatedWait(const std::string& configuration) const;

  // Tickets read back from the store after a restart (any status; terminal ones are ignored).
  // A match whose tickets are PLACING and whose placement is not pending (a crash between the two
  // sides' commits, when they commit apart) asks again: PlacementRepeated (core/events.h), or a
  // backfill match its BackfillRequested again (answered from the session if it was placed).
  // Then it reconciles with the server side (Reconcile).
  core::Effects Restore(std::vector<Ticket> tickets);
  // After the server side reloaded on its own (a failed batch of its shard): a request of a match
  // still placing, or the answer to it, may have been lost with that batch. Every placing match
  // asks again, as at Restore (a pending placement or one already answered changes nothing);
  // then it reconciles (Reconcile).
  core::Effects RepeatPlacements();

  const Ticket* Find(const std::string& ticket_id) const;
  std::size_t LiveTickets() const { return tickets_.size(); }

  static store::Row ToRow(const Ticket& t, Millis now);
  static Result<Ticket> FromRow(const store::Row& row);

 private:
  struct Config {
    ConfigurationSpec spec;
    std::unique_ptr<Matcher> matcher;
    std::deque<std::pair<Millis, Millis>> recent_waits;  // (matched at, wait)
  };
  struct Match {
    std::string configuration;
    std::vector<std::string> ticket_ids;
    std::vector<std::string> team_names;
    std::string backfill_ticket_id;
    std::string game_session_arn;  // backfill: the session being filled
    Millis acceptance_deadline = 0;
  };
  Result<Config*> CheckNewTicket(const std::string& configuration, std::string* ticket_id);
  // Marks a ticket of a finished match COMPLETED (nullptr if it is gone); the caller saves it.
  Ticket* MarkCompleted(Config& cfg, const std::string& ticket_id);
  core::Effects Transition(Ticket& t, TicketStatus to, const std::string& reason,
                           const std::string& message);
  void Event(core::Effects& fx, const Config& cfg, const std::string& type,
             const std::vector<const Ticket*>& tickets, json::object extra);
  std::vector<const Ticket*> TicketsOf(const Match& m) const;
  // Match outcomes (lifecycle_match.cc).
  core::Effects OnMatch(Config& cfg, const MatchResult& m);
  core::Effects Proceed(const std::string& match_id);
  core::Effects CompleteStandalone(const std::string& match_id);
  core::Effects StartPlacement(const std::string& match_id);
  // The placement request of a (non-backfill) match, from its tickets and configuration.
  core::PlacementRequest RequestFor(const std::string& match_id) const;
  // What a match asks of the server side: PlacementRequested, or BackfillRequested for a backfill
  // match (which the server side answers again from the session when it already placed it).
  core::Notice Request(const std::string& match_id) const;
  // The request of a placing match sent again: PlacementRepeated, or its BackfillRequested.
  core::Notice Repeat(const std::string& match_id) const;
  // What a notice lost between the two sides (a failed batch, a fenced receiver, a stop) would
  // have changed: a pending placement it asked for and no longer places is stopped
  // (PlacementStopRequested); a backfill ticket whose game session is no longer live is
  // cancelled as on GameSessionEnded. Nothing when the two sides agree.
  core::Effects Reconcile();
  core::Effects DropMatch(const std::string& match_id, bool timed_out);
  core::Effects ReturnToSearch(Ticket& t);
  core::Effects BackfillEnded(const Ticket& t, const std::string& reason);
  // Ends a live ticket (status to a terminal one) with its event; a backfill ticket also tells
  // its game server (`backfill_reason`) and an automatic one starts its successor. Forgets it.
  core::Effects End(Ticket& t, TicketStatus to, const std::string& reason, const std::string& message,
                    const std::string& backfill_reason);
  core::Effects MaybeAutoBackfill(const Config& cfg, const std::string& game_session_arn,
                                  std::vector<PlayerInput> players);
  std::string MatchmakerData(const Config& cfg, const std::string& match_id, const Match& m,
                             const std::string& auto_ticket_id) const;
  void RecordWait(Config& cfg, const Ticket& t);
  // Search bookkeeping: the matcher pool plus the request-timeout deadline.
  Status EnterSearch(Config& cfg, Ticket& t);
  void LeaveSearch(Ticket& t);
  void Save(core::Effects& fx, const Ticket& t) const;
  void Forget(const std::string& ticket_id);

  const Clock& clock_;
  Random& random_;
  const core::ServerReads& server_;
  std::string region_;
  std::string account_;
  std::map<std::string, Config> configs_;
  std::map<std::string, Ticket> tickets_;             // live (non-terminal) tickets
  std::map<std::string, Match> matches_;              // match id → match awaiting outcome
  // (configuration, player id) → live ticket id: a player is in one live ticket per configuration.
  std::map<std::pair<std::string, std::string>, std::string> live_players_;
  Owns owns_;
  // (game session ARN, configuration) → live backfill ticket: one per session and configuration.
  std::map<std::pair<std::string, std::string>, std::string> backfills_;
  std::map<std::string, std::string> replacing_;      // new backfill ticket → the one it replaces
  std::vector<std::string> queued_;                   // QUEUED tickets, in arrival order
  std::vector<std::string> invalidated_;  // searching tickets a new rule set refused (fail in Run)
  std::set<std::pair<Millis, std::string>> search_deadlines_;      // request timeouts
  std::set<std::pair<Millis, std::string>> acceptance_deadlines_;  // (deadline, match id)
};

}  // namespace muster::matchmaking
