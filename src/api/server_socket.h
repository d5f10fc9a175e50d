#pragma once
// The game server socket (WIRE.md §1): WebSocket upgrades from the server SDK, authenticated by
// compute auth token (`Authorization=<token>`) or by the SigV4 query signature
// (`Authorization=SigV4`, signed with the admin credentials); frames decoded by
// fleet/protocol.h and handed to the node; replies echo Action and RequestId.
//
// The SDK re-sends a request with the SAME RequestId when a reply is late, so the last replies of
// each process are cached and a repeated RequestId gets the cached reply without running again.
//
// One live connection per process: a connect claiming a pID that is live on another connection
// is refused (409, before the upgrade) unless it carries the same IdempotencyToken, which the SDK
// keeps across its reconnects. The token stays bound to the process while it is disconnected too
// (until it terminates, or musterd restarts), so a claim made while the SDK reconnects is refused
// the same way. Such a reconnect takes over at once (pushes go to the new socket);
// the old socket is closed with 1000 after replaced_close_delay_ms, unless the SDK closes it
// first (the C++ SDK does at once, the Go SDK after 5 s; closing it sooner would make the Go SDK
// drop its new socket too).
//
// Threads: connections live on the connection loops. The upgrade handler runs there: it checks the
// token (or signature) and a conflicting claim from the node's thread-safe views and this class's
// registries (under mu_), so an unauthenticated peer never reaches the node's thread. Frames are
// decoded there too. Opens, decoded messages and closes are posted to the node's thread
// (Node::RunOnOwner), in the order the connection saw them; Tick and Sweep run there too. Push is
// safe from any thread (the node pushes from the commit writer's thread, in commit order, so a
// push of a later commit may reach a game server before the reply to an earlier request).
// A request is answered once its change is durable (GameServers::RequestAsync), without holding
// the node's thread meanwhile. Replies and pushes are posted back to the connection's loop by
// WsConnection::Send.

#include <atomic>
#include <cstdint>
#include <functional>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/rate_limiter.h"
#include "fleet/protocol.h"
#include "net/http_server.h"
#include "node/node.h"

namespace muster::api {

struct ServerSocketOptions {
  // Secret lookup for SigV4-signed connects (the admin credentials).
  std::function<Result<std::string>(std::string_view access_key)> admin_secret;
  std::size_t reply_cache_per_process = 64;
  // SigV4 connects must be signed for this region (empty: any; only for tests).
  std::string region;
  Millis replaced_close_delay_ms = 10'000;
  // Requests of one connection decoded but not yet answered; beyond, the connection is closed
  // with 1008 (the SDK waits for each reply; this bounds what one peer queues on the node).
  int max_requests_in_flight = 64;
};

class ServerSocket {
 public:
  ServerSocket(node::Node& node, const Clock& clock, ServerSocketOptions options);

  net::WsUpgradeHandler UpgradeHandler();
  // Sends a frame to a process if it is connected (the node's push sink).
  void Push(const std::string& process_key, const std::string& frame);
  std::size_t ConnectionCount() const;
  // Drops cached replies of processes that are gone; call periodically.
  void Sweep();
  // Closes replaced sockets that are due; call often (e.g. every 100 ms).
  void Tick();

 private:
  struct Pending {
    std::string fleet_id, compute_name, process_id, idempotency_token;
  };
  struct Live {
    std::shared_ptr<net::WsConnection> connection;
    std::string idempotency_token;
  };
  struct Replaced {
    std::shared_ptr<net::WsConnection> connection;
    Millis close_at = 0;
  };
  // Whether a connect with `token` may replace the live connection of its process.
  static bool SameProcess(const Live& live, const std::string& token);
  // Why a connect claiming process `key` with `token` must be refused (nullopt: it may connect):
  // the process is live on another connection, or was connected with another token and has not
  // terminated. REQUIRES(mu_).
  std::optional<std::string> ClaimConflict(const std::string& key, const std::string& token) const;
  void OnOpen(const std::shared_ptr<net::WsConnection>& c, const Pending& p);
  // On the connection's loop: decodes a frame and posts it to the node's thread.
  void OnFrame(const std::shared_ptr<net::WsConnection>& c, std::string&& text,
               const std::shared_ptr<std::atomic<int>>& in_flight);
  // `answered` runs once the request is answered (or dropped).
  void OnMessage(const std::shared_ptr<net::WsConnection>& c, fleet::ClientMessage msg, std::function<void()> answered);
  void OnClose(const std::shared_ptr<net::WsConnection>& c);

  node::Node& node_;
  const Clock& clock_;
  ServerSocketOptions options_;
  mutable std::mutex mu_;  // the registries below that the upgrade handler reads, and the log's count
  std::map<std::uint64_t, std::string> keys_;  // GUARDED_BY(mu_); connection → process key
  std::map<std::string, Live> connections_;    // GUARDED_BY(mu_); process key → live connection
  std::map<std::string, std::string> tokens_;  // GUARDED_BY(mu_); process key → its IdempotencyToken,
                                               // kept while it lives
  std::vector<Replaced> replaced_;             // node's thread; closed when due
  // Refused connects are logged, but peers that retry in a loop (from however many addresses)
  // cannot fill the log: at most 10 lines a minute per address and 60 in all; the next line
  // logged says how many were left out. Returns the suffix to log, or nullopt to stay silent.
  std::optional<std::string> LogRefusal(const std::string& remote);
  static constexpr RateLimit kRefusalLogRate{10, 10};
  static constexpr RateLimit kRefusalLogRateAll{60, 60};
  RateLimiter refusal_log_;       // per client address
  RateLimiter refusal_log_all_;   // every address together
  std::uint64_t refusals_not_logged_ = 0;  // GUARDED_BY(mu_)
  // Node's thread: key → (RequestId, reply).
  std::map<std::string, std::deque<std::pair<std::string, std::string>>> replies_;
  // Node's thread: requests (process key, RequestId) whose reply waits for their commit.
  std::set<std::pair<std::string, std::string>> pending_;
};

}  // namespace muster::api
