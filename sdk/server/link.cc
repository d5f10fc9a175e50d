#include "sdk/server/link.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <deque>

#include "common/log.h"

namespace muster::sdk {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::awaitable;
using asio::redirect_error;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

constexpr std::size_t kMaxIncomingMessage = 2 * 1024 * 1024;

template <class NextLayer>
class LinkImpl final : public Link, public std::enable_shared_from_this<LinkImpl<NextLayer>> {
 public:
  template <class... Args>
  explicit LinkImpl(Args&&... args) : ws_(std::forward<Args>(args)...) {}

  websocket::stream<NextLayer>& ws() { return ws_; }

  void Send(std::string frame) override {
    if (!open_) return;
    queue_.push_back(std::move(frame));
    if (!writing_) WriteNext();
  }

  void Close(std::uint16_t code) override {
    if (!open_ || closing_) return;
    closing_ = true;
    close_code_ = code;
    if (!writing_) StartClose();  // otherwise after the queue drains
  }

  awaitable<void> ReadLoop(std::function<void(std::string)> on_frame) override {
    auto self = this->shared_from_this();
    beast::flat_buffer buffer;
    for (;;) {
      beast::error_code ec;
      co_await ws_.async_read(buffer, redirect_error(use_awaitable, ec));
      if (ec) {
        if (ec != websocket::error::closed) {
          MLOG(kDebug) << "sdk: read ended: " << ec.message();
        }
        break;
      }
      on_frame(beast::buffers_to_string(buffer.data()));
      buffer.consume(buffer.size());
    }
    open_ = false;
    queue_.clear();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  bool open() const override { return open_; }

 private:
  void WriteNext() {
    if (queue_.empty() || !open_) {
      writing_ = false;
      if (closing_ && open_) StartClose();
      return;
    }
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(queue_.front()),
                    [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                      if (!self->queue_.empty()) self->queue_.pop_front();
                      if (ec) {
                        self->writing_ = false;
                        self->queue_.clear();
                        return;
                      }
                      self->WriteNext();
                    });
  }

  void StartClose() {
    ws_.async_close(websocket::close_reason(close_code_),
                    [self = this->shared_from_this()](beast::error_code) {});
  }

  websocket::stream<NextLayer> ws_;
  std::deque<std::string> queue_;
  bool writing_ = false;
  bool open_ = true;
  bool closing_ = false;
  std::uint16_t close_code_ = 1001;
};

template <class Impl>
void ConfigureWs(Impl& impl, const Endpoint& e, std::chrono::milliseconds handshake_timeout) {
  auto& ws = impl.ws();
  websocket::stream_base::timeout t = websocket::stream_base::timeout::suggested(beast::role_type::client);
  t.handshake_timeout = handshake_timeout;
  ws.set_option(t);
  ws.read_message_max(kMaxIncomingMessage);
  ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
    req.set(beast::http::field::user_agent, "muster-server-sdk");
  }));
}

}  // namespace

awaitable<Result<std::shared_ptr<Link>>> Link::Open(const Endpoint& e, asio::ssl::context& ssl,
                                                     std::chrono::milliseconds handshake_timeout) {
  auto ex = co_await asio::this_coro::executor;
  beast::error_code ec;
  tcp::resolver resolver(ex);
  auto results = co_await resolver.async_resolve(e.host, e.port, redirect_error(use_awaitable, ec));
  if (ec) co_return Error::Unavailable("resolve " + e.host + ": " + ec.message());
  std::string host_header = e.host + ":" + e.port;

  if (!e.tls) {
    auto link = std::make_shared<LinkImpl<beast::tcp_stream>>(ex);
    auto& tcp_layer = beast::get_lowest_layer(link->ws());
    tcp_layer.expires_after(handshake_timeout);
    co_await tcp_layer.async_connect(results, redirect_error(use_awaitable, ec));
    if (ec) co_return Error::Unavailable("connect " + host_header + ": " + ec.message());
    tcp_layer.expires_never();
    ConfigureWs(*link, e, handshake_timeout);
    co_await link->ws().async_handshake(host_header, e.target, redirect_error(use_awaitable, ec));
    if (ec) co_return Error::Unavailable("WebSocket handshake with " + host_header + ": " + ec.message());
    co_return std::shared_ptr<Link>(link);
  }

  auto link = std::make_shared<LinkImpl<beast::ssl_stream<beast::tcp_stream>>>(ex, ssl);
  auto& tcp_layer = beast::get_lowest_layer(link->ws());
  tcp_layer.expires_after(handshake_timeout);
  co_await tcp_layer.async_connect(results, redirect_error(use_awaitable, ec));
  if (ec) co_return Error::Unavailable("connect " + host_header + ": " + ec.message());
  auto& tls = link->ws().next_layer();
  if (!SSL_set_tlsext_host_name(tls.native_handle(), e.host.c_str())) {
    co_return Error::Internal("cannot set TLS server name");
  }
  if (SSL_CTX_get_verify_mode(ssl.native_handle()) & SSL_VERIFY_PEER) {
    tls.set_verify_callback(asio::ssl::host_name_verification(e.host));
  }
  co_await tls.async_handshake(asio::ssl::stream_base::client, redirect_error(use_awaitable, ec));
  if (ec) co_return Error::Unavailable("TLS handshake with " + host_header + ": " + ec.message());
  tcp_layer.expires_never();
  ConfigureWs(*link, e, handshake_timeout);
  co_await link->ws().async_handshake(host_header, e.target, redirect_error(use_awaitable, ec));
  if (ec) co_return Error::Unavailable("WebSocket handshake with " + host_header + ": " + ec.message());
  co_return std::shared_ptr<Link>(link);
}

std::unique_ptr<asio::ssl::context> MakeClientTlsContext(bool verify, const std::string& ca_file) {
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1);
  if (verify) {
    beast::error_code ec;
    ctx->set_default_verify_paths(ec);
    if (!ca_file.empty()) ctx->load_verify_file(ca_file, ec);
    if (ec) {
      MLOG(kWarn) << "sdk: loading CA file " << ca_file << ": " << ec.message();
    }
    ctx->set_verify_mode(asio::ssl::verify_peer);
  } else {
    ctx->set_verify_mode(asio::ssl::verify_none);
  }
  return ctx;
}

}  // namespace muster::sdk
