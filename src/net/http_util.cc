#include "net/http_util.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cctype>
#include <ctime>

namespace muster::net {

const std::string* HttpRequest::Header(std::string_view lowercase_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lowercase_name) return &value;
  }
  return nullptr;
}

namespace internal {

namespace http = boost::beast::http;

constexpr std::size_t kMaxResponseFieldBytes = 16 * 1024;

std::string HttpDate() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

HttpResponse ErrorResponse(int status, std::string_view error, std::string_view message) {
  boost::json::object body;
  body["error"] = error;
  body["message"] = message;
  HttpResponse res;
  res.status = status;
  res.body = boost::json::serialize(body);
  return res;
}

HttpRequest ToHttpRequest(BeastRequest&& req, const std::string& remote, bool tls) {
  HttpRequest out;
  out.method = std::string(req.method_string());
  out.target = std::string(req.target());
  auto q = out.target.find('?');
  if (q == std::string::npos) {
    out.path = out.target;
  } else {
    out.path = out.target.substr(0, q);
    out.query = out.target.substr(q + 1);
  }
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  out.body = std::move(req.body());
  out.remote_address = remote;
  out.tls = tls;
  return out;
}

const std::string& CachedHttpDate() {
  // One formatting a second per thread: the Date header of every response.
  thread_local std::time_t formatted_at = -1;
  thread_local std::string date;
  std::time_t now = std::time(nullptr);
  if (now != formatted_at) {
    date = HttpDate();
    formatted_at = now;
  }
  return date;
}

void SerializeResponseHead(const HttpResponse& res, std::size_t content_length, unsigned version, bool keep_alive,
                           std::string* out) {
  int status = res.status;
  if (status < 100 || status > 999) status = 500;
  out->clear();
  out->append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  char code[4] = {static_cast<char>('0' + status / 100), static_cast<char>('0' + status / 10 % 10),
                  static_cast<char>('0' + status % 10), ' '};
  out->append(code, sizeof code);
  out->append(http::obsolete_reason(http::int_to_status(static_cast<unsigned>(status))));
  out->append("\r\nServer: muster\r\nDate: ");
  out->append(CachedHttpDate());
  out->append("\r\n");
  if (!res.content_type.empty() && res.content_type.find_first_of("\r\n") == std::string::npos &&
      res.content_type.size() <= kMaxResponseFieldBytes) {
    out->append("Content-Type: ").append(res.content_type).append("\r\n");
  }
  for (const auto& [name, value] : res.headers) {
    // The transport owns framing and connection management.
    if (boost::beast::iequals(name, "content-length") || boost::beast::iequals(name, "transfer-encoding") ||
        boost::beast::iequals(name, "connection")) {
      continue;
    }
    // A handler cannot split the response or make a header line without a name.
    if (name.empty() || name.find_first_of("\r\n:") != std::string::npos) continue;
    if (value.find_first_of("\r\n") != std::string::npos) continue;
    if (name.size() > kMaxResponseFieldBytes || value.size() > kMaxResponseFieldBytes) continue;
    out->append(name).append(": ").append(value).append("\r\n");
  }
  if (version == 10 && keep_alive) out->append("Connection: keep-alive\r\n");
  if (version != 10 && !keep_alive) out->append("Connection: close\r\n");
  out->append("Content-Length: ").append(std::to_string(content_length)).append("\r\n\r\n");
}

}  // namespace internal
}  // namespace muster::net
