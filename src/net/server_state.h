#pragma once
// Internal to muster_net: what every connection of one HttpServer shares (limits, handlers, TLS
// context, the registry used by Stop and ConnectionCount), and the Beast/Asio aliases.
//
// Thread safety: the registry is guarded by mu_; the rest is immutable after Listen.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "net/http_server.h"

namespace muster::net::internal {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using PlainStream = beast::tcp_stream;
using TlsStream = asio::ssl::stream<beast::tcp_stream>;

// A live connection as seen by Stop().
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Posts the connection's reaction to Stop() onto its strand.
  virtual void PostShutdown() = 0;
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

  // Returns false once Stop() has begun; the caller then closes the connection.
  bool Register(std::uint64_t id, std::weak_ptr<SessionBase> session);
  void Unregister(std::uint64_t id);
  std::size_t Count() const { return count_.load(std::memory_order_relaxed); }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  // Marks the state stopping and returns every registered session.
  std::vector<std::shared_ptr<SessionBase>> BeginStop();

 private:
  const Limits limits_;
  const HttpHandler handler_;
  const WsUpgradeHandler ws_handler_;
  const std::unique_ptr<asio::ssl::context> tls_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> count_{0};
  mutable std::mutex mu_;
  std::unordered_map<std::uint64_t, std::weak_ptr<SessionBase>> sessions_;  // guarded by mu_
};

}  // namespace muster::net::internal
