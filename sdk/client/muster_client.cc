#include <strings.h>

#include "sdk/client/muster_client.h"

#include "common/crypto.h"
#include "sdk/client/push.h"

#include <chrono>
#include <thread>

namespace muster::client {

namespace {

constexpr std::string_view kNotPlacedYet = "NotPlacedYet";

std::string Snippet(std::string_view body) {
  std::string s(body.substr(0, 300));
  if (body.size() > 300) s += "...";
  return s;
}

// "<__type>: <message>" from an error body, or the raw body.
std::string DescribeError(const HttpResponse& r) {
  auto v = ParseJson(r.body);
  if (v.ok() && v->is_object()) {
    const json::object& o = v->as_object();
    std::string type, msg;
    if (auto* t = o.if_contains("__type"); t && t->is_string()) type = t->as_string();
    for (const char* k : {"message", "Message", "error"}) {
      if (auto* m = o.if_contains(k); m && m->is_string()) {
        msg = m->as_string();
        break;
      }
    }
    if (!type.empty() || !msg.empty()) {
      return "HTTP " + std::to_string(r.status) + " " + type + (type.empty() ? "" : ": ") + msg;
    }
  }
  return "HTTP " + std::to_string(r.status) + " " + Snippet(r.body);
}

Error ErrorFromStatus(int status, std::string message) {
  if (status == 401 || status == 403) return Error::Unauthorized(std::move(message));
  if (status == 404) return Error::NotFound(std::move(message));
  if (status == 429) return Error::LimitExceeded(std::move(message));
  if (status >= 500) return Error::Unavailable(std::move(message));
  return Error::InvalidArgument(std::move(message));
}

std::string StringOr(const json::object& o, std::string_view k) {
  auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

MusterClient::MusterClient(ClientOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

Result<json::object> MusterClient::IdentityCall(const std::string& op, const json::object& body) {
  MUSTER_ASSIGN_OR_RETURN(
      HttpResponse r,
      HttpCall(options_.endpoint, "POST", options_.endpoint.Path("/"),
               {{"Content-Type", "application/x-amz-json-1.1"},
                {"X-Amz-Target", "AWSCognitoIdentityService." + op}},
               ToJson(body), options_.http_timeout_ms));
  if (r.status != 200) return ErrorFromStatus(r.status, op + ": " + DescribeError(r));
  auto v = ParseJson(r.body);
  if (!v.ok() || !v->is_object()) {
    return Error::InvalidArgument(op + ": response is not a JSON object: " + Snippet(r.body));
  }
  return v->as_object();
}

Status MusterClient::Login() {
  MUSTER_ASSIGN_OR_RETURN(json::object id, IdentityCall("GetId", {{"IdentityPoolId", options_.pool_id}}));
  identity_id_ = StringOr(id, "IdentityId");
  if (identity_id_.empty()) return Error::InvalidArgument("GetId: no IdentityId in the response");
  MUSTER_ASSIGN_OR_RETURN(json::object cr,
                          IdentityCall("GetCredentialsForIdentity", {{"IdentityId", identity_id_}}));
  const json::value* c = cr.if_contains("Credentials");
  if (!c || !c->is_object()) {
    return Error::InvalidArgument("GetCredentialsForIdentity: no Credentials in the response");
  }
  const json::object& co = c->as_object();
  credentials_ = {StringOr(co, "AccessKeyId"), StringOr(co, "SecretKey"), StringOr(co, "SessionToken")};
  if (credentials_.access_key_id.empty() || credentials_.secret_access_key.empty()) {
    return Error::InvalidArgument("GetCredentialsForIdentity: incomplete Credentials");
  }
  if (auto* e = co.if_contains("Expiration"); e && e->is_number()) {
    expiration_ = static_cast<Millis>(e->to_number<double>() * 1000);
  }
  return OkStatus();
}

auth::SignableRequest MusterClient::BuildSigned(const std::string& method, const std::string& path,
                                                const std::string& query,
                                                const std::string& body) const {
  auth::SignableRequest req{method, options_.endpoint.Path(path), query,
                            {{"Host", options_.endpoint.HostHeader()}}, body};
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  auth::SignRequest(req, credentials_, options_.region, "execute-api", clock_.NowMillis());
  return req;
}

Result<HttpResponse> MusterClient::SignedCall(const std::string& method, const std::string& path,
                                              const std::string& query, const std::string& body) {
  if (credentials_.access_key_id.empty()) return Error::Unauthorized("not logged in: call Login()");
  auth::SignableRequest req = BuildSigned(method, path, query, body);
  std::string target = req.path + (req.query.empty() ? "" : "?" + req.query);
  return HttpCall(options_.endpoint, method, target, req.headers, req.body, options_.http_timeout_ms);
}

Result<std::vector<LocationInfo>> ParseLocations(std::string_view body) {
  auto v = ParseJson(body);
  if (!v.ok() || !v->is_object()) return Error::InvalidArgument("locations: not a JSON object");
  const json::value* list = v->as_object().if_contains("Locations");
  if (!list || !list->is_array()) return Error::InvalidArgument("locations: no Locations array");
  std::vector<LocationInfo> out;
  for (const json::value& e : list->as_array()) {
    if (!e.is_object()) return Error::InvalidArgument("locations: entries must be objects");
    LocationInfo info;
    info.location = StringOr(e.as_object(), "Location");
    std::string ping = StringOr(e.as_object(), "PingEndpoint");
    if (info.location.empty()) return Error::InvalidArgument("locations: entry without Location");
    if (!ping.empty()) {
      MUSTER_ASSIGN_OR_RETURN(auto hp, ParseHostPort(ping));
      info.ping_host = hp.first;
      info.ping_port = hp.second;
    }
    out.push_back(std::move(info));
  }
  return out;
}

Result<std::vector<LocationInfo>> MusterClient::FetchLocations() {
  MUSTER_ASSIGN_OR_RETURN(HttpResponse r, SignedCall("GET", "/v1/locations", ""));
  if (r.status != 200) return ErrorFromStatus(r.status, "GET /v1/locations: " + DescribeError(r));
  return ParseLocations(r.body);
}

Result<std::string> MusterClient::RequestMatchmaking(const std::vector<LocationLatency>& latencies) {
  MUSTER_ASSIGN_OR_RETURN(HttpResponse r,
                          SignedCall("GET", "/requestmatchmaking", LatenciesQuery(latencies)));
  if (r.status != 200) {
    return ErrorFromStatus(r.status, "GET /requestmatchmaking: " + DescribeError(r));
  }
  auto v = ParseJson(r.body);
  if (!v.ok() || !v->is_object()) {
    return Error::InvalidArgument("requestmatchmaking: not a JSON object: " + Snippet(r.body));
  }
  const json::object& o = v->as_object();
  std::string ticket = StringOr(o, "TicketId");
  if (ticket.empty()) {
    if (auto* t = o.if_contains("MatchmakingTicket"); t && t->is_object()) {
      ticket = StringOr(t->as_object(), "TicketId");
    }
  }
  if (ticket.empty()) return Error::InvalidArgument("requestmatchmaking: no TicketId in " + Snippet(r.body));
  return ticket;
}

Result<Placement> ParseMatchStatus(std::string_view body) {
  auto v = ParseJson(body);
  if (!v.ok() || !v->is_object()) {
    return Error::InvalidArgument("requestmatchstatus: not a JSON object: " + Snippet(body));
  }
  const json::object& o = v->as_object();
  std::string status = StringOr(o, "Status");
  if (status == "FAILED" || status == "CANCELLED" || status == "TIMED_OUT") {
    std::string why = StringOr(o, "StatusMessage");
    if (why.empty()) why = StringOr(o, "StatusReason");
    return Error::Conflict("matchmaking ended with status " + status + (why.empty() ? "" : ": " + why));
  }
  Placement p;
  p.player_session_id = StringOr(o, "PlayerSessionId");
  p.ip_address = StringOr(o, "IpAddress");
  p.dns_name = StringOr(o, "DnsName");
  if (auto* port = o.if_contains("Port"); port && port->is_int64()) {
    int64_t n = port->as_int64();
    if (n < 0 || n > 65535) return Error::InvalidArgument("requestmatchstatus: Port out of range");
    p.port = static_cast<std::uint16_t>(n);
  }
  if (p.player_session_id.empty()) {
    return Error::InvalidArgument("requestmatchstatus: no PlayerSessionId in " + Snippet(body));
  }
  if (p.player_session_id != kNotPlacedYet && (p.port == 0 || (p.ip_address.empty() && p.dns_name.empty()))) {
    return Error::InvalidArgument("requestmatchstatus: placed but without address or port: " + Snippet(body));
  }
  return p;
}

Result<Placement> MusterClient::WaitForPlacement(const std::string& ticket_id, int timeout_ms,
                                                 BackoffPolicy policy,
                                                 const std::function<void(const std::string&)>& on_poll) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  Backoff backoff(policy);
  auto say = [&](const std::string& s) { if (on_poll) on_poll(s); };
  bool accepted = false;
  for (;;) {
    auto r = SignedCall("GET", "/requestmatchstatus", TicketStatusQuery(ticket_id));
    if (r.ok() && r->status == 200) {
      // Muster names the ticket's status in a header, keeping the body in the published shape.
      std::string status;
      for (const auto& [name, value] : r->headers) {
        if (strcasecmp(name.c_str(), "X-Muster-Ticket-Status") == 0) status = value;
      }
      if (status == "FAILED" || status == "CANCELLED" || status == "TIMED_OUT") {
        return Error::Conflict("matchmaking ended with status " + status);
      }
      if (status == "REQUIRES_ACCEPTANCE" && options_.accept_matches && !accepted) {
        auto a = SignedCall("POST", "/v1/matchmaking/" + ticket_id + "/accept", "", R"({"accept":true})");
        // 400: the proposal ended meanwhile; the next poll tells what happened.
        if (a.ok() && (a->status == 200 || a->status == 400)) {
          accepted = a->status == 200;
          say(accepted ? "accepted the proposed match" : "the proposed match ended before it was accepted");
        } else {
          say("accepting the proposed match failed (retrying): " + (a.ok() ? DescribeError(*a) : a.error().message));
        }
      } else if (status != "REQUIRES_ACCEPTANCE") {
        accepted = false;  // a later proposal needs its own answer
      }
      MUSTER_ASSIGN_OR_RETURN(Placement p, ParseMatchStatus(r->body));
      if (p.player_session_id != kNotPlacedYet) return p;
      say("not placed yet");
    } else if (r.ok()) {
      bool retry = r->status == 429 || r->status == 502 || r->status == 503 || r->status == 504;
      std::string what = "GET /requestmatchstatus: " + DescribeError(*r);
      if (!retry) return ErrorFromStatus(r->status, what);
      say(what + " (retrying)");
    } else {
      say(r.error().message + " (retrying)");
    }
    Millis wait = backoff.Next();
    auto now = std::chrono::steady_clock::now();
    if (now + std::chrono::milliseconds(wait) >= deadline) {
      return Error::Unavailable("ticket " + ticket_id + " was not placed within " +
                                std::to_string(timeout_ms / 1000) + " s (" +
                                std::to_string(backoff.attempts()) + " polls)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(wait));
  }
}

std::string MusterClient::PresignedPushTarget(int expires_seconds) const {
  auth::SignableRequest req{"GET", "/ws", "nonce=" + Base64UrlEncode(RandomBytes(12)),
                            {{"host", options_.endpoint.HostHeader()}}, ""};
  auth::PresignRequest(req, credentials_, options_.region, "execute-api", clock_.NowMillis(), expires_seconds);
  return "/ws?" + req.query;
}

namespace {

// The placement in a MatchmakingSucceeded event's gameSessionInfo, for `player_id`.
Result<Placement> PlacementFromEvent(const json::object& detail, const std::string& player_id) {
  const json::value* info = detail.if_contains("gameSessionInfo");
  if (!info || !info->is_object()) return Error::InvalidArgument("MatchmakingSucceeded without gameSessionInfo");
  const json::object& gi = info->as_object();
  Placement p;
  p.ip_address = StringOr(gi, "ipAddress");
  p.dns_name = StringOr(gi, "dnsName");
  if (auto* port = gi.if_contains("port"); port && port->is_int64() && port->as_int64() > 0 && port->as_int64() <= 65535) {
    p.port = static_cast<std::uint16_t>(port->as_int64());
  }
  if (auto* players = gi.if_contains("players"); players && players->is_array()) {
    for (const json::value& pl : players->as_array()) {
      if (pl.is_object() && StringOr(pl.as_object(), "playerId") == player_id) {
        p.player_session_id = StringOr(pl.as_object(), "playerSessionId");
      }
    }
  }
  if (p.player_session_id.empty() || p.port == 0 || (p.ip_address.empty() && p.dns_name.empty())) {
    return Error::InvalidArgument("MatchmakingSucceeded without this player's seat: " + Snippet(ToJson(gi)));
  }
  return p;
}

}  // namespace

Result<Placement> MusterClient::MatchOverPush(const std::vector<LocationLatency>& latencies, int timeout_ms,
                                              const std::function<void(const std::string&)>& on_message) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  auto left = [&] {
    return static_cast<int>(std::max<long long>(
        1, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count()));
  };
  auto say = [&](const std::string& s) { if (on_message) on_message(s); };
  MUSTER_ASSIGN_OR_RETURN(auto ws, PushConnection::Open(options_.endpoint, PresignedPushTarget(), left()));
  json::object lat;
  for (const auto& l : latencies) lat[l.location] = l.ms;
  MUSTER_RETURN_IF_ERROR(ws->Send(ToJson(json::object{{"action", "startMatchmaking"}, {"requestId", "start"}, {"latencies", lat}})));
  std::string ticket_id;
  for (;;) {
    MUSTER_ASSIGN_OR_RETURN(std::string text, ws->Receive(left()));
    auto v = ParseJson(text);
    if (!v.ok() || !v->is_object()) return Error::InvalidArgument("push: not a JSON object: " + Snippet(text));
    const json::object& m = v->as_object();
    const std::string type = StringOr(m, "type");
    if (type == "error") {
      const json::value* e = m.if_contains("error");
      const std::string why = e && e->is_object() ? StringOr(e->as_object(), "code") + ": " + StringOr(e->as_object(), "message")
                                                  : Snippet(text);
      if (StringOr(m, "requestId") == "start") return Error::InvalidArgument("startMatchmaking refused: " + why);
      say("error: " + why);
      continue;
    }
    if (type == "reply") {
      const json::value* t = m.if_contains("ticket");
      if (StringOr(m, "requestId") == "start" && t && t->is_object()) {
        ticket_id = StringOr(t->as_object(), "ticketId");
        say("ticket " + ticket_id + " " + StringOr(t->as_object(), "status"));
      }
      continue;
    }
    const json::value* d = m.if_contains("detail");
    if (!d || !d->is_object()) continue;
    const json::object& detail = d->as_object();
    const std::string event = StringOr(detail, "type");
    say("event " + event);
    if (event == "MatchmakingSucceeded") {
      auto placed = PlacementFromEvent(detail, identity_id_);
      ws->Close();
      return placed;
    }
    if (event == "MatchmakingFailed" || event == "MatchmakingTimedOut" || event == "MatchmakingCancelled") {
      ws->Close();
      std::string why = StringOr(detail, "message");
      if (why.empty()) why = StringOr(detail, "reason");
      return Error::Conflict("matchmaking ended: " + event + (why.empty() ? "" : " (" + why + ")"));
    }
    if (event == "PotentialMatchCreated" && options_.accept_matches && !ticket_id.empty()) {
      const json::value* required = detail.if_contains("acceptanceRequired");
      if (required && required->is_bool() && required->as_bool()) {
        MUSTER_RETURN_IF_ERROR(ws->Send(ToJson(json::object{{"action", "acceptMatch"}, {"ticketId", ticket_id}, {"accept", true}})));
        say("accepted the proposed match");
      }
    }
  }
}

}  // namespace muster::client
