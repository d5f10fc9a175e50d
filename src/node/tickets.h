#pragma once
// The node's matchmaking tickets: started by clients (client API) and by the management API,
// stopped, accepted, backfilled, and read back as committed.
//
// Thread safety: a part of the Node (node.h); runs on the owner thread of the matchmaking side
// the operation concerns (Node::RunOnConfiguration for starts, Node::RunOnTicket for the rest;
// the node's thread with one shard), except GetTicket and ConfigurationLocations (any thread:
// they read the ticket view, the catalogue of configurations and the store).

#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <string>
#include <vector>

#include "common/result.h"
#include "core/effects.h"
#include "matchmaking/lifecycle.h"

namespace muster::node {

class Node;

class Tickets {
 public:
  using TicketDone = std::function<void(Result<matchmaking::Ticket>)>;

  explicit Tickets(Node& node) : node_(node) {}

  // Answered once the ticket is durable (waits for its commit).
  Result<matchmaking::Ticket> StartMatchmaking(const std::string& configuration,
                                               std::vector<matchmaking::PlayerInput> players,
                                               const std::string& owner, std::string ticket_id = "");
  // The same, answered from the commit's completion (at once when refused before staging):
  // kUnavailable when the writer is full or the node is fenced (HTTP 503, retry later).
  void StartMatchmakingAsync(const std::string& configuration, std::vector<matchmaking::PlayerInput> players,
                             const std::string& owner, std::string ticket_id, TicketDone done);
  // Reads the ticket as committed (any status): from memory (TicketView) for live and recently
  // ended tickets, else from the store. Safe from any thread.
  Result<matchmaking::Ticket> GetTicket(const std::string& ticket_id) const;
  Result<matchmaking::Ticket> StopMatchmaking(const std::string& ticket_id);
  // ACCEPT or REJECT for players of a REQUIRES_ACCEPTANCE ticket.
  Status AcceptMatch(const std::string& ticket_id, const std::vector<std::string>& player_ids, bool accept);
  // Backfill for a game session (players = the ones already in it, each with Team).
  Result<matchmaking::Ticket> StartMatchBackfill(const std::string& configuration,
                                                 const std::string& game_session_arn,
                                                 std::vector<matchmaking::PlayerInput> players,
                                                 std::string ticket_id = "");
  Result<matchmaking::Ticket> StopMatchBackfill(const std::string& ticket_id);
  // Locations a configuration can place into (through its queue).
  Result<std::vector<std::string>> ConfigurationLocations(const std::string& configuration) const;

 private:
  void Start(const std::string& configuration, std::vector<matchmaking::PlayerInput> players,
             const std::string& owner, std::string ticket_id, TicketDone done, bool wait);
  // Checks and stages a new ticket.
  Result<core::Effects> Stage(std::size_t side, const std::string& configuration,
                              std::vector<matchmaking::PlayerInput> players, const std::string& owner,
                              const std::string& ticket_id);
  friend class Node;
  // Reserves a ticket id given by the caller for `side` until its insert is durable (Release):
  // kConflict when it is taken by a stored ticket or by one whose insert is on its way. ""
  // reserves nothing.
  Status Reserve(const std::string& ticket_id, std::size_t side);
  void Release(const std::string& ticket_id);
  // The side of a ticket staged and not yet durable (Node::RunOnTicket). Any thread.
  std::optional<std::size_t> StagedSide(const std::string& ticket_id) const;

  Node& node_;
  mutable std::mutex inserting_mu_;  // the sides' threads share it
  // GUARDED_BY(inserting_mu_): tickets staged, their insert not yet durable → their side.
  std::unordered_map<std::string, std::size_t> inserting_;
};

}  // namespace muster::node
