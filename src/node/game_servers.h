#pragma once
// The node's side of the game server socket: compute authentication, process connections and the
// requests of connected processes (WIRE.md §1), handed to the fleet core.
//
// Thread safety: a part of the Node (node.h); runs on the node's thread, except Authenticate and
// ProcessLive (any thread: they read the FleetView). Backfill requests hop to the matchmaking
// shard's thread and their answers back. The waiting Request is for tests that drive the node
// from one thread.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/result.h"
#include "fleet/fleet_core.h"
#include "fleet/protocol.h"

namespace muster::node {

class Node;

class GameServers {
 public:
  explicit GameServers(Node& node) : node_(node) {}

  // Checks a connecting game server's compute auth token.
  Status Authenticate(const std::string& fleet_id, const std::string& compute_name,
                      const std::string& token) const;
  // Whether process `key` is connected or active as committed (not terminated, not unknown).
  bool ProcessLive(const std::string& key) const;
  // Registers an authenticated connection as process pID; returns the process key.
  Result<std::string> Connect(std::uint64_t connection, const std::string& fleet_id,
                              const std::string& compute_name, const std::string& process_id);
  void Disconnect(std::uint64_t connection, const std::string& process_key);
  // The outcome of a process's request and the reply's fields (if any).
  using Replied = std::function<void(Status, json::object)>;
  // Handles one request of a connected process, answered through `done` on the node's thread once
  // its change (and every change before it) is durable; a refusal, which changes nothing, is
  // answered at once. The SDK matches replies to requests by RequestId.
  void RequestAsync(const std::string& process_key, const fleet::ClientMessage& message, Replied done);
  // The same, waiting for the commit; the reply fields (if any) go in `reply`.
  Status Request(const std::string& process_key, const fleet::ClientMessage& message, json::object* reply);
  // The auth token of a compute (for launching local game servers).
  Result<std::string> ComputeToken(const std::string& fleet_id, const std::string& compute_name) const;
  std::vector<fleet::LocationEndpoint> LocationEndpoints() const;

 private:
  friend class Node;
  void Handle(const std::string& key, const fleet::ClientMessage& message, Replied done, bool wait);
  // Backfill requests: checked here (the process must host the game session), carried out by
  // the tickets on the matchmaking shard's thread, answered back on the node's thread.
  void StartBackfill(const std::string& key, const fleet::StartMatchBackfill& m, Replied done, bool wait);
  void StopBackfill(const std::string& key, const fleet::StopMatchBackfill& m, Replied done, bool wait);
  Status CheckHosts(const std::string& key, const std::string& game_session_arn) const;
  // Runs `work` on the thread of the matchmaking side that owns `configuration` (when not
  // empty) or `ticket_id`, and answers `done` with its outcome on the node's thread (wait, or one
  // shard: at once, on the calling thread).
  struct Route {
    std::string configuration;
    std::string ticket_id;
  };
  void OnMatchmaking(const Route& route, std::function<Status(json::object*)> work, Replied done, bool wait);
  // After a reload: the open connections are attached to the new fleet core.
  void Reattach();

  Node& node_;
  std::map<std::string, std::uint64_t> connections_;  // process key → open server connection
};

}  // namespace muster::node
