// libFuzzer target for the WebSocket frame decoder as a server connection runs it: the bytes a
// client sends after a completed upgrade (frame headers, masks, lengths, fragmentation, control
// frames inside fragmented messages, close frames, UTF-8 in text frames), read with the server's
// settings (net/ws_session.cc): message size limit, no automatic fragmentation, and
// permessage-deflate off or, for the push gateway to come, negotiated.
//
// Input layout: byte 0 picks the message limit and whether permessage-deflate is negotiated; the
// rest is what the client sends after the handshake, in pieces of a size picked by byte 1.
// Must never crash, throw or loop; every message read must fit the limit.

#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

constexpr std::size_t kMessageLimits[] = {16, 125, 4096, 256 * 1024};
constexpr std::size_t kPieces[] = {1, 2, 5, 14, 64, 1024, 1 << 20, 3};

[[noreturn]] void Fail() { __builtin_trap(); }

http::request<http::string_body> Upgrade(bool deflate) {
  http::request<http::string_body> req{http::verb::get, "/", 11};
  req.set(http::field::host, "localhost");
  req.set(http::field::upgrade, "websocket");
  req.set(http::field::connection, "upgrade");
  req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  req.set(http::field::sec_websocket_version, "13");
  if (deflate) req.set(http::field::sec_websocket_extensions, "permessage-deflate");
  return req;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t limit = kMessageLimits[data[0] & 3];
  const bool deflate = (data[0] & 4) != 0;
  const std::size_t piece = kPieces[data[1] & 7];
  std::string_view frames(reinterpret_cast<const char*>(data) + 2, size - 2);
  try {
    boost::asio::io_context ioc;
    beast::test::stream server(ioc), client(ioc);
    server.connect(client);
    server.read_size(piece);  // deliver what the client sent in pieces of this size
    websocket::stream<beast::test::stream&> ws(server);
    websocket::permessage_deflate pmd;
    pmd.server_enable = deflate;
    pmd.client_enable = false;
    ws.set_option(pmd);
    ws.read_message_max(limit);
    ws.auto_fragment(false);
    boost::system::error_code ec;
    ws.accept(Upgrade(deflate), ec);
    if (ec) Fail();  // a well-formed upgrade is always accepted
    server.append(frames);  // what the client sent, then it closes
    client.close();
    // Bounded like the session's read buffer (ws_session.cc): with permessage-deflate, Beast sizes
    // a read by the frame's declared length, and an unbounded buffer turns a hostile header into
    // an allocation of that size (found by this target: std::bad_alloc on 2^64-1).
    beast::flat_buffer buffer(limit + 4096);
    for (int i = 0; i < 64; ++i) {
      ws.read(buffer, ec);
      if (ec) break;
      if (buffer.size() > limit) Fail();
      buffer.consume(buffer.size());
    }
  } catch (...) {
    Fail();
  }
  return 0;
}
