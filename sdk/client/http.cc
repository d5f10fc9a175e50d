#include "sdk/client/http.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>

namespace muster::client {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

Result<HttpResponse> HttpCall(const Endpoint& endpoint, const std::string& method,
                              const std::string& target,
                              const std::vector<std::pair<std::string, std::string>>& headers,
                              const std::string& body, int timeout_ms) {
  const std::string where = endpoint.host + ":" + std::to_string(endpoint.port);
  http::verb verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) return Error::InvalidArgument("bad HTTP method " + method);

  boost::asio::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  http::request<http::string_body> req{verb, target, 11};
  bool has_host = false;
  for (const auto& [k, v] : headers) {
    req.insert(k, v);
    if (beast::iequals(k, "host")) has_host = true;
  }
  if (!has_host) req.set(http::field::host, endpoint.HostHeader());
  req.body() = body;
  req.prepare_payload();

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(4 * 1024 * 1024);
  beast::error_code result_ec;
  const char* stage = "resolve";
  auto deadline = std::chrono::milliseconds(timeout_ms);

  resolver.async_resolve(
      endpoint.host, std::to_string(endpoint.port),
      [&](beast::error_code ec, tcp::resolver::results_type results) {
        if (ec) { result_ec = ec; return; }
        stage = "connect";
        stream.expires_after(deadline);
        stream.async_connect(results, [&](beast::error_code ec, const tcp::endpoint&) {
          if (ec) { result_ec = ec; return; }
          stage = "write";
          http::async_write(stream, req, [&](beast::error_code ec, std::size_t) {
            if (ec) { result_ec = ec; return; }
            stage = "read";
            http::async_read(stream, buffer, parser, [&](beast::error_code ec, std::size_t) {
              result_ec = ec;
            });
          });
        });
      });
  ioc.run_for(deadline + std::chrono::milliseconds(100));
  if (!ioc.stopped()) {
    return Error::Unavailable(method + " http://" + where + target + ": timed out in " + stage);
  }
  if (result_ec) {
    return Error::Unavailable(method + " http://" + where + target + ": " + stage + " failed: " +
                              result_ec.message());
  }
  HttpResponse out;
  const auto& res = parser.get();
  out.status = static_cast<int>(res.result_int());
  for (const auto& f : res) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  out.body = res.body();
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return out;
}

}  // namespace muster::client
