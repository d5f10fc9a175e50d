// libFuzzer target for whole HTTP requests as one connection receives them: request lines,
// header sections, Content-Length and chunked bodies with chunk extensions and trailers,
// pipelined requests, with the limits and the read pieces chosen by the input.
//
// Input layout: byte 0 picks the limits (max_header_bytes, max_body_bytes), byte 1 the size of
// the pieces the bytes arrive in (as reads of different sizes would deliver them); the rest is
// the byte stream. Requests are parsed one after another by the connection's parser
// (net/request_parser.h) into the public HttpRequest, and a response is built for each.
//
// Must never crash, throw, assert or loop, whatever the limits: every limit is an error code.
// Checked on every request that completes: header section and body within their limits, no
// trailer field in the headers, and the response within bounds.
//
// Build: link muster_net and muster_asio with -fsanitize=fuzzer (see fuzz/CMakeLists.txt). Run
// long campaigns with -max_len=131072 so that 64 KiB fields fit.

#include <boost/beast/websocket/rfc6455.hpp>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

#include "net/http_util.h"
#include "net/request_parser.h"

namespace {

using namespace muster::net;  // NOLINT
namespace http = boost::beast::http;

constexpr std::size_t kHeaderLimits[] = {256, 1024, 16 * 1024, 60 * 1024};
constexpr std::size_t kBodyLimits[] = {0, 64, 4096, 1024 * 1024};
constexpr std::size_t kPieces[] = {1, 2, 3, 7, 64, 512, 4096, 1 << 20};

[[noreturn]] void Fail() { __builtin_trap(); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  Limits limits;
  limits.max_header_bytes = kHeaderLimits[data[0] & 3];
  limits.max_body_bytes = kBodyLimits[(data[0] >> 2) & 3];
  const std::size_t piece = kPieces[data[1] & 7];
  std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);

  std::string buffer;  // bytes received and not yet consumed (the connection's read buffer)
  std::size_t fed = 0;
  const std::size_t buffer_limit = internal::ReadBufferLimit(limits);
  try {
    for (int request = 0; request < 16; ++request) {
      internal::RequestParser parser(limits);
      parser.eager(true);
      boost::system::error_code ec;
      std::ptrdiff_t header_fields = -1;  // fields once the header section was complete
      while (!parser.is_done()) {
        if (buffer.empty() || ec == http::error::need_more) {
          if (fed >= input.size()) return 0;  // the connection waits for more bytes
          if (buffer.size() >= buffer_limit) return 0;  // 431: the buffer is full
          std::size_t n = std::min({piece, input.size() - fed, buffer_limit - buffer.size()});
          buffer.append(input.substr(fed, n));
          fed += n;
        }
        ec = {};
        std::size_t used = parser.Put(boost::asio::buffer(buffer.data(), buffer.size()), ec);
        buffer.erase(0, used);
        if (header_fields < 0 && parser.is_header_done()) {
          header_fields = std::distance(parser.get().begin(), parser.get().end());
        }
        if (ec && ec != http::error::need_more) {
          if (parser.limit_hit() != internal::RequestParser::Limit::kNone &&
              parser.LimitMessage().empty()) {
            Fail();
          }
          return 0;  // the server answers 400/413/431 and closes
        }
      }
      internal::BeastRequest& req = parser.get();
      std::size_t header_bytes = req.target().size() + req.method_string().size();
      for (const auto& f : req) header_bytes += f.name_string().size() + f.value().size();
      if (header_bytes > limits.max_header_bytes) Fail();
      if (req.body().size() > limits.max_body_bytes) Fail();
      // Trailer fields are dropped, never merged into the header section.
      if (header_fields >= 0 && std::distance(req.begin(), req.end()) != header_fields) Fail();
      bool keep_alive = req.keep_alive();
      unsigned version = req.version();
      bool head = req.method() == http::verb::head;
      (void)boost::beast::websocket::is_upgrade(req);
      HttpRequest public_request = internal::ToHttpRequest(parser.release(), "127.0.0.1", false);
      HttpResponse res;
      res.body = public_request.path + "?" + public_request.query;
      if (const std::string* v = public_request.Header("x-echo")) res.headers.emplace_back("X-Echo", *v);
      std::string wire_head;
      internal::SerializeResponseHead(res, head ? 0 : res.body.size(), version, keep_alive, &wire_head);
      // Whatever the echoed header held, the head ends at its one blank line (no response
      // splitting), and the body is no larger than the input.
      if (wire_head.size() < 4 || wire_head.find("\r\n\r\n") != wire_head.size() - 4) Fail();
      if (res.body.size() > size + 2) Fail();
      if (!keep_alive) return 0;
    }
  } catch (...) {
    Fail();  // no input may make the parser (or the conversions around it) throw
  }
  return 0;
}
