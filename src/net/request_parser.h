#pragma once
// Internal to muster_net: the HTTP/1.1 request parser every connection uses. Beast's basic_parser
// does the syntax; this class owns what it builds and enforces every size limit itself, so that no
// input can make the parser throw (Beast's own request_parser inserts each field, trailers
// included, into a container that throws std::length_error on a field of 64 KiB or more).
//
// Limits (all from net::Limits, checked before anything is stored):
//   - the header section: at most max_header_bytes, counted here field by field (Beast's
//     header_limit alone bounds only the bytes of one put(), so a section that arrives in many
//     small reads would escape it);
//   - the trailer section of a chunked body: the same limit as the header section, counted from
//     its first byte; trailer fields are checked and dropped, never merged into the headers
//     (RFC 9110 §6.5.1: a trailer may not override a header the handler already trusted);
//   - chunk extensions: at most max_header_bytes over the whole body, and they are discarded;
//   - the body: at most max_body_bytes (declared Content-Length, chunk sizes and bytes received).
// The caller bounds its read buffer too (see ReadBufferLimit), so that a chunk-size line or a
// trailer section that never ends cannot grow memory before the parser sees it.
//
// A limit that is hit sets ec to a Beast error and records which limit it was (limit_hit()), so
// the connection can answer 431 or 413 with a message naming it.
//
// Feed it with Put(), never Beast's put() or http::async_read on it: Put refuses a chunk-size line
// whose chunk extension holds a CR or LF inside a quoted string (never valid). Beast's own scan
// of such a quoted string runs past the line's end to the end of the buffer and asks for more,
// and runs again over the whole buffer on every later put: a peer trickling such a line a byte at
// a time would cost time quadratic in the buffer (found by http_fuzz). Put scans each byte once.
//
// Thread safety: one parser per request, used on its connection's executor only.

#include <boost/beast/http/basic_parser.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

#include "net/http_server.h"
#include "net/http_util.h"

namespace muster::net::internal {

// The largest header section a listener may be configured for: Beast stores a field's name and
// value sizes in 16 bits, so larger sections could hold a field it cannot store.
inline constexpr std::size_t kMaxHeaderBytesLimit = 60 * 1024;

// The capacity of a connection's read buffer for these limits: a header (or trailer) section and
// a read's worth of slack. Never less than what a full header section needs.
std::size_t ReadBufferLimit(const Limits& limits);

class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  enum class Limit { kNone, kHeader, kField, kTrailer, kChunkExtensions, kBody };

  explicit RequestParser(const Limits& limits);

  BeastRequest& get() { return message_; }
  BeastRequest release() { return std::move(message_); }

  // Which limit stopped the parse (kNone when none did).
  Limit limit_hit() const { return limit_hit_; }
  // True once the whole header section was parsed (later fields are trailers).
  bool header_complete() const { return header_complete_; }
  // A sentence naming the limit that was hit, for the error response.
  std::string LimitMessage() const;

  // Beast's put(), after checking the chunk-size line being received (see above). Returns the
  // bytes consumed; ec as put() sets it.
  std::size_t Put(boost::asio::const_buffer buffer, boost::system::error_code& ec);

 private:
  using error_code = boost::system::error_code;
  using string_view = boost::beast::string_view;
  using field = boost::beast::http::field;
  using verb = boost::beast::http::verb;

  void on_request_impl(verb method, string_view method_str, string_view target, int version,
                       error_code& ec) override;
  void on_response_impl(int, string_view, int, error_code& ec) override;
  void on_field_impl(field name, string_view name_string, string_view value,
                     error_code& ec) override;
  void on_header_impl(error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         error_code& ec) override;
  std::size_t on_body_impl(string_view body, error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t size, string_view extensions, error_code& ec) override;
  std::size_t on_chunk_body_impl(std::uint64_t remain, string_view body, error_code& ec) override;
  void on_finish_impl(error_code& ec) override;

  void Fail(Limit limit, error_code& ec);
  std::size_t Append(string_view body, error_code& ec);
  // Whether the bytes of `in` not scanned yet hold a CR or LF inside a quoted string of the
  // chunk-size line being received.
  bool BadChunkLine(string_view in);

  const std::size_t max_header_bytes_;
  const std::size_t max_body_bytes_;
  BeastRequest message_;
  bool header_complete_ = false;
  std::size_t header_bytes_ = 0;
  std::size_t trailer_bytes_ = 0;
  std::size_t extension_bytes_ = 0;
  Limit limit_hit_ = Limit::kNone;
  // The chunk-size line scan. Positions count from the start of what the next Put is given; they
  // hold while nothing is consumed (the caller passes the same bytes plus new ones).
  struct ChunkLineScan {
    std::size_t pos = 0;     // bytes scanned
    bool in_quote = false;
    bool escaped = false;
    bool done = false;       // the line's LF was seen outside a quote
  };
  bool chunked_body_ = false;         // the body is chunked and its header section complete
  std::uint64_t chunk_remaining_ = 0; // data bytes of the current chunk not yet received
  bool after_chunk_data_ = false;     // the next line is preceded by the chunk data's CRLF
  ChunkLineScan scan_;
};

}  // namespace muster::net::internal
