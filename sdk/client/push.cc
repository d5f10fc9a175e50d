#include "sdk/client/push.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <chrono>

namespace muster::client {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;

struct PushConnection::Impl {
  boost::asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buffer;
  std::string where;

  // Runs what was started on the loop for at most timeout_ms; false (and the operation
  // cancelled) when it did not finish.
  bool Run(int timeout_ms) {
    ioc.restart();
    ioc.run_for(std::chrono::milliseconds(timeout_ms));
    if (ioc.stopped()) return true;
    beast::get_lowest_layer(ws).cancel();
    ioc.restart();
    ioc.run();
    return false;
  }
};

PushConnection::PushConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PushConnection::~PushConnection() = default;

Result<std::unique_ptr<PushConnection>> PushConnection::Open(const Endpoint& endpoint, const std::string& target,
                                                             int timeout_ms) {
  auto impl = std::make_unique<Impl>();
  impl->where = "ws://" + endpoint.host + ":" + std::to_string(endpoint.port) + target.substr(0, target.find('?'));
  tcp::resolver resolver(impl->ioc);
  beast::error_code result;
  const char* stage = "resolve";
  websocket::response_type response;
  Impl& c = *impl;
  resolver.async_resolve(endpoint.host, std::to_string(endpoint.port),
                         [&](beast::error_code ec, tcp::resolver::results_type results) {
                           if (ec) return void(result = ec);
                           stage = "connect";
                           beast::get_lowest_layer(c.ws).async_connect(results, [&](beast::error_code ec, const tcp::endpoint&) {
                             if (ec) return void(result = ec);
                             stage = "upgrade";
                             c.ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
                               req.set(http::field::user_agent, "muster-client");
                             }));
                             c.ws.async_handshake(response, endpoint.HostHeader(), target,
                                                  [&](beast::error_code ec) { result = ec; });
                           });
                         });
  if (!c.Run(timeout_ms)) return Error::Unavailable(c.where + ": timed out in " + stage);
  if (result == websocket::error::upgrade_declined) {
    const int status = static_cast<int>(response.result_int());
    const std::string why = c.where + ": upgrade refused with HTTP " + std::to_string(status) + ": " + response.body();
    if (status == 401) return Error::Unauthorized(why);
    if (status == 403) return Error::Forbidden(why);
    if (status == 429) return Error::LimitExceeded(why);
    if (status == 404) return Error::NotFound(why);
    return Error::Unavailable(why);
  }
  if (result) return Error::Unavailable(c.where + ": " + stage + " failed: " + result.message());
  c.ws.read_message_max(1 << 20);
  return std::unique_ptr<PushConnection>(new PushConnection(std::move(impl)));
}

Status PushConnection::Send(const std::string& text, int timeout_ms) {
  beast::error_code result;
  impl_->ws.text(true);
  impl_->ws.async_write(boost::asio::buffer(text), [&](beast::error_code ec, std::size_t) { result = ec; });
  if (!impl_->Run(timeout_ms)) return Error::Unavailable(impl_->where + ": timed out sending");
  if (result) return Error::Unavailable(impl_->where + ": send failed: " + result.message());
  return OkStatus();
}

Result<std::string> PushConnection::Receive(int timeout_ms) {
  beast::error_code result;
  impl_->ws.async_read(impl_->buffer, [&](beast::error_code ec, std::size_t) { result = ec; });
  if (!impl_->Run(timeout_ms)) return Error::Unavailable(impl_->where + ": no message within " + std::to_string(timeout_ms) + " ms");
  if (result == websocket::error::closed) {
    const auto& reason = impl_->ws.reason();
    return Error::Unavailable(impl_->where + ": closed by the gateway with " + std::to_string(reason.code) +
                              (reason.reason.empty() ? "" : " (" + std::string(reason.reason.data(), reason.reason.size()) + ")"));
  }
  if (result) return Error::Unavailable(impl_->where + ": " + result.message());
  std::string text = beast::buffers_to_string(impl_->buffer.data());
  impl_->buffer.consume(impl_->buffer.size());
  return text;
}

void PushConnection::Close(std::uint16_t code) {
  impl_->ws.async_close(websocket::close_reason(code), [](beast::error_code) {});
  impl_->Run(3000);
}

}  // namespace muster::client
