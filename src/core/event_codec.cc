#include "core/event_codec.h"

namespace muster::core {

namespace {

// The topic of each kind of notice.
constexpr const char* Topic(const GameSessionActivated&) { return "fleet"; }
constexpr const char* Topic(const GameSessionFailed&) { return "fleet"; }
constexpr const char* Topic(const GameSessionEnded&) { return "fleet"; }
constexpr const char* Topic(const PlacementFulfilled&) { return "placement"; }
constexpr const char* Topic(const PlacementEnded&) { return "placement"; }
constexpr const char* Topic(const MatchmakingEvent&) { return "matchmaking"; }
constexpr const char* Topic(const PlacementRequested&) { return "placement-requests"; }
constexpr const char* Topic(const BackfillRequested&) { return "placement-requests"; }
constexpr const char* Topic(const PlacementStopRequested&) { return "placement-requests"; }
constexpr const char* Topic(const BackfillStatus&) { return "fleet-requests"; }
constexpr const char* Topic(const PlacementRepeated&) { return "placement-repeats"; }

}  // namespace

const char* TopicOf(const Notice& n) {
  return std::visit([](const auto& e) { return Topic(e); }, n);
}

const char* PlacementEndedType(PlacementEnded::Kind k) {
  switch (k) {
    case PlacementEnded::Kind::kTimedOut:
      return "PlacementTimedOut";
    case PlacementEnded::Kind::kCancelled:
      return "PlacementCancelled";
    case PlacementEnded::Kind::kFailed:
      break;
  }
  return "PlacementFailed";
}

namespace {

Error Bad(std::string_view what, std::string_view field, std::string_view want) {
  return Error::InvalidArgument(std::string(what) + ": field '" + std::string(field) + "' is missing or not " +
                                std::string(want));
}

// Reads a string field; false (and *err set) when missing or not a string.
bool Str(const json::object& o, std::string_view what, std::string_view key, std::string* out, Error* err) {
  auto* v = o.if_contains(key);
  if (!v || !v->is_string()) {
    *err = Bad(what, key, "a string");
    return false;
  }
  *out = std::string(v->get_string());
  return true;
}

bool Int(const json::object& o, std::string_view what, std::string_view key, int* out, Error* err) {
  auto* v = o.if_contains(key);
  if (!v || !v->is_int64() || v->get_int64() < 0 || v->get_int64() > 65535) {
    *err = Bad(what, key, "a port number");
    return false;
  }
  *out = static_cast<int>(v->get_int64());
  return true;
}

bool Obj(const json::object& o, std::string_view what, std::string_view key, const json::object** out,
         Error* err) {
  auto* v = o.if_contains(key);
  if (!v || !v->is_object()) {
    *err = Bad(what, key, "an object");
    return false;
  }
  *out = &v->get_object();
  return true;
}

bool Arr(const json::object& o, std::string_view what, std::string_view key, const json::array** out,
         Error* err) {
  auto* v = o.if_contains(key);
  if (!v || !v->is_array()) {
    *err = Bad(what, key, "an array");
    return false;
  }
  *out = &v->get_array();
  return true;
}

json::array SessionsJson(const std::vector<PlayerSessionRef>& v) {
  json::array out;
  for (const auto& s : v) out.push_back(json::object{{"playerId", s.player_id}, {"playerSessionId", s.player_session_id}});
  return out;
}

Result<Notice> PlacementFrom(const json::object& d) {
  constexpr std::string_view kWhat = "placement event";
  Error err = Error::Internal("");
  std::string type;
  if (!Str(d, kWhat, "type", &type, &err)) return err;
  if (type == "PlacementFulfilled") {
    PlacementFulfilled e;
    const json::array* sessions = nullptr;
    if (!Str(d, kWhat, "placementId", &e.placement_id, &err) ||
        !Str(d, kWhat, "gameSessionArn", &e.endpoint.game_session_arn, &err) ||
        !Str(d, kWhat, "ipAddress", &e.endpoint.ip_address, &err) ||
        !Str(d, kWhat, "dnsName", &e.endpoint.dns_name, &err) || !Int(d, kWhat, "port", &e.endpoint.port, &err) ||
        !Str(d, kWhat, "location", &e.endpoint.location, &err) ||
        !Arr(d, kWhat, "placedPlayerSessions", &sessions, &err)) {
      return err;
    }
    for (std::size_t i = 0; i < sessions->size(); ++i) {
      const auto& s = (*sessions)[i];
      PlayerSessionRef r;
      std::string where = "placedPlayerSessions[" + std::to_string(i) + "]";
      if (!s.is_object()) return Bad(kWhat, where, "an object");
      if (!Str(s.get_object(), kWhat, "playerId", &r.player_id, &err) ||
          !Str(s.get_object(), kWhat, "playerSessionId", &r.player_session_id, &err)) {
        return Error::InvalidArgument(where + ": " + err.message);
      }
      e.placed_player_sessions.push_back(std::move(r));
    }
    return Notice(std::move(e));
  }
  PlacementEnded e;
  if (type == "PlacementTimedOut") e.kind = PlacementEnded::Kind::kTimedOut;
  else if (type == "PlacementCancelled") e.kind = PlacementEnded::Kind::kCancelled;
  else if (type == "PlacementFailed") e.kind = PlacementEnded::Kind::kFailed;
  else return Error::InvalidArgument("placement event: unknown type '" + type + "'");
  if (!Str(d, kWhat, "placementId", &e.placement_id, &err) || !Str(d, kWhat, "reason", &e.reason, &err)) return err;
  return Notice(std::move(e));
}

}  // namespace

json::object PlacementDetail(const PlacementFulfilled& e) {
  return json::object{{"type", "PlacementFulfilled"},
                      {"placementId", e.placement_id},
                      {"gameSessionArn", e.endpoint.game_session_arn},
                      {"ipAddress", e.endpoint.ip_address},
                      {"dnsName", e.endpoint.dns_name},
                      {"port", e.endpoint.port},
                      {"location", e.endpoint.location},
                      {"placedPlayerSessions", SessionsJson(e.placed_player_sessions)}};
}

json::object PlacementDetail(const PlacementEnded& e) {
  return json::object{{"type", PlacementEndedType(e.kind)}, {"placementId", e.placement_id}, {"reason", e.reason}};
}

Result<MatchmakingEvent> MatchmakingEventFrom(const json::object& envelope, std::string_view body) {
  constexpr std::string_view kWhat = "matchmaking event";
  Error err = Error::Internal("");
  MatchmakingEvent e;
  const json::object* detail = nullptr;
  const json::array* tickets = nullptr;
  if (!Obj(envelope, kWhat, "detail", &detail, &err)) return err;
  if (!Str(*detail, kWhat, "type", &e.type, &err)) return Bad(kWhat, "detail.type", "a string");
  if (!Arr(*detail, kWhat, "tickets", &tickets, &err)) return Bad(kWhat, "detail.tickets", "an array");
  for (std::size_t i = 0; i < tickets->size(); ++i) {
    std::string where = "detail.tickets[" + std::to_string(i) + "]";
    const auto& t = (*tickets)[i];
    if (!t.is_object()) return Bad(kWhat, where, "an object");
    std::string id;
    const json::array* players = nullptr;
    if (!Str(t.get_object(), kWhat, "ticketId", &id, &err)) return Bad(kWhat, where + ".ticketId", "a string");
    if (!Arr(t.get_object(), kWhat, "players", &players, &err)) return Bad(kWhat, where + ".players", "an array");
    e.ticket_ids.push_back(std::move(id));
    for (std::size_t j = 0; j < players->size(); ++j) {
      const auto& p = (*players)[j];
      std::string pid;
      if (!p.is_object() || !Str(p.get_object(), kWhat, "playerId", &pid, &err)) {
        return Bad(kWhat, where + ".players[" + std::to_string(j) + "].playerId", "a string");
      }
      e.player_ids.push_back(std::move(pid));
    }
  }
  e.body = body;
  return e;
}

Result<Notice> DecodeOutboxEvent(std::string_view topic, std::string_view body) {
  auto parsed = ParseJson(body);
  if (!parsed.ok()) return Error::InvalidArgument(std::string(topic) + " event: " + parsed.error().message);
  if (!parsed->is_object()) return Error::InvalidArgument(std::string(topic) + " event: not a JSON object");
  if (topic == "placement") return PlacementFrom(parsed->get_object());
  if (topic == "matchmaking") {
    MUSTER_ASSIGN_OR_RETURN(auto e, MatchmakingEventFrom(parsed->get_object(), body));
    return Notice(std::move(e));
  }
  return Error::InvalidArgument("outbox event of unknown topic '" + std::string(topic) + "'");
}

const Notice* LazyNotice::get() {
  if (!decoded_) decoded_.emplace(DecodeOutboxEvent(topic_, body_));
  return decoded_->ok() ? &**decoded_ : nullptr;
}

const Error* LazyNotice::error() const {
  return decoded_ && !decoded_->ok() ? &decoded_->error() : nullptr;
}

}  // namespace muster::core
