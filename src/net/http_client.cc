// Synchronous clients built on Beast's asynchronous operations, driven by a private io_context
// until each step completes or its deadline passes.

#include "net/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <openssl/ssl.h>

#include <cctype>
#include <chrono>
#include <optional>

namespace muster::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;

// Completion state of one asynchronous step; shared with its handler.
struct Op {
  bool done = false;
  error_code ec;
};

// Runs ioc until done is set or the deadline passes. Returns done.
bool RunUntil(asio::io_context& ioc, const bool& done, Clock::time_point deadline) {
  while (!done) {
    if (ioc.stopped()) ioc.restart();
    if (ioc.run_one_until(deadline) == 0) {
      if (done) break;
      if (Clock::now() >= deadline) return false;
    }
  }
  return true;
}

Clock::time_point After(int ms) { return Clock::now() + std::chrono::milliseconds(ms); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Resolves and connects stream within the deadline.
Status ConnectTcp(asio::io_context& ioc, beast::tcp_stream& stream, const std::string& host,
                  std::uint16_t port, Clock::time_point deadline) {
  // Names used with these clients are literal addresses or /etc/hosts entries.
  tcp::resolver resolver(ioc);
  error_code resolve_ec;
  auto results = resolver.resolve(host, std::to_string(port), resolve_ec);
  if (resolve_ec) return Error::Unavailable("cannot resolve " + host + ": " + resolve_ec.message());
  auto op = std::make_shared<Op>();
  stream.expires_at(deadline);
  stream.async_connect(results, [op](const error_code& e, const tcp::endpoint&) {
    op->ec = e;
    op->done = true;
  });
  RunUntil(ioc, op->done, deadline + std::chrono::seconds(1));
  if (!op->done || op->ec) {
    return Error::Unavailable("cannot connect to " + host + ":" + std::to_string(port) + ": " +
                              (op->done ? op->ec.message() : std::string("timeout")));
  }
  return OkStatus();
}

}  // namespace

const std::string* ClientResponse::Header(std::string_view lowercase_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lowercase_name) return &value;
  }
  return nullptr;
}

Result<ClientResponse> HttpFetch(const std::string& host, std::uint16_t port,
                                 const std::string& method, const std::string& target,
                                 const std::vector<std::pair<std::string, std::string>>& headers,
                                 const std::string& body, int timeout_ms) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  auto deadline = After(timeout_ms);
  MUSTER_RETURN_IF_ERROR(ConnectTcp(ioc, stream, host, port, deadline));

  http::request<http::string_body> req;
  req.method_string(method);
  if (req.method() == http::verb::unknown && method.empty()) {
    return Error::InvalidArgument("empty method");
  }
  req.target(target);
  req.version(11);
  bool has_host = false;
  for (const auto& [name, value] : headers) {
    if (beast::iequals(name, "host")) has_host = true;
    req.insert(name, value);
  }
  if (!has_host) req.set(http::field::host, host + ":" + std::to_string(port));
  req.body() = body;
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    req.content_length(body.size());
  }

  auto op = std::make_shared<Op>();
  stream.expires_at(deadline);
  http::async_write(stream, req, [op](const error_code& e, std::size_t) {
    op->ec = e;
    op->done = true;
  });
  RunUntil(ioc, op->done, deadline + std::chrono::seconds(1));
  if (!op->done || op->ec) return Error::Unavailable("write failed: " + (op->done ? op->ec.message() : "timeout"));

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  parser.skip(method == "HEAD");
  op = std::make_shared<Op>();
  http::async_read(stream, buffer, parser, [op](const error_code& e, std::size_t) {
    op->ec = e;
    op->done = true;
  });
  RunUntil(ioc, op->done, deadline + std::chrono::seconds(1));
  if (!op->done || op->ec) return Error::Unavailable("read failed: " + (op->done ? op->ec.message() : "timeout"));
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);

  auto res = parser.release();
  ClientResponse out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    out.headers.emplace_back(Lower(field.name_string()), std::string(field.value()));
  }
  out.body = std::move(res.body());
  return out;
}

// ---------------------------------------------------------------------------------------------

struct WsTestClient::Impl {
  using Plain = websocket::stream<beast::tcp_stream>;
  using Secure = websocket::stream<asio::ssl::stream<beast::tcp_stream>>;

  asio::io_context ioc;
  asio::ssl::context ssl_ctx{asio::ssl::context::tls_client};
  int tls_version = 0;
  std::optional<Plain> plain;
  std::optional<Secure> secure;
  beast::flat_buffer read_buffer;
  bool read_pending = false;
  bool read_done = false;
  error_code read_ec;
  std::uint16_t close_code = 0;
  bool closed = false;

  template <class F>
  auto With(F&& f) {
    if (plain) return f(*plain);
    return f(*secure);
  }
  bool connected() const { return plain.has_value() || secure.has_value(); }

  template <class WsStream>
  Status Handshake(WsStream& ws, const std::string& host, std::uint16_t port,
                   const std::string& target,
                   const std::vector<std::pair<std::string, std::string>>& headers,
                   Clock::time_point deadline) {
    beast::get_lowest_layer(ws).expires_never();
    websocket::stream_base::timeout timeouts =
        websocket::stream_base::timeout::suggested(beast::role_type::client);
    timeouts.handshake_timeout =
        std::chrono::duration_cast<std::chrono::seconds>(deadline - Clock::now()) +
        std::chrono::seconds(1);
    ws.set_option(timeouts);
    ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
      for (const auto& [name, value] : headers) req.set(name, value);
    }));
    websocket::response_type res;
    auto op = std::make_shared<Op>();
    ws.async_handshake(res, host + ":" + std::to_string(port), target, [op](const error_code& e) {
      op->ec = e;
      op->done = true;
    });
    RunUntil(ioc, op->done, deadline + std::chrono::seconds(2));
    if (!op->done) return Error::Unavailable("websocket handshake timeout");
    if (op->ec) {
      return Error::Unavailable("websocket handshake failed: HTTP " +
                                std::to_string(res.result_int()) + " " + res.body() + " (" +
                                op->ec.message() + ")");
    }
    return OkStatus();
  }

  Status Write(const std::string& data, bool text) {
    if (!connected()) return Error::Unavailable("not connected");
    auto op = std::make_shared<Op>();
    With([&](auto& ws) {
      ws.text(text);
      ws.async_write(asio::buffer(data), [op](const error_code& e, std::size_t) {
        op->ec = e;
        op->done = true;
      });
    });
    if (!RunUntil(ioc, op->done, After(5000))) return Error::Unavailable("write timeout");
    if (op->ec) return Error::Unavailable("write failed: " + op->ec.message());
    return OkStatus();
  }
};

WsTestClient::WsTestClient() : impl_(std::make_unique<Impl>()) {
  impl_->ssl_ctx.set_verify_mode(asio::ssl::verify_none);
}

WsTestClient::~WsTestClient() = default;

void WsTestClient::ForceTlsVersion(int version) { impl_->tls_version = version; }

Status WsTestClient::Connect(const std::string& host, std::uint16_t port,
                             const std::string& target, bool tls,
                             const std::vector<std::pair<std::string, std::string>>& headers,
                             int timeout_ms) {
  if (impl_->connected()) return Error::Conflict("already connected");
  auto deadline = After(timeout_ms);
  if (!tls) {
    impl_->plain.emplace(impl_->ioc);
    auto& ws = *impl_->plain;
    MUSTER_RETURN_IF_ERROR(ConnectTcp(impl_->ioc, beast::get_lowest_layer(ws), host, port, deadline));
    return impl_->Handshake(ws, host, port, target, headers, deadline);
  }
  SSL_CTX* native = impl_->ssl_ctx.native_handle();
  int version = impl_->tls_version == 12 ? TLS1_2_VERSION
                : impl_->tls_version == 13 ? TLS1_3_VERSION
                                           : 0;
  SSL_CTX_set_min_proto_version(native, version ? version : TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(native, version);  // 0: highest supported
  impl_->secure.emplace(impl_->ioc, impl_->ssl_ctx);
  auto& ws = *impl_->secure;
  MUSTER_RETURN_IF_ERROR(ConnectTcp(impl_->ioc, beast::get_lowest_layer(ws), host, port, deadline));
  SSL_set_tlsext_host_name(ws.next_layer().native_handle(), host.c_str());
  auto op = std::make_shared<Op>();
  beast::get_lowest_layer(ws).expires_at(deadline);
  ws.next_layer().async_handshake(asio::ssl::stream_base::client, [op](const error_code& e) {
    op->ec = e;
    op->done = true;
  });
  RunUntil(impl_->ioc, op->done, deadline + std::chrono::seconds(1));
  if (!op->done || op->ec) {
    return Error::Unavailable("tls handshake failed: " + (op->done ? op->ec.message() : "timeout"));
  }
  return impl_->Handshake(ws, host, port, target, headers, deadline);
}

Status WsTestClient::Send(const std::string& text) { return impl_->Write(text, true); }

Status WsTestClient::SendBinary(const std::string& data) { return impl_->Write(data, false); }

Result<std::string> WsTestClient::Receive(int timeout_ms) {
  if (!impl_->connected()) return Error::Unavailable("not connected");
  if (impl_->closed) return Error::Unavailable("closed " + std::to_string(impl_->close_code));
  if (!impl_->read_pending) {
    impl_->read_pending = true;
    impl_->read_done = false;
    impl_->read_buffer.clear();
    impl_->With([&](auto& ws) {
      ws.async_read(impl_->read_buffer, [impl = impl_.get()](const error_code& e, std::size_t) {
        impl->read_ec = e;
        impl->read_done = true;
      });
    });
  }
  if (!RunUntil(impl_->ioc, impl_->read_done, After(timeout_ms))) {
    return Error::Unavailable("timeout");
  }
  impl_->read_pending = false;
  if (impl_->read_ec) {
    impl_->closed = true;
    // The server's close frame may have arrived even when replying to it failed afterwards.
    impl_->close_code = impl_->With([](auto& ws) { return ws.reason().code; });
    if (impl_->read_ec == websocket::error::closed || impl_->close_code != 0) {
      return Error::Unavailable("closed " + std::to_string(impl_->close_code));
    }
    return Error::Unavailable("read failed: " + impl_->read_ec.message());
  }
  return beast::buffers_to_string(impl_->read_buffer.data());
}

Status WsTestClient::Close(std::uint16_t code) {
  if (!impl_->connected() || impl_->closed) return OkStatus();
  auto op = std::make_shared<Op>();
  impl_->With([&](auto& ws) {
    ws.async_close(websocket::close_reason(code), [op](const error_code& e) {
      op->ec = e;
      op->done = true;
    });
  });
  bool finished = RunUntil(impl_->ioc, op->done, After(5000));
  impl_->closed = true;
  if (!finished) return Error::Unavailable("close timeout");
  if (op->ec) return Error::Unavailable("close failed: " + op->ec.message());
  impl_->close_code = impl_->With([](auto& ws) { return ws.reason().code; });
  return OkStatus();
}

std::uint16_t WsTestClient::CloseCode() const { return impl_->close_code; }

std::string WsTestClient::TlsVersion() const {
  if (!impl_->secure) return "";
  return SSL_get_version(impl_->secure->next_layer().native_handle());
}

}  // namespace muster::net
