#pragma once
// The game server socket (WIRE.md §1): WebSocket upgrades from the server SDK, authenticated by
// compute auth token (`Authorization=<token>`) or by the SigV4 query signature
// (`Authorization=SigV4`, signed with the admin credentials); frames decoded by
// fleet/protocol.h and handed to the node; replies echo Action and RequestId.
//
// The SDK re-sends a request with the SAME RequestId when a reply is late, so the last replies of
// each process are cached and a repeated RequestId gets the cached reply without running again.
//
// Thread safety: none; runs on the node's loop thread (upgrades, messages and pushes).

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "common/clock.h"
#include "net/http_server.h"
#include "node/node.h"

namespace muster::api {

struct ServerSocketOptions {
  // Secret lookup for SigV4-signed connects (the admin credentials).
  std::function<Result<std::string>(std::string_view access_key)> admin_secret;
  std::size_t reply_cache_per_process = 64;
};

class ServerSocket {
 public:
  ServerSocket(node::Node& node, const Clock& clock, ServerSocketOptions options);

  net::WsUpgradeHandler UpgradeHandler();
  // Sends a frame to a process if it is connected (the node's push sink).
  void Push(const std::string& process_key, const std::string& frame);
  std::size_t ConnectionCount() const { return keys_.size(); }
  // Drops cached replies of processes that are gone; call periodically.
  void Sweep();

 private:
  struct Pending {
    std::string fleet_id, compute_name, process_id;
  };
  void OnOpen(const std::shared_ptr<net::WsConnection>& c, const Pending& p);
  void OnMessage(const std::shared_ptr<net::WsConnection>& c, std::string&& text);
  void OnClose(const std::shared_ptr<net::WsConnection>& c);

  node::Node& node_;
  const Clock& clock_;
  ServerSocketOptions options_;
  std::map<std::uint64_t, std::string> keys_;                                // connection → process key
  std::map<std::string, std::shared_ptr<net::WsConnection>> connections_;   // process key → connection
  std::map<std::string, std::deque<std::pair<std::string, std::string>>> replies_;  // key → (RequestId, reply)
};

}  // namespace muster::api
