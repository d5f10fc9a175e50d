#include "net/request_parser.h"

#include <algorithm>

namespace muster::net::internal {
namespace {

namespace http = boost::beast::http;

// A body's storage grows with the bytes that arrive, not with the length a client declares: a
// connection that announces 1 MiB and sends nothing holds no more than this.
constexpr std::size_t kInitialBodyReserve = 16 * 1024;
// Bytes a field line takes besides its name and value (": " and CRLF).
constexpr std::size_t kFieldLineOverhead = 4;
// Bytes of a request line besides its method and target (" ", " HTTP/1.1", CRLF).
constexpr std::size_t kRequestLineOverhead = 12;

}  // namespace

std::size_t ReadBufferLimit(const Limits& limits) {
  return std::min(limits.max_header_bytes, kMaxHeaderBytesLimit) + 8 * 1024;
}

RequestParser::RequestParser(const Limits& limits)
    : max_header_bytes_(std::min(limits.max_header_bytes, kMaxHeaderBytesLimit)),
      max_body_bytes_(limits.max_body_bytes) {
  header_limit(static_cast<std::uint32_t>(max_header_bytes_));
  body_limit(max_body_bytes_);
}

std::string RequestParser::LimitMessage() const {
  const std::string max = std::to_string(max_header_bytes_) + " bytes";
  switch (limit_hit_) {
    case Limit::kNone: break;
    case Limit::kHeader: return "request header section larger than " + max;
    case Limit::kField: return "a request header field is larger than " + max;
    case Limit::kTrailer: return "chunked body trailer section larger than " + max;
    case Limit::kChunkExtensions: return "chunk extensions larger than " + max + " in all";
    case Limit::kBody:
      return "request body larger than " + std::to_string(max_body_bytes_) + " bytes";
  }
  return "request too large";
}

void RequestParser::Fail(Limit limit, error_code& ec) {
  limit_hit_ = limit;
  ec = limit == Limit::kBody ? http::error::body_limit : http::error::header_limit;
}

void RequestParser::on_request_impl(verb method, string_view method_str, string_view target,
                                    int version, error_code& ec) {
  (void)ec;
  header_bytes_ = method_str.size() + target.size() + kRequestLineOverhead;
  message_.target(target);
  if (method != verb::unknown) {
    message_.method(method);
  } else {
    message_.method_string(method_str);
  }
  message_.version(static_cast<unsigned>(version));
}

void RequestParser::on_response_impl(int, string_view, int, error_code& ec) {
  ec = http::error::bad_version;  // never called for a request parser
}

void RequestParser::on_field_impl(field name, string_view name_string, string_view value,
                                  error_code& ec) {
  const std::size_t line = name_string.size() + value.size() + kFieldLineOverhead;
  if (header_complete_) {
    trailer_bytes_ += line;
    if (trailer_bytes_ > max_header_bytes_) Fail(Limit::kTrailer, ec);
    return;  // dropped: trailers are never merged into the header section
  }
  if (line > max_header_bytes_) {
    Fail(Limit::kField, ec);
    return;
  }
  // Beast's header_limit only bounds the bytes of one put(): fields that arrive in several reads
  // are consumed piecewise and escape it, so the section is counted here.
  header_bytes_ += line;
  if (header_bytes_ > max_header_bytes_) {
    Fail(Limit::kHeader, ec);
    return;
  }
  message_.insert(name, name_string, value);
}

void RequestParser::on_header_impl(error_code& ec) {
  (void)ec;
  header_complete_ = true;
}

std::size_t RequestParser::Put(boost::asio::const_buffer buffer, error_code& ec) {
  string_view in(static_cast<const char*>(buffer.data()), buffer.size());
  if (BadChunkLine(in)) {
    ec = http::error::bad_chunk_extension;
    return 0;
  }
  std::size_t used = put(buffer, ec);
  if (used > 0) scan_ = {};  // the next Put starts at the first byte not consumed
  return used;
}

bool RequestParser::BadChunkLine(string_view in) {
  if (!chunked_body_ || chunk_remaining_ > 0 || scan_.done) return false;
  if (after_chunk_data_ && scan_.pos < 2) scan_.pos = std::min<std::size_t>(2, in.size());
  for (; scan_.pos < in.size(); ++scan_.pos) {
    const char c = in[scan_.pos];
    if (scan_.in_quote) {
      if (c == '\r' || c == '\n') return true;  // qdtext and quoted-pair exclude CR and LF
      if (scan_.escaped) {
        scan_.escaped = false;
      } else if (c == '\\') {
        scan_.escaped = true;
      } else if (c == '"') {
        scan_.in_quote = false;
      }
    } else if (c == '"') {
      scan_.in_quote = true;
    } else if (c == '\n') {
      scan_.done = true;  // Beast parses the complete line; its scan ends at the line's end
      return false;
    }
  }
  return false;
}

void RequestParser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                      error_code& ec) {
  chunked_body_ = chunked();
  if (content_length) {
    if (*content_length > max_body_bytes_) {
      Fail(Limit::kBody, ec);
      return;
    }
    message_.body().reserve(std::min<std::size_t>(*content_length, kInitialBodyReserve));
  }
}

std::size_t RequestParser::Append(string_view body, error_code& ec) {
  std::string& out = message_.body();
  if (body.size() > max_body_bytes_ - std::min(out.size(), max_body_bytes_)) {
    Fail(Limit::kBody, ec);
    return 0;
  }
  out.append(body.data(), body.size());
  return body.size();
}

std::size_t RequestParser::on_body_impl(string_view body, error_code& ec) {
  return Append(body, ec);
}

void RequestParser::on_chunk_header_impl(std::uint64_t size, string_view extensions,
                                         error_code& ec) {
  // Beast checks the sum of chunk sizes against body_limit.
  chunk_remaining_ = size;
  after_chunk_data_ = false;
  extension_bytes_ += extensions.size();
  if (extension_bytes_ > max_header_bytes_) Fail(Limit::kChunkExtensions, ec);
}

std::size_t RequestParser::on_chunk_body_impl(std::uint64_t remain, string_view body,
                                              error_code& ec) {
  std::size_t used = Append(body, ec);
  chunk_remaining_ = remain - std::min<std::uint64_t>(remain, used);
  if (chunk_remaining_ == 0) after_chunk_data_ = true;
  return used;
}

void RequestParser::on_finish_impl(error_code& ec) { (void)ec; }

}  // namespace muster::net::internal
