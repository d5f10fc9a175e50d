#include "net/http_util.h"

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

BeastResponse ToBeastResponse(HttpResponse&& res, unsigned version, bool keep_alive, bool head) {
  BeastResponse out;
  out.version(version);
  int status = res.status;
  if (status < 100 || status > 999) status = 500;
  out.result(static_cast<unsigned>(status));
  out.set(http::field::server, "muster");
  out.set(http::field::date, HttpDate());
  if (!res.content_type.empty()) out.set(http::field::content_type, res.content_type);
  for (auto& [name, value] : res.headers) {
    // The transport owns framing and connection management.
    auto f = http::string_to_field(name);
    if (f == http::field::content_length || f == http::field::transfer_encoding ||
        f == http::field::connection) {
      continue;
    }
    // Beast rejects nothing here; strip CR/LF so a handler cannot split the response.
    if (name.find_first_of("\r\n:") != std::string::npos) continue;
    if (value.find_first_of("\r\n") != std::string::npos) continue;
    // Beast throws on a field of 64 KiB or more; no legitimate header comes near this.
    if (name.size() > kMaxResponseFieldBytes || value.size() > kMaxResponseFieldBytes) continue;
    out.insert(name, value);
  }
  std::size_t size = res.body.size();
  if (!head) out.body() = std::move(res.body);
  out.keep_alive(keep_alive);
  out.content_length(size);
  return out;
}

}  // namespace internal
}  // namespace muster::net
