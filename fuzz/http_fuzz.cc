// libFuzzer target for the HTTP request path of muster_net: the input is a byte stream as a client
// would send it on one connection. Requests are parsed one after another with the server's limits
// (as a keep-alive connection does), converted to HttpRequest, and a response is built for each.
// Must never crash, assert or loop.
//
// Build: link muster_net and muster_asio with -fsanitize=fuzzer (see fuzz/CMakeLists.txt).

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "net/http_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace http = boost::beast::http;
  using namespace muster::net;  // NOLINT
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const Limits limits;
  for (int i = 0; i < 16 && !input.empty(); ++i) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser.body_limit(limits.max_body_bytes);
    parser.eager(true);
    boost::system::error_code ec;
    while (!parser.is_done() && !input.empty()) {
      std::size_t used = parser.put(boost::asio::buffer(input.data(), input.size()), ec);
      if (ec == http::error::need_more) ec = {};
      if (ec || used == 0) break;
      input.remove_prefix(used);
    }
    if (ec || !parser.is_done()) {
      // The server answers 400/413/431/501 or waits for more bytes; nothing else to exercise.
      return 0;
    }
    bool upgrade = boost::beast::websocket::is_upgrade(parser.get());
    bool keep_alive = parser.get().keep_alive();
    unsigned version = parser.get().version();
    bool head = parser.get().method() == http::verb::head;
    HttpRequest req = internal::ToHttpRequest(parser.release(), "127.0.0.1", false);
    (void)upgrade;
    HttpResponse res;
    res.body = req.path + "?" + req.query;
    if (const std::string* v = req.Header("x-echo")) res.headers.emplace_back("X-Echo", *v);
    auto wire = internal::ToBeastResponse(std::move(res), version, keep_alive, head);
    if (wire.body().size() > size + 2) __builtin_trap();
  }
  return 0;
}
