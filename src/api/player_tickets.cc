#include "api/player_tickets.h"

#include <algorithm>

#include "auth/sigv4.h"
#include "common/time_util.h"
#include "identity/identity_service.h"
#include "identity/player_data.h"
#include "matchmaking/attribute.h"
#include "common/ascii.h"

namespace muster::api {

json::object PlayerTicketJson(const matchmaking::Ticket& t) {
  json::object o{{"ticketId", t.ticket_id},
                 {"configurationName", t.configuration_name},
                 {"status", matchmaking::TicketStatusName(t.status)},
                 {"startTime", FormatIso8601(t.start_time)}};
  if (!t.status_reason.empty()) o["statusReason"] = t.status_reason;
  if (!t.status_message.empty()) o["statusMessage"] = t.status_message;
  if (t.end_time) o["endTime"] = FormatIso8601(t.end_time);
  if (!matchmaking::IsTerminal(t.status) && t.estimated_wait_ms >= 0) {
    o["estimatedWaitSeconds"] = (t.estimated_wait_ms + 999) / 1000;
  }
  if (t.status == matchmaking::TicketStatus::kRequiresAcceptance) {
    o["acceptanceDeadline"] = FormatIso8601(t.acceptance_deadline);
  }
  if (!t.game_session_arn.empty()) {
    std::string psess;
    for (const auto& m : t.matched_player_sessions) psess = m.player_session_id;  // one player per client ticket
    o["connection"] = json::object{{"gameSessionArn", t.game_session_arn},
                                   {"ipAddress", t.ip_address},
                                   {"dnsName", t.dns_name},
                                   {"port", t.port},
                                   {"playerSessionId", psess}};
  }
  return o;
}

Result<std::map<std::string, int>> LatenciesFromJson(const json::value* latencies, const std::string& path,
                                                     int max_ms) {
  std::map<std::string, int> out;
  if (!latencies || latencies->is_null()) return out;
  if (!latencies->is_object()) return Error::InvalidArgument(path + ": must be an object of {\"<location>\": ms}");
  const json::object& lat = latencies->as_object();
  if (lat.size() > 64) return Error::InvalidArgument(path + ": at most 64 locations");
  JsonObjectReader lr(*latencies, path, /*strict=*/false);
  for (const auto& kv : lat) {
    if (kv.key().empty() || kv.key().size() > 64) {
      return Error::InvalidArgument(path + ": location names are 1 to 64 characters");
    }
    auto ms = lr.Int(kv.key(), true, 0, max_ms);
    if (!ms) return lr.Finish().error();
    out[std::string(kv.key())] = static_cast<int>(*ms);
  }
  return out;
}

PlayerTickets::PlayerTickets(node::Node& node, identity::IdentityService& identities,
                             identity::PlayerDataService& players, const Clock& clock, PlayerTicketsOptions options)
    : node_(node),
      identities_(identities),
      players_(players),
      clock_(clock),
      options_(std::move(options)),
      ticket_limiter_(options_.tickets_per_player),
      address_ticket_limiter_(options_.tickets_per_address) {}

Result<PlayerTickets::Authenticated> PlayerTickets::Authenticate(const net::HttpRequest& request, bool allow_bearer) {
  if (allow_bearer) {
    const std::string* authorization = request.Header("authorization");
    if (authorization && authorization->size() > 7 && AsciiIEquals(std::string_view(*authorization).substr(0, 7), "bearer ")) {
      MUSTER_ASSIGN_OR_RETURN(std::string identity, identities_.VerifyOpenIdToken(std::string_view(*authorization).substr(7)));
      return Authenticated{std::move(identity), "", 0, 0};
    }
  }
  auth::SignableRequest sr{request.method, request.path, request.query, request.headers, request.body};
  std::string identity;
  auth::SecretLookup lookup = [&](std::string_view ak) -> Result<auth::SecretLookupResult> {
    MUSTER_ASSIGN_OR_RETURN(auto info, identities_.LookupAccessKey(ak));
    identity = info.identity_id;
    return auth::SecretLookupResult{info.secret_key, info.session_token};
  };
  auth::VerifyOptions opt{"execute-api", options_.region, options_.max_skew_ms};
  MUSTER_ASSIGN_OR_RETURN(auto verified, auth::VerifyRequest(sr, lookup, opt, clock_.NowMillis()));
  if (identity.empty()) return Error::Unauthorized("the credentials are not bound to an identity");
  return Authenticated{std::move(identity), std::move(verified.signature), verified.valid_until,
                       verified.presigned_expires_seconds};
}

void PlayerTickets::Start(const std::string& identity, const std::string& address, const std::string& configuration,
                          std::map<std::string, int> latencies, TicketDone done) {
  // Rate limits and player data here (both thread-safe); the configuration's locations and the
  // ticket itself on the thread of the configuration's matchmaking side.
  const std::string name = configuration.empty() ? options_.configuration : configuration;
  if (name != options_.configuration &&
      std::find(options_.client_configurations.begin(), options_.client_configurations.end(), name) ==
          options_.client_configurations.end()) {
    return done(Error::NotFound("configuration '" + name + "' does not exist"));
  }
  auto player = StartingPlayer(identity, address, std::move(latencies));
  if (!player.ok()) return done(player.take_error());
  node_.RunOnConfiguration(name, [this, name, identity, player = std::move(player).value(), done = std::move(done)]() mutable {
    auto st = CheckLocations(name, player.latency_ms);
    if (!st.ok()) return done(st.error());
    node_.tickets().StartMatchmakingAsync(name, {std::move(player)}, identity, "", std::move(done));
  });
}

Status PlayerTickets::CheckLocations(const std::string& configuration, const std::map<std::string, int>& latencies) const {
  MUSTER_ASSIGN_OR_RETURN(auto locations, node_.tickets().ConfigurationLocations(configuration));
  for (const auto& [loc, ms] : latencies) {
    // A STANDALONE configuration places nothing: any location name the game uses is fine.
    if (!locations.empty() && std::find(locations.begin(), locations.end(), loc) == locations.end()) {
      std::string known;
      for (const auto& l : locations) known += (known.empty() ? "" : ", ") + l;
      return Error::InvalidArgument("latencies: unknown location '" + loc + "' (known: " + known + ")");
    }
  }
  return OkStatus();
}

Result<matchmaking::PlayerInput> PlayerTickets::StartingPlayer(const std::string& identity, const std::string& address,
                                                               std::map<std::string, int> latencies) {
  // Each ticket is a row kept for the ticket retention: a player (or an address making players in
  // turn) that starts and cancels in a loop is slowed down, not stored without bound.
  const Millis now = clock_.NowMillis();
  const std::string from = ClientKey(address);
  if (!ticket_limiter_.Allow(identity, now)) {
    return Error::LimitExceeded("too many matchmaking requests from this player; retry in " +
                                std::to_string(ticket_limiter_.RetryAfterSeconds(identity, now)) + " s");
  }
  if (!address_ticket_limiter_.Allow(from, now)) {
    return Error::LimitExceeded("too many matchmaking requests from your address; retry in " +
                                std::to_string(address_ticket_limiter_.RetryAfterSeconds(from, now)) + " s");
  }
  MUSTER_ASSIGN_OR_RETURN(json::object data, players_.GetOrCreate(identity));
  matchmaking::PlayerInput player;
  player.player_id = identity;
  player.latency_ms = std::move(latencies);
  for (const auto& kv : data) {
    auto v = matchmaking::ParseAttributeValue(kv.value(), "playerData." + std::string(kv.key()));
    if (!v.ok()) return Error::Internal("stored player data is invalid: " + v.error().message);
    player.attributes[std::string(kv.key())] = std::move(v).value();
  }
  return player;
}

Result<matchmaking::Ticket> PlayerTickets::Get(const std::string& identity, const std::string& ticket_id) {
  // Another player's ticket answers exactly as an unknown one: the API is no oracle for which
  // ticket ids exist.
  auto t = node_.tickets().GetTicket(ticket_id);
  if (!t.ok() && t.error().code != ErrorCode::kNotFound) return t;
  if (!t.ok() || t->owner != identity) return Error::NotFound("ticket " + ticket_id + " does not exist");
  return t;
}

void PlayerTickets::Cancel(const std::string& identity, const std::string& ticket_id, TicketDone done) {
  node_.RunOnTicket(ticket_id, [this, identity, ticket_id, done = std::move(done)] {
    auto t = Get(identity, ticket_id);
    if (t.ok()) t = node_.tickets().StopMatchmaking(ticket_id);
    done(std::move(t));
  });
}

void PlayerTickets::Accept(const std::string& identity, const std::string& ticket_id, bool accept, TicketDone done) {
  node_.RunOnTicket(ticket_id, [this, identity, ticket_id, accept, done = std::move(done)] {
    auto t = Get(identity, ticket_id);
    if (!t.ok()) return done(std::move(t));
    // A client answers only for itself: its identity is the ticket's player.
    auto st = node_.tickets().AcceptMatch(ticket_id, {identity}, accept);
    if (!st.ok()) return done(st.error());
    done(node_.tickets().GetTicket(ticket_id));
  });
}

}  // namespace muster::api
