#include "tools/load/response_reader.h"

#include <charconv>
#include <string_view>

#include "common/ascii.h"

namespace muster::load {
namespace {

std::string_view Trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

}  // namespace

ResponseReader::State ResponseReader::Next(Response* out) {
  for (;;) {
    const State st = NextOne(out);
    // An interim answer (100 Continue, 103 Early Hints) is followed by the real one.
    if (st != State::kDone || out->status >= 200) return st;
  }
}

ResponseReader::State ResponseReader::NextOne(Response* out) {
  if (!error_.empty()) return State::kError;
  const std::size_t end = buffer_.find("\r\n\r\n");
  if (end == std::string::npos) {
    if (buffer_.size() > kMaxHeaderBytes) {
      error_ = "response header section over " + std::to_string(kMaxHeaderBytes) + " bytes";
      return State::kError;
    }
    return State::kNeedMore;
  }
  if (end > kMaxHeaderBytes) {
    error_ = "response header section over " + std::to_string(kMaxHeaderBytes) + " bytes";
    return State::kError;
  }
  std::string_view head(buffer_.data(), end);
  std::size_t line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  // "HTTP/1.1 200 OK"
  if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/" || status_line[8] != ' ' ||
      (status_line.size() > 12 && status_line[12] != ' ')) {
    error_ = "malformed status line '" + std::string(status_line.substr(0, 80)) + "'";
    return State::kError;
  }
  int status = 0;
  auto [p, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, status);
  if (ec != std::errc() || p != status_line.data() + 12 || status < 100 || status > 599) {
    error_ = "malformed status code in '" + std::string(status_line.substr(0, 80)) + "'";
    return State::kError;
  }
  Response r;
  r.status = status;
  r.close = status_line.substr(0, 8) == "HTTP/1.0";
  bool has_length = false;
  std::size_t length = 0;
  std::string_view rest = line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
  while (!rest.empty()) {
    std::size_t e = rest.find("\r\n");
    std::string_view line = rest.substr(0, e);
    rest = e == std::string_view::npos ? std::string_view() : rest.substr(e + 2);
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      error_ = "malformed header line '" + std::string(line.substr(0, 80)) + "'";
      return State::kError;
    }
    std::string_view name = line.substr(0, colon);
    std::string_view value = Trim(line.substr(colon + 1));
    if (AsciiIEquals(name, "content-length")) {
      std::size_t n = 0;
      auto [q, err] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (err != std::errc() || q != value.data() + value.size() || (has_length && n != length)) {
        error_ = "bad Content-Length '" + std::string(value.substr(0, 40)) + "'";
        return State::kError;
      }
      has_length = true;
      length = n;
    } else if (AsciiIEquals(name, "transfer-encoding")) {
      error_ = "chunked responses are not supported (Transfer-Encoding: " + std::string(value.substr(0, 40)) + ")";
      return State::kError;
    } else if (AsciiIEquals(name, "connection")) {
      // A list of tokens: "close" anywhere in it closes; "keep-alive" keeps an HTTP/1.0 answer's
      // connection open.
      bool close = false, keep_alive = false;
      while (!value.empty()) {
        const std::size_t comma = value.find(',');
        const std::string_view token = Trim(value.substr(0, comma));
        close = close || AsciiIEquals(token, "close");
        keep_alive = keep_alive || AsciiIEquals(token, "keep-alive");
        value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
      }
      if (close) r.close = true;
      else if (keep_alive) r.close = false;
    } else if (AsciiIEquals(name, "x-muster-ticket-status")) {
      r.ticket_status = std::string(value);
    }
  }
  // 1xx, 204 and 304 answers never have a body, whatever their headers say.
  const bool bodiless = status < 200 || status == 204 || status == 304;
  if (bodiless) length = 0;
  if (!has_length && !bodiless) {
    error_ = "response " + std::to_string(status) + " without Content-Length";
    return State::kError;
  }
  if (length > kMaxBodyBytes) {
    error_ = "response body of " + std::to_string(length) + " bytes is over " + std::to_string(kMaxBodyBytes);
    return State::kError;
  }
  const std::size_t total = end + 4 + length;
  if (buffer_.size() < total) return State::kNeedMore;
  r.body.assign(buffer_, end + 4, length);
  buffer_.erase(0, total);
  *out = std::move(r);
  return State::kDone;
}

}  // namespace muster::load
