#pragma once
// The network transport of musterd: one listener that serves HTTP/1.1 (keep-alive, pipelining)
// and upgrades to WebSocket on the same port, over plain TCP or TLS (1.2 and 1.3). Built on
// Boost.Beast; this header stays light (no Beast, no Asio beyond a forward declaration) because
// many modules include it.
//
// Threads: an HttpServer belongs to one io_context ("loop"), or spreads its connections over
// several (one acceptor per loop on one port). Every connection runs on its executor: its own
// strand of its loop, or the loop itself with ListenOptions::one_thread_per_loop.
// Listen/Stop/ConnectionCount/~HttpServer may be called from any thread.
// Handlers are invoked on the connection's executor; a Responder and WsConnection::Send/Close may be
// called from any thread (they post to the connection). Several loops may each run an HttpServer
// on the same port with ListenOptions::reuse_port.
//
// Lifetime: connections keep the handlers alive (shared state) until they end, even after the
// HttpServer is destroyed; run the loop until it drains (or destroy the io_context) before
// destroying what the handlers capture.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/result.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace muster::net {

struct HttpRequest {
  std::string method;
  std::string target;  // raw request-target
  std::string path;    // raw path (before '?'), not decoded
  std::string query;   // raw, without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased, in order
  std::string body;
  std::string remote_address;  // peer IP address (no port)
  bool tls = false;

  // First value of the header or nullptr.
  const std::string* Header(std::string_view lowercase_name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";  // omitted when empty
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// Call exactly once, from any thread, now or later (it posts to the connection's executor). Later
// calls are ignored; a Responder destroyed without being called answers 500.
using Responder = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(HttpRequest&& req, Responder respond)>;

// A server-side WebSocket connection (shared_ptr-owned). Send/Close may be called from any
// thread; they are posted to the connection's executor, queue writes and never block.
class WsConnection {
 public:
  virtual ~WsConnection() = default;
  virtual void Send(std::string text) = 0;
  virtual void Close(std::uint16_t code, std::string reason) = 0;
  virtual std::uint64_t Id() const = 0;  // unique within the process
  virtual const std::string& RemoteAddress() const = 0;
};

// Which WebSocket code serves a connection: Beast's, or Muster's own (src/ws, light_ws_session.cc:
// no buffer per idle connection, pings on a timer, a frame size limit, a maximum age).
enum class WsEngine { kBeast, kMuster };

struct WsCallbacks {
  WsEngine engine = WsEngine::kBeast;
  std::function<void(const std::shared_ptr<WsConnection>&)> on_open;
  // Text messages only; a binary message closes the connection with 1003.
  std::function<void(const std::shared_ptr<WsConnection>&, std::string&& text)> on_message;
  // Once per opened connection, when it stops taking messages: a close frame is queued (by Close,
  // a limit, Stop) or received, or it broke; always before on_close. Messages sent afterwards
  // are dropped, so an application that must not lose them stops sending here. Optional.
  std::function<void(const std::shared_ptr<WsConnection>&)> on_closing;
  // Exactly once per opened connection. Code is the close code sent or received, 1006 when the
  // connection ended without a close handshake (reset, timeout).
  std::function<void(const std::shared_ptr<WsConnection>&, std::uint16_t code)> on_close;
};

// Decides an upgrade request: return callbacks to accept, or an HttpResponse to reject.
using WsUpgradeHandler = std::function<std::variant<WsCallbacks, HttpResponse>(const HttpRequest&)>;

// Every limit is enforced before the bytes it bounds are stored; see docs/net.md.
struct Limits {
  std::size_t max_header_bytes = 16 * 1024;    // request line + headers, and a chunked body's
                                               // trailers; over → 431. At most 60 KiB.
  std::size_t max_body_bytes = 1024 * 1024;    // over → 413, the body is not read
  std::size_t max_body_bytes_in_flight = 256 * 1024 * 1024;  // bodies being read at once on one
                                               // listener (declared length, or max_body_bytes
                                               // when chunked); beyond, the oldest reserved
                                               // bodies' connections are closed for room
  std::size_t max_ws_message_bytes = 256 * 1024;  // over → close 1009
  // The rest of the WebSocket limits hold for WsEngine::kMuster only.
  std::size_t max_ws_frame_bytes = 64 * 1024;     // over → close 1009, before the payload is read
  int ws_ping_interval_seconds = 0;  // ping a connection silent this long, drop it after twice
                                     // as long; 0: no pings, idle_timeout_seconds drops it
  int ws_max_age_seconds = 0;        // close with 1001 at this age; 0: no maximum
  int idle_timeout_seconds = 600;              // keep-alive wait, WebSocket silence
  int header_timeout_seconds = 10;             // TLS handshake, header section, WS handshake
  int body_timeout_seconds = 30;               // a request body once its header is in; a response
                                               // write
  std::size_t max_connections = 10000;         // beyond: the longest-idle connection makes room,
                                               // else 503 and close (TLS: close)
  std::size_t max_connections_per_address = 256;  // per peer IP (IPv6: per /64); 0 = no cap;
                                                  // beyond → 503 and close (TLS: close)
  std::size_t max_ws_send_queue_bytes = 16 * 1024 * 1024;  // slow reader → close 1008
};

struct TlsOptions {
  std::string cert_file;  // PEM, may hold a chain
  std::string key_file;   // PEM
};

struct ListenOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;
  std::optional<TlsOptions> tls;  // TLS 1.2 and 1.3 when set
  Limits limits;
  bool reuse_port = false;  // SO_REUSEPORT, for one HttpServer per loop on the same port
  // Every loop of this server is run by exactly one thread: connections then use the loop's
  // executor directly instead of a strand each (a strand costs a lock and copies of type-erased
  // executors on every handler). Leave false when several threads run one io_context.
  bool one_thread_per_loop = false;
};

class HttpServer {
 public:
  explicit HttpServer(boost::asio::io_context& ioc);
  // One listener per loop on the same port (SO_REUSEPORT): the kernel spreads connections over
  // the loops; each connection stays on the loop that accepted it. Limits are shared.
  explicit HttpServer(std::vector<boost::asio::io_context*> loops);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Starts accepting; returns the bound port (useful with port 0). ws_handler may be empty (then
  // upgrade requests get 404). Call once.
  Result<std::uint16_t> Listen(const ListenOptions& options, HttpHandler handler,
                               WsUpgradeHandler ws_handler = {});

  // Stops accepting (the port is released before returning), closes idle connections, lets
  // in-flight responses finish, closes WebSockets with 1001.
  void Stop();

  // Open connections (HTTP and WebSocket).
  std::size_t ConnectionCount() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Descriptors the transport holds beyond the connections its listeners admit, process-wide: the
// refused connections that linger a moment to deliver their 503 (at most this many at once; fewer
// when the open-file limit is small). A daemon sizes max_connections so that its listeners'
// connections plus this and its own files fit the open-file limit (accepting never fails with
// EMFILE then).
std::size_t MaxLingeringRefusals();

// Creates a self-signed certificate (P-256, CN=localhost, SAN DNS:localhost + IP:127.0.0.1,
// 10 years) in dir as cert.pem and key.pem (mode 0600) unless both files already exist; returns
// their paths. Creates dir if missing.
Result<TlsOptions> EnsureSelfSignedCertificate(const std::string& dir);

}  // namespace muster::net
