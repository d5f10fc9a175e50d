// HttpServer: binds the listener, builds the TLS context, accepts connections onto their own
// strands and hands them to HTTP sessions; Stop() closes the acceptor and tells every session.

#include "net/http_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <openssl/ssl.h>

#include <chrono>

#include "common/log.h"
#include "net/http_session.h"
#include "net/server_state.h"

namespace muster::net {
namespace {

using namespace internal;  // NOLINT
using error_code = boost::system::error_code;
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// Owns the acceptor. mu_ guards every call on acceptor_ and retry_ so Close() may come from any
// thread while the accept loop runs on the io_context.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& ioc, std::shared_ptr<ServerState> state)
      : ioc_(ioc), acceptor_(ioc), retry_(ioc), state_(std::move(state)) {}

  Status Open(const tcp::endpoint& endpoint, bool reuse_port) {
    std::lock_guard lock(mu_);
    error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
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
  // REQUIRES: mu_ is held.
  void AcceptLocked() {
    if (closed_) return;
    acceptor_.async_accept(asio::make_strand(ioc_),
                           [self = shared_from_this()](const error_code& ec, tcp::socket socket) {
                             self->OnAccept(ec, std::move(socket));
                           });
  }

  void OnAccept(const error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      // Typically EMFILE/ENFILE: back off briefly instead of spinning.
      MLOG(kDebug) << "net: accept: " << ec.message();
      std::lock_guard lock(mu_);
      if (closed_) return;
      retry_.expires_after(std::chrono::milliseconds(50));
      retry_.async_wait([self = shared_from_this()](const error_code& wait_ec) {
        if (!wait_ec) self->Accept();
      });
      return;
    }
    // starting_ counts sessions accepted but not yet registered, so a burst cannot overshoot.
    if (state_->Count() + starting_->load() >= state_->limits().max_connections) {
      MLOG(kDebug) << "net: refusing connection: " << state_->Count() << " open";
      RefuseConnection(std::move(socket), state_->tls() != nullptr);
    } else {
      // The socket is bound to its own strand; the session starts there.
      starting_->fetch_add(1);
      auto executor = socket.get_executor();
      asio::dispatch(executor, [socket = std::move(socket), state = state_,
                                starting = starting_]() mutable {
        StartHttpSession(std::move(socket), std::move(state));
        starting->fetch_sub(1);
      });
    }
    Accept();
  }

  asio::io_context& ioc_;
  std::mutex mu_;
  tcp::acceptor acceptor_;     // guarded by mu_
  asio::steady_timer retry_;   // guarded by mu_
  bool closed_ = false;        // guarded by mu_
  std::shared_ptr<ServerState> state_;
  std::shared_ptr<std::atomic<std::size_t>> starting_ =
      std::make_shared<std::atomic<std::size_t>>(0);
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
  explicit Impl(asio::io_context& c) : ioc(c) {}
  asio::io_context& ioc;
  std::shared_ptr<ServerState> state;
  std::shared_ptr<Listener> listener;
};

HttpServer::HttpServer(asio::io_context& ioc) : impl_(std::make_unique<Impl>(ioc)) {}

HttpServer::~HttpServer() { Stop(); }

Result<std::uint16_t> HttpServer::Listen(const ListenOptions& options, HttpHandler handler,
                                         WsUpgradeHandler ws_handler) {
  if (impl_->listener) return Error::Conflict("HttpServer is already listening");
  if (!handler) return Error::InvalidArgument("an HTTP handler is required");
  error_code ec;
  auto address = asio::ip::make_address(options.address, ec);
  if (ec) return Error::InvalidArgument("bad listen address '" + options.address + "'");
  std::unique_ptr<asio::ssl::context> tls;
  if (options.tls) {
    MUSTER_ASSIGN_OR_RETURN(tls, MakeTlsContext(*options.tls));
  }
  auto state = std::make_shared<ServerState>(options.limits, std::move(handler),
                                             std::move(ws_handler), std::move(tls));
  auto listener = std::make_shared<Listener>(impl_->ioc, state);
  MUSTER_RETURN_IF_ERROR(listener->Open(tcp::endpoint(address, options.port), options.reuse_port));
  impl_->state = std::move(state);
  impl_->listener = std::move(listener);
  impl_->listener->Accept();
  std::uint16_t port = impl_->listener->Port();
  MLOG(kInfo) << "net: listening on " << options.address << ":" << port
              << (options.tls ? " (tls)" : "");
  return port;
}

void HttpServer::Stop() {
  if (impl_->listener) impl_->listener->Close();
  if (impl_->state) {
    for (auto& session : impl_->state->BeginStop()) session->PostShutdown();
  }
}

std::size_t HttpServer::ConnectionCount() const {
  return impl_->state ? impl_->state->Count() : 0;
}

}  // namespace muster::net
