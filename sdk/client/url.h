#pragma once
// Endpoint URLs and the client API's query strings.
//   "http://127.0.0.1:8080/base" -> {scheme http, host 127.0.0.1, port 8080, base_path "/base"}
//   latencies=<loc>_<ms>_<loc>_<ms>   (the published sample client's encoding)
//
// Thread safety: pure functions.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace muster::client {

struct Endpoint {
  std::string scheme;     // "http" (https is not supported by this client yet)
  std::string host;       // name or IPv4/IPv6 literal (without brackets)
  std::uint16_t port = 0;
  std::string base_path;  // "" or "/prefix" (no trailing slash)

  // The Host header value: "host" or "host:port" when the port is not the scheme's default.
  std::string HostHeader() const;
  // base_path + path, path starting with '/'.
  std::string Path(std::string_view path) const;
};

Result<Endpoint> ParseEndpoint(std::string_view url);

// "host:port" (IPv6 as "[::1]:7777") -> (host, port).
Result<std::pair<std::string, std::uint16_t>> ParseHostPort(std::string_view s);

struct LocationLatency {
  std::string location;
  int ms = 0;
};
// "latencies=custom-local-a_12_custom-local-b_40" (values URI-encoded; no '?').
std::string LatenciesQuery(const std::vector<LocationLatency>& latencies);
// "ticketId=<encoded id>"
std::string TicketStatusQuery(std::string_view ticket_id);

}  // namespace muster::client
