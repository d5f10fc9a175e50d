#include "sdk/client/url.h"

#include <charconv>

#include "auth/canonical.h"

namespace muster::client {

std::string Endpoint::HostHeader() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
  return default_port ? h : h + ":" + std::to_string(port);
}

std::string Endpoint::Path(std::string_view path) const {
  std::string out = base_path;
  if (path.empty() || path.front() != '/') out.push_back('/');
  out.append(path);
  return out;
}

Result<std::pair<std::string, std::uint16_t>> ParseHostPort(std::string_view s) {
  std::string_view host, port;
  if (!s.empty() && s.front() == '[') {
    std::size_t close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') {
      return Error::InvalidArgument("'" + std::string(s) + "' is not [ipv6]:port");
    }
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    std::size_t colon = s.rfind(':');
    if (colon == std::string_view::npos) {
      return Error::InvalidArgument("'" + std::string(s) + "' is not host:port");
    }
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (host.empty() || port.empty() || ec != std::errc() || ptr != port.data() + port.size() ||
      value == 0 || value > 65535) {
    return Error::InvalidArgument("'" + std::string(s) + "': port must be 1..65535");
  }
  return std::pair<std::string, std::uint16_t>{std::string(host), static_cast<std::uint16_t>(value)};
}

Result<Endpoint> ParseEndpoint(std::string_view url) {
  Endpoint e;
  std::size_t sep = url.find("://");
  if (sep == std::string_view::npos) {
    return Error::InvalidArgument("endpoint '" + std::string(url) + "' must start with http://");
  }
  e.scheme = std::string(url.substr(0, sep));
  if (e.scheme != "http") {
    return Error::InvalidArgument("endpoint scheme '" + e.scheme + "' is not supported (use http)");
  }
  std::string_view rest = url.substr(sep + 3);
  std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    e.base_path = path;
  }
  bool has_port = !authority.empty() && authority.back() != ']' &&
                  authority.find(':') != std::string_view::npos;
  if (has_port) {
    MUSTER_ASSIGN_OR_RETURN(auto hp, ParseHostPort(authority));
    e.host = hp.first;
    e.port = hp.second;
  } else {
    e.host = authority;
    if (e.host.size() >= 2 && e.host.front() == '[') e.host = e.host.substr(1, e.host.size() - 2);
    e.port = 80;
  }
  if (e.host.empty()) return Error::InvalidArgument("endpoint '" + std::string(url) + "' has no host");
  return e;
}

std::string LatenciesQuery(const std::vector<LocationLatency>& latencies) {
  std::string value;
  for (const LocationLatency& l : latencies) {
    if (!value.empty()) value.push_back('_');
    value += l.location + "_" + std::to_string(l.ms);
  }
  return "latencies=" + auth::UriEncode(value);
}

std::string TicketStatusQuery(std::string_view ticket_id) {
  return "ticketId=" + auth::UriEncode(ticket_id);
}

}  // namespace muster::client
