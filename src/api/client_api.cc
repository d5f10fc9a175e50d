#include "api/client_api.h"

#include <charconv>

#include "api/management_codec.h"
#include "api/query.h"
#include "auth/sigv4.h"
#include "common/time_util.h"
#include "identity/identity_service.h"
#include "identity/player_data.h"
#include "matchmaking/attribute.h"

namespace muster::api {

namespace {

std::string_view LastSegment(std::string_view path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// The presigned form of SigV4 carries its own X-Amz-* parameters in the query string.
bool IsSignatureParameter(std::string_view name) { return name.rfind("X-Amz-", 0) == 0; }

}  // namespace

net::HttpResponse TicketResponse(const Result<matchmaking::Ticket>& t, int status) {
  return t.ok() ? JsonResponse(status, PlayerTicketJson(*t)) : ErrorResponse(t.error());
}

net::HttpResponse JsonResponse(int status, const json::value& body) {
  net::HttpResponse r;
  r.status = status;
  r.body = ToJson(body);
  return r;
}

net::HttpResponse ErrorResponse(const Error& error) {
  net::HttpResponse r = JsonResponse(HttpStatus(error.code),
                                     json::object{{"error", ErrorCodeName(error.code)}, {"message", error.message}});
  if (error.code == ErrorCode::kUnavailable) r.headers.emplace_back("Retry-After", kRetryAfterSeconds);
  return r;
}

Result<std::map<std::string, int>> ParseLatencies(std::string_view text, int max_ms) {
  std::map<std::string, int> out;
  if (text.empty()) return out;
  std::vector<std::string_view> parts;
  while (true) {
    std::size_t u = text.find('_');
    parts.push_back(text.substr(0, u));
    if (u == std::string_view::npos) break;
    text = text.substr(u + 1);
  }
  if (parts.size() % 2 != 0) {
    return Error::InvalidArgument("latencies must be pairs <location>_<milliseconds>, e.g. custom-local-a_20_custom-local-b_45");
  }
  for (std::size_t i = 0; i < parts.size(); i += 2) {
    std::string_view loc = parts[i], ms = parts[i + 1];
    if (loc.empty() || loc.size() > 64) {
      return Error::InvalidArgument("latencies: location name " + std::to_string(i / 2 + 1) + " is empty or too long");
    }
    int v = -1;
    auto [ptr, ec] = std::from_chars(ms.data(), ms.data() + ms.size(), v);
    if (ec != std::errc() || ptr != ms.data() + ms.size() || v < 0 || v > max_ms) {
      return Error::InvalidArgument("latencies: '" + std::string(ms) + "' for " + std::string(loc) +
                                    " is not a whole number of milliseconds from 0 to " + std::to_string(max_ms));
    }
    if (!out.emplace(std::string(loc), v).second) {
      return Error::InvalidArgument("latencies: location " + std::string(loc) + " is given twice");
    }
  }
  return out;
}

ClientApi::ClientApi(node::Node& node, identity::IdentityService& identities,
                     identity::PlayerDataService& players, const Clock& clock, ClientApiOptions options)
    : node_(node), tickets_(node, identities, players, clock, std::move(options)) {}

bool ClientApi::Handle(const net::HttpRequest& request, const net::Responder& respond) {
  std::string_view path = request.path;
  std::string_view last = LastSegment(path);
  bool compat = last == "requestmatchmaking" || last == "requestmatchstatus";
  bool native = path.rfind("/v1/matchmaking", 0) == 0;
  if (path == "/v1/locations" && request.method == "GET") {
    node_.RunOnOwner([this, respond] { respond(Locations()); });
    return true;
  }
  if (!compat && !native) return false;
  if (compat && request.method != "GET") {
    net::HttpResponse r = ErrorResponse(Error::InvalidArgument(std::string(last) + " takes GET"));
    r.status = 405;
    respond(std::move(r));
    return true;
  }
  // Signatures are checked here, on the connection's loop: what reaches the node's thread is
  // signed by a live credential.
  auto player = tickets_.Authenticate(request);
  if (!player.ok()) {
    respond(ErrorResponse(player.error()));
    return true;
  }
  const std::string* identity = &player->identity;
  if (last == "requestmatchmaking") {
    RequestMatchmaking(*identity, request.remote_address, request.query, respond);
  } else if (last == "requestmatchstatus") {
    respond(RequestMatchStatus(*identity, request.query));
  } else if (path == "/v1/matchmaking" && request.method == "POST") {
    NativeStart(*identity, request.remote_address, request.body, respond);
  } else if (path.rfind("/v1/matchmaking/", 0) == 0 && last == "accept" && request.method == "POST" &&
             path.size() > 16 + 7) {
    NativeAccept(*identity, std::string(path.substr(16, path.size() - 16 - 7)), request.body, respond);
  } else if (path.rfind("/v1/matchmaking/", 0) == 0 && path.size() > 16 &&
             path.find('/', 16) == std::string_view::npos && request.method == "GET") {
    auto t = tickets_.Get(*identity, std::string(path.substr(16)));
    respond(TicketResponse(t));
  } else if (path.rfind("/v1/matchmaking/", 0) == 0 && path.size() > 16 &&
             path.find('/', 16) == std::string_view::npos && request.method == "DELETE") {
    tickets_.Cancel(*identity, std::string(path.substr(16)), [respond](Result<matchmaking::Ticket> t) {
      respond(TicketResponse(t));
    });
  } else {
    respond(ErrorResponse(Error::NotFound("no route for " + request.method + " " + request.path)));
  }
  return true;
}

void ClientApi::RequestMatchmaking(const std::string& identity, const std::string& address,
                                   const std::string& query, const net::Responder& respond) {
  auto q = ParseQuery(query);
  if (!q.ok()) return respond(ErrorResponse(q.error()));
  for (const auto& [k, v] : *q) {
    if (k != "latencies" && !IsSignatureParameter(k)) {
      return respond(ErrorResponse(Error::InvalidArgument("unknown query parameter '" + k + "'")));
    }
  }
  auto lat = ParseLatencies(q->count("latencies") ? q->at("latencies") : "", tickets_.options().max_latency_ms);
  if (!lat.ok()) return respond(ErrorResponse(lat.error()));
  tickets_.Start(identity, address, "", std::move(lat).value(), [this, respond](Result<matchmaking::Ticket> t) {
    if (!t.ok()) return respond(ErrorResponse(t.error()));
    respond(JsonResponse(200, matchmaking::TicketToApiJson(*t, node_.definitions().ConfigurationArn(t->configuration_name))));
  });
}

net::HttpResponse ClientApi::RequestMatchStatus(const std::string& identity, const std::string& query) {
  auto q = ParseQuery(query);
  if (!q.ok()) return ErrorResponse(q.error());
  for (const auto& [k, v] : *q) {
    if (k != "ticketId" && !IsSignatureParameter(k)) {
      return ErrorResponse(Error::InvalidArgument("unknown query parameter '" + k + "'"));
    }
  }
  if (!q->count("ticketId") || q->at("ticketId").empty()) {
    return ErrorResponse(Error::InvalidArgument("ticketId is required"));
  }
  auto t = tickets_.Get(identity, q->at("ticketId"));
  if (!t.ok()) return ErrorResponse(t.error());
  json::object body{{"IpAddress", ""}, {"Port", 0}, {"PlayerSessionId", "NotPlacedYet"}, {"DnsName", ""}};
  if (t->status == matchmaking::TicketStatus::kCompleted) {
    body["IpAddress"] = t->ip_address;
    body["Port"] = t->port;
    body["DnsName"] = t->dns_name;
    for (const auto& m : t->matched_player_sessions) {
      if (m.player_id == identity) body["PlayerSessionId"] = m.player_session_id;
    }
  }
  net::HttpResponse r = JsonResponse(200, body);
  r.headers.emplace_back("X-Muster-Ticket-Status", matchmaking::TicketStatusName(t->status));
  return r;
}

void ClientApi::NativeStart(const std::string& identity, const std::string& address, const std::string& body,
                            const net::Responder& respond) {
  std::map<std::string, int> latencies;
  if (!body.empty()) {
    auto v = ParseJson(body, JsonLimits{.max_bytes = 16 * 1024, .max_depth = 8});
    if (!v.ok()) return respond(ErrorResponse(v.error()));
    JsonObjectReader r(*v, "");
    auto lat = LatenciesFromJson(r.raw("latencies"), "latencies", tickets_.options().max_latency_ms);
    if (!lat.ok()) return respond(ErrorResponse(lat.error()));
    auto st = r.Finish();
    if (!st.ok()) return respond(ErrorResponse(st.error()));
    latencies = std::move(lat).value();
  }
  tickets_.Start(identity, address, "", std::move(latencies), [respond](Result<matchmaking::Ticket> t) {
    respond(TicketResponse(t, 201));
  });
}

void ClientApi::NativeAccept(const std::string& identity, const std::string& ticket_id, const std::string& body,
                             const net::Responder& respond) {
  auto v = ParseJson(body, JsonLimits{.max_bytes = 1024, .max_depth = 2});
  if (!v.ok()) return respond(ErrorResponse(v.error()));
  JsonObjectReader r(*v, "");
  auto accept = r.Bool("accept", /*required=*/true);
  auto st = r.Finish();
  if (!st.ok()) return respond(ErrorResponse(st.error()));
  tickets_.Accept(identity, ticket_id, *accept, [respond](Result<matchmaking::Ticket> t) {
    respond(TicketResponse(t));
  });
}

net::HttpResponse ClientApi::Locations() {
  json::array locs;
  for (const auto& e : node_.game_servers().LocationEndpoints()) {
    locs.push_back(json::object{{"Location", e.location},
                                {"PingEndpoint", e.ip_address + ":" + std::to_string(e.port)}});
  }
  return JsonResponse(200, json::object{{"Locations", std::move(locs)}});
}

}  // namespace muster::api
