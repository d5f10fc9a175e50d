// HttpServer: binds the listener, builds the TLS context, accepts connections onto their own
// strands (or their one-thread loops) and hands them to HTTP sessions; Stop() closes the
// acceptor and tells every session.

#include "net/http_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <openssl/ssl.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/log.h"
#include "common/rate_limiter.h"
#include "net/http_session.h"
#include "net/request_parser.h"
#include "net/server_state.h"

namespace muster::net {
namespace {

using namespace internal;  // NOLINT
using error_code = boost::system::error_code;
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// Owns the acceptor. mu_ guards every call on acceptor_ and retry_ so Close() may come from any
// thread while the accept loop runs on the io_context.
//
// Sockets are created and accepted close-on-exec (SOCK_CLOEXEC, accept4), so no child process the
// node starts inherits a listening or connected socket, whatever thread forks.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // strands: each connection gets a strand of `ioc` (else: `ioc` is run by one thread).
  Listener(asio::io_context& ioc, std::shared_ptr<ServerState> state, bool strands)
      : ioc_(ioc), acceptor_(ioc), retry_(ioc), state_(std::move(state)), strands_(strands) {}

  Status Open(const tcp::endpoint& endpoint, bool reuse_port) {
    std::lock_guard lock(mu_);
    error_code ec;
    int fd = ::socket(endpoint.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                      IPPROTO_TCP);
    if (fd < 0) {
      ec = error_code(errno, boost::system::system_category());
    } else {
      acceptor_.assign(endpoint.protocol(), fd, ec);
      if (ec) ::close(fd);
    }
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec && reuse_port) acceptor_.set_option(ReusePort(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      error_code ignored;
      acceptor_.close(ignored);
      return Error::Unavailable("cannot listen on " + endpoint.address().to_string() + ":" +
                                std::to_string(endpoint.port()) + ": " + ec.message());
    }
    return OkStatus();
  }

  std::uint16_t Port() {
    std::lock_guard lock(mu_);
    error_code ec;
    auto ep = acceptor_.local_endpoint(ec);
    return ec ? 0 : ep.port();
  }

  void Accept() {
    std::lock_guard lock(mu_);
    AcceptLocked();
  }

  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    error_code ec;
    acceptor_.close(ec);
    retry_.cancel();
  }

 private:
  // At most this many connections are accepted per readiness wake-up, so one listener cannot
  // starve the loop's other work during a flood.
  static constexpr int kAcceptBatch = 64;

  // REQUIRES: mu_ is held.
  void AcceptLocked() {
    if (closed_) return;
    acceptor_.async_wait(tcp::acceptor::wait_read,
                         [self = shared_from_this()](const error_code& ec) {
                           self->OnReadable(ec);
                         });
  }

  void OnReadable(const error_code& ec) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      MLOG(kWarn) << "net: accept wait: " << ec.message();
      Retry();
      return;
    }
    for (int i = 0; i < kAcceptBatch; ++i) {
      sockaddr_storage peer{};
      socklen_t len = sizeof peer;
      int fd;
      {
        std::lock_guard lock(mu_);
        if (closed_) return;
        fd = ::accept4(acceptor_.native_handle(), reinterpret_cast<sockaddr*>(&peer), &len,
                       SOCK_CLOEXEC | SOCK_NONBLOCK);
      }
      if (fd < 0) {
        int err = errno;
        if (err == EAGAIN || err == EWOULDBLOCK) break;
        if (err == EINTR || err == ECONNABORTED || err == EPROTO) continue;
        // Typically EMFILE/ENFILE: back off briefly instead of spinning; the peer waits in the
        // backlog. Logged once a second at most.
        auto now = std::chrono::steady_clock::now();
        if (now - last_accept_error_log_ >= std::chrono::seconds(1)) {
          last_accept_error_log_ = now;
          MLOG(kWarn) << "net: accept: " << std::strerror(err);
        }
        Retry();
        return;
      }
      // Nothing a connection's set-up throws (an allocation) may stop this listener's accepting.
      try {
        Handle(fd, peer);
      } catch (const std::exception& e) {
        MLOG(kError) << "net: setting up an accepted connection threw: " << e.what();
      } catch (...) {
        MLOG(kError) << "net: setting up an accepted connection threw";
      }
    }
    Accept();
  }

  void Retry() {
    std::lock_guard lock(mu_);
    if (closed_) return;
    retry_.expires_after(std::chrono::milliseconds(50));
    retry_.async_wait([self = shared_from_this()](const error_code& wait_ec) {
      if (!wait_ec) self->Accept();
    });
  }

  void Handle(int fd, const sockaddr_storage& peer) {
    // The socket is bound to its own strand (or to the one-thread loop); the session starts
    // there. Until the socket owns the descriptor, it is closed here whatever happens.
    struct Owned {
      int fd;
      ~Owned() {
        if (fd >= 0) ::close(fd);
      }
    } owned{fd};
    tcp::socket socket(strands_ ? asio::any_io_executor(asio::make_strand(ioc_))
                                : asio::any_io_executor(ioc_.get_executor()));
    tcp::endpoint ep;
    std::size_t peer_len = std::min<std::size_t>(sizeof peer, ep.capacity());
    std::memcpy(ep.data(), &peer, peer_len);
    error_code ec;
    ep.resize(peer_len);
    socket.assign(ep.protocol(), fd, ec);
    if (ec) return;
    owned.fd = -1;
    std::uint64_t slot = 0;
    std::string remote = ep.address().to_string();
    switch (state_->Admit(ClientKey(remote), &slot)) {
      case ServerState::Admission::kAdmitted: {
        auto executor = socket.get_executor();
        asio::dispatch(executor, [socket = std::move(socket), state = state_, slot,
                                  remote = std::move(remote)]() mutable {
          StartHttpSession(std::move(socket), std::move(state), slot, std::move(remote));
        });
        return;
      }
      case ServerState::Admission::kAddressFull:
        MLOG(kDebug) << "net: refusing " << ep.address().to_string()
                     << ": per-address connection cap reached";
        RefuseConnection(std::move(socket), state_->tls() != nullptr,
                         "too many open connections from your address");
        return;
      case ServerState::Admission::kFull:
        MLOG(kDebug) << "net: refusing connection: " << state_->Count() << " open, none idle";
        RefuseConnection(std::move(socket), state_->tls() != nullptr,
                         "too many open connections");
        return;
      case ServerState::Admission::kStopping:
        socket.close(ec);
        return;
    }
  }

  asio::io_context& ioc_;
  std::mutex mu_;
  tcp::acceptor acceptor_;     // guarded by mu_
  asio::steady_timer retry_;   // guarded by mu_
  bool closed_ = false;        // guarded by mu_
  std::shared_ptr<ServerState> state_;
  const bool strands_;
  std::chrono::steady_clock::time_point last_accept_error_log_{};  // the accept handler's
};

Result<std::unique_ptr<asio::ssl::context>> MakeTlsContext(const TlsOptions& tls) {
  std::unique_ptr<asio::ssl::context> ctx;
  try {
    ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  } catch (const std::exception& e) {
    return Error::Internal(std::string("cannot create TLS context: ") + e.what());
  }
  error_code ec;
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use,
                   ec);
  if (ec) return Error::Internal("TLS options: " + ec.message());
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx->native_handle(), TLS1_3_VERSION);
  ctx->use_certificate_chain_file(tls.cert_file, ec);
  if (ec) return Error::InvalidArgument("TLS certificate " + tls.cert_file + ": " + ec.message());
  ctx->use_private_key_file(tls.key_file, asio::ssl::context::pem, ec);
  if (ec) return Error::InvalidArgument("TLS key " + tls.key_file + ": " + ec.message());
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return Error::InvalidArgument("TLS key " + tls.key_file + " does not match the certificate");
  }
  return ctx;
}

}  // namespace

struct HttpServer::Impl {
  explicit Impl(std::vector<asio::io_context*> l) : loops(std::move(l)) {}
  std::vector<asio::io_context*> loops;
  std::shared_ptr<ServerState> state;
  std::vector<std::shared_ptr<Listener>> listeners;  // one per loop
};

HttpServer::HttpServer(asio::io_context& ioc) : impl_(std::make_unique<Impl>(std::vector<asio::io_context*>{&ioc})) {}

HttpServer::HttpServer(std::vector<asio::io_context*> loops) : impl_(std::make_unique<Impl>(std::move(loops))) {}

HttpServer::~HttpServer() { Stop(); }

Result<std::uint16_t> HttpServer::Listen(const ListenOptions& options, HttpHandler handler,
                                         WsUpgradeHandler ws_handler) {
  if (!impl_->listeners.empty()) return Error::Conflict("HttpServer is already listening");
  if (impl_->loops.empty()) return Error::InvalidArgument("an HttpServer needs at least one loop");
  if (!handler) return Error::InvalidArgument("an HTTP handler is required");
  if (options.limits.max_header_bytes > internal::kMaxHeaderBytesLimit) {
    return Error::InvalidArgument("max_header_bytes must be at most " +
                                  std::to_string(internal::kMaxHeaderBytesLimit));
  }
  if (options.limits.max_connections == 0) {
    return Error::InvalidArgument("max_connections must be at least 1");
  }
  error_code ec;
  auto address = asio::ip::make_address(options.address, ec);
  if (ec) return Error::InvalidArgument("bad listen address '" + options.address + "'");
  std::unique_ptr<asio::ssl::context> tls;
  if (options.tls) {
    MUSTER_ASSIGN_OR_RETURN(tls, MakeTlsContext(*options.tls));
  }
  auto state = std::make_shared<ServerState>(options.limits, std::move(handler),
                                             std::move(ws_handler), std::move(tls));
  // One acceptor per loop on the same port (SO_REUSEPORT): the kernel spreads new connections
  // over the loops, and a connection stays on the loop that accepted it. The limits are the
  // server's, shared by its loops through one ServerState.
  const bool reuse_port = options.reuse_port || impl_->loops.size() > 1;
  std::vector<std::shared_ptr<Listener>> listeners;
  std::uint16_t port = options.port;
  if (reuse_port && !options.reuse_port && port != 0) {
    // SO_REUSEPORT is ours, not the caller's: a port another process holds (even one with
    // SO_REUSEPORT, which would silently share it) must still fail. Probe it without the option.
    auto probe = std::make_shared<Listener>(*impl_->loops.front(), state, true);
    MUSTER_RETURN_IF_ERROR(probe->Open(tcp::endpoint(address, port), /*reuse_port=*/false));
    probe->Close();
  }
  for (asio::io_context* loop : impl_->loops) {
    auto listener = std::make_shared<Listener>(*loop, state, !options.one_thread_per_loop);
    Status opened = listener->Open(tcp::endpoint(address, port), reuse_port);
    if (!opened.ok()) {
      for (auto& l : listeners) l->Close();
      return opened.take_error();
    }
    if (listeners.empty()) port = listener->Port();  // port 0: the others join the one bound
    listeners.push_back(std::move(listener));
  }
  impl_->state = std::move(state);
  impl_->listeners = std::move(listeners);
  for (auto& l : impl_->listeners) l->Accept();
  MLOG(kInfo) << "net: listening on " << options.address << ":" << port << (options.tls ? " (tls)" : "")
              << (impl_->loops.size() > 1 ? " on " + std::to_string(impl_->loops.size()) + " loops" : "");
  return port;
}

void HttpServer::Stop() {
  for (auto& l : impl_->listeners) l->Close();
  if (impl_->state) {
    for (auto& session : impl_->state->BeginStop()) session->PostShutdown();
  }
}

std::size_t HttpServer::ConnectionCount() const {
  return impl_->state ? impl_->state->Count() : 0;
}

}  // namespace muster::net
