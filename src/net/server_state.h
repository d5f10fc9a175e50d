#pragma once
// Internal to muster_net: what every connection of one HttpServer shares (limits, handlers, TLS
// context) and the registry of its connections, which decides admission:
//   - at most max_connections_per_address open connections per peer address (counted under
//     ClientKey(): an IPv6 peer by its /64, which one subscriber usually holds whole);
//   - at most max_connections in all; when full, a new connection takes the slot of the
//     connection that has waited longest on its peer (for a request, a header or a body, or in
//     the TLS handshake), which is closed. Connections whose request is being handled or answered
//     and WebSockets are never evicted, so idle, trickling or stalled peers cannot lock out anyone
//     who completes a request or an upgrade: on the game server socket, anonymous connections
//     make room for processes.
//
// Thread safety: the registry is guarded by mu_ (the listener admits from its accept handler,
// sessions update their idleness from their executors, Stop may come from any thread); the rest is
// immutable after Listen.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/http_server.h"

namespace muster::net::internal {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using PlainStream = beast::tcp_stream;
using TlsStream = asio::ssl::stream<beast::tcp_stream>;

// A live connection as seen by the registry. The idle links are owned by ServerState (mu_).
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Posts the connection's reaction to Stop() onto its executor.
  virtual void PostShutdown() = 0;
  // Posts "you were evicted": the connection closes if it is still idle, else it carries on.
  virtual void PostEvict() = 0;

 private:
  friend class ServerState;
  SessionBase* idle_prev_ = nullptr;  // guarded by ServerState::mu_
  SessionBase* idle_next_ = nullptr;
  bool idle_linked_ = false;
  std::uint64_t slot_ = 0;            // the registry id it is attached under
  SessionBase* body_prev_ = nullptr;  // in the body list while body_bytes_ > 0 (mu_)
  SessionBase* body_next_ = nullptr;
  std::size_t body_bytes_ = 0;        // reserved in the listener's body budget (mu_)
};

std::uint64_t NextConnectionId();

class ServerState {
 public:
  ServerState(Limits limits, HttpHandler handler, WsUpgradeHandler ws_handler,
              std::unique_ptr<asio::ssl::context> tls);

  const Limits& limits() const { return limits_; }
  const HttpHandler& handler() const { return handler_; }
  const WsUpgradeHandler& ws_handler() const { return ws_handler_; }
  asio::ssl::context* tls() const { return tls_.get(); }

  enum class Admission { kAdmitted, kAddressFull, kFull, kStopping };
  // Reserves a slot for a new connection from `address_key` under a new id (out). When the server
  // is full, evicts the longest-idle connection to make room (its slot is reused at once).
  Admission Admit(const std::string& address_key, std::uint64_t* id);
  // Binds a session to its admitted slot (or, after an upgrade, hands the slot to the WebSocket
  // session). Returns false once Stop() has begun; the caller then closes the connection.
  bool Attach(std::uint64_t id, const std::shared_ptr<SessionBase>& session);
  // Marks the session idle (evictable) or busy. Cheap; called on every phase change.
  void SetIdle(std::uint64_t id, SessionBase* session, bool idle);
  // Frees the slot.
  void Release(std::uint64_t id, SessionBase* session);

  // Reserves room for the request body `session` is about to read
  // (Limits::max_body_bytes_in_flight). When the budget is spent, the connections whose bodies
  // were reserved longest ago are evicted (their reservations freed at once) until it fits; false
  // only when a body larger than the whole budget is asked. ReleaseBody frees the session's
  // reservation (none: no-op) once the body is handed over or the connection ends.
  bool ReserveBody(SessionBase* session, std::size_t bytes);
  void ReleaseBody(SessionBase* session);

  std::size_t Count() const { return count_.load(std::memory_order_relaxed); }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  // Marks the state stopping and returns every attached session.
  std::vector<std::shared_ptr<SessionBase>> BeginStop();

 private:
  struct Entry {
    std::weak_ptr<SessionBase> session;
    std::string address_key;
  };
  // REQUIRES: mu_ is held.
  void EraseLocked(std::unordered_map<std::uint64_t, Entry>::iterator it);
  void Link(SessionBase* s);
  void Unlink(SessionBase* s);
  bool EvictOneLocked();
  void ReleaseBodyLocked(SessionBase* s);

  const Limits limits_;
  const HttpHandler handler_;
  const WsUpgradeHandler ws_handler_;
  const std::unique_ptr<asio::ssl::context> tls_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> count_{0};
  mutable std::mutex mu_;
  std::unordered_map<std::uint64_t, Entry> sessions_;              // guarded by mu_
  std::unordered_map<std::string, std::size_t> per_address_;       // guarded by mu_
  SessionBase* idle_head_ = nullptr;  // longest idle first; guarded by mu_
  SessionBase* idle_tail_ = nullptr;
  std::size_t body_bytes_ = 0;        // reserved bodies in all; guarded by mu_
  SessionBase* body_head_ = nullptr;  // reserved longest ago first; guarded by mu_
  SessionBase* body_tail_ = nullptr;
};

}  // namespace muster::net::internal
