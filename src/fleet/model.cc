#include "fleet/model.h"

#include "common/crypto.h"

namespace muster::fleet {

namespace {

Result<json::object> BodyOf(const store::Row& row) { return ParseStoredObject(row.body, "row " + row.id); }

template <class E>
E StatusFrom(std::string_view s, const char* (*name)(E), std::initializer_list<E> all, E dflt) {
  for (E e : all) {
    if (s == name(e)) return e;
  }
  return dflt;
}

store::Row MakeRow(std::string id, std::string index, std::string status, const json::object& body,
                   Millis now) {
  store::Row r;
  r.id = std::move(id);
  r.index = std::move(index);
  r.status = std::move(status);
  r.body = ToJson(body);
  r.updated = now;
  return r;
}

}  // namespace

Status CheckComputeToken(const Compute* compute, std::string_view fleet_id, std::string_view compute_name,
                         std::string_view token, Millis now) {
  if (!compute) {
    return Error::Forbidden("compute '" + std::string(compute_name) + "' is not registered in fleet '" +
                            std::string(fleet_id) + "'");
  }
  if (token.empty() || !ConstantTimeEquals(token, compute->auth_token)) {
    return Error::Unauthorized("invalid auth token for compute '" + std::string(compute_name) + "'");
  }
  if (compute->auth_token_expiry != 0 && now > compute->auth_token_expiry) {
    return Error::Unauthorized("auth token for compute '" + std::string(compute_name) + "' has expired");
  }
  return OkStatus();
}

const char* ProcessStatusName(ProcessStatus s) {
  switch (s) {
    case ProcessStatus::kConnected: return "CONNECTED";
    case ProcessStatus::kActive: return "ACTIVE";
    case ProcessStatus::kTerminated: return "TERMINATED";
  }
  return "?";
}

const char* GameSessionStatusName(GameSessionStatus s) {
  switch (s) {
    case GameSessionStatus::kActivating: return "ACTIVATING";
    case GameSessionStatus::kActive: return "ACTIVE";
    case GameSessionStatus::kTerminating: return "TERMINATING";
    case GameSessionStatus::kTerminated: return "TERMINATED";
    case GameSessionStatus::kError: return "ERROR";
  }
  return "?";
}

const char* PlayerSessionStatusName(PlayerSessionStatus s) {
  switch (s) {
    case PlayerSessionStatus::kReserved: return "RESERVED";
    case PlayerSessionStatus::kActive: return "ACTIVE";
    case PlayerSessionStatus::kCompleted: return "COMPLETED";
    case PlayerSessionStatus::kTimedOut: return "TIMEDOUT";
  }
  return "?";
}

store::Row ComputeRow(const Compute& c, Millis now) {
  json::object o{{"FleetId", c.fleet_id},     {"ComputeName", c.compute_name},
                 {"Location", c.location},    {"IpAddress", c.ip_address},
                 {"DnsName", c.dns_name},     {"AuthToken", c.auth_token},
                 {"AuthTokenExpiry", c.auth_token_expiry}};
  return MakeRow(c.Key(), c.fleet_id, "ACTIVE", o, now);
}

Result<Compute> ComputeFromRow(const store::Row& row) {
  MUSTER_ASSIGN_OR_RETURN(json::object o, BodyOf(row));
  Compute c;
  c.fleet_id = StringOr(o, "FleetId");
  c.compute_name = StringOr(o, "ComputeName");
  c.location = StringOr(o, "Location");
  c.ip_address = StringOr(o, "IpAddress");
  c.dns_name = StringOr(o, "DnsName");
  c.auth_token = StringOr(o, "AuthToken");
  c.auth_token_expiry = IntOr(o, "AuthTokenExpiry");
  return c;
}

store::Row ProcessRow(const Process& p, Millis now) {
  json::object o{{"FleetId", p.fleet_id},         {"ComputeName", p.compute_name},
                 {"ProcessId", p.process_id},     {"Location", p.location},
                 {"IpAddress", p.ip_address},     {"DnsName", p.dns_name},
                 {"Port", p.port},                {"Healthy", p.healthy},
                 {"LastSeen", p.last_seen},       {"GameSessionId", p.game_session_id},
                 {"SdkVersion", p.sdk_version},   {"SdkLanguage", p.sdk_language}};
  return MakeRow(p.Key(), p.fleet_id, ProcessStatusName(p.status), o, now);
}

Result<Process> ProcessFromRow(const store::Row& row) {
  MUSTER_ASSIGN_OR_RETURN(json::object o, BodyOf(row));
  Process p;
  p.fleet_id = StringOr(o, "FleetId");
  p.compute_name = StringOr(o, "ComputeName");
  p.process_id = StringOr(o, "ProcessId");
  p.location = StringOr(o, "Location");
  p.ip_address = StringOr(o, "IpAddress");
  p.dns_name = StringOr(o, "DnsName");
  p.port = static_cast<int>(IntOr(o, "Port"));
  p.healthy = BoolOr(o, "Healthy", true);
  p.last_seen = IntOr(o, "LastSeen");
  p.game_session_id = StringOr(o, "GameSessionId");
  p.sdk_version = StringOr(o, "SdkVersion");
  p.sdk_language = StringOr(o, "SdkLanguage");
  p.status = StatusFrom(row.status, ProcessStatusName,
                        {ProcessStatus::kConnected, ProcessStatus::kActive,
                         ProcessStatus::kTerminated},
                        ProcessStatus::kTerminated);
  return p;
}

store::Row GameSessionRow(const GameSession& g, Millis now) {
  json::array props;
  for (const auto& [k, v] : g.game_properties) props.push_back(json::object{{"Key", k}, {"Value", v}});
  json::array desired;
  for (const auto& d : g.desired_players) {
    desired.push_back(json::object{{"PlayerId", d.player_id}, {"PlayerData", d.player_data}});
  }
  json::array psids;
  for (const auto& id : g.player_session_ids) psids.push_back(json::value(id));
  json::object o{{"GameSessionId", g.game_session_id},
                 {"Name", g.name},
                 {"FleetId", g.fleet_id},
                 {"Location", g.location},
                 {"ProcessKey", g.process_key},
                 {"IpAddress", g.ip_address},
                 {"DnsName", g.dns_name},
                 {"Port", g.port},
                 {"MaximumPlayerSessionCount", g.max_players},
                 {"StatusReason", g.status_reason},
                 {"CreationTime", g.creation_time},
                 {"ActivationDeadline", g.activation_deadline},
                 {"TerminationTime", g.termination_time},
                 {"PlacementId", g.placement_id},
                 {"MatchmakerData", g.matchmaker_data},
                 {"GameSessionData", g.game_session_data},
                 {"GameProperties", std::move(props)},
                 {"DesiredPlayerSessions", std::move(desired)},
                 {"PlayerSessionIds", std::move(psids)},
                 {"PlayerSessionCreationPolicy", g.player_session_policy}};
  return MakeRow(g.game_session_id, g.process_key, GameSessionStatusName(g.status), o, now);
}

Result<GameSession> GameSessionFromRow(const store::Row& row) {
  MUSTER_ASSIGN_OR_RETURN(json::object o, BodyOf(row));
  GameSession g;
  g.game_session_id = StringOr(o, "GameSessionId");
  g.name = StringOr(o, "Name");
  g.fleet_id = StringOr(o, "FleetId");
  g.location = StringOr(o, "Location");
  g.process_key = StringOr(o, "ProcessKey");
  g.ip_address = StringOr(o, "IpAddress");
  g.dns_name = StringOr(o, "DnsName");
  g.port = static_cast<int>(IntOr(o, "Port"));
  g.max_players = static_cast<int>(IntOr(o, "MaximumPlayerSessionCount"));
  g.status_reason = StringOr(o, "StatusReason");
  g.creation_time = IntOr(o, "CreationTime");
  g.activation_deadline = IntOr(o, "ActivationDeadline");
  g.termination_time = IntOr(o, "TerminationTime");
  g.placement_id = StringOr(o, "PlacementId");
  g.matchmaker_data = StringOr(o, "MatchmakerData");
  g.game_session_data = StringOr(o, "GameSessionData");
  g.player_session_policy = StringOr(o, "PlayerSessionCreationPolicy", "ACCEPT_ALL");
  if (auto* a = o.if_contains("GameProperties"); a && a->is_array()) {
    for (const auto& p : a->get_array()) {
      if (p.is_object()) g.game_properties.emplace_back(StringOr(p.get_object(), "Key"), StringOr(p.get_object(), "Value"));
    }
  }
  if (auto* a = o.if_contains("DesiredPlayerSessions"); a && a->is_array()) {
    for (const auto& p : a->get_array()) {
      if (p.is_object()) g.desired_players.push_back({StringOr(p.get_object(), "PlayerId"), StringOr(p.get_object(), "PlayerData")});
    }
  }
  if (auto* a = o.if_contains("PlayerSessionIds"); a && a->is_array()) {
    for (const auto& p : a->get_array()) {
      if (p.is_string()) g.player_session_ids.emplace_back(p.get_string());
    }
  }
  g.status = StatusFrom(row.status, GameSessionStatusName,
                        {GameSessionStatus::kActivating, GameSessionStatus::kActive,
                         GameSessionStatus::kTerminating, GameSessionStatus::kTerminated,
                         GameSessionStatus::kError},
                        GameSessionStatus::kError);
  return g;
}

store::Row PlayerSessionRow(const PlayerSession& s, Millis now) {
  json::object o{{"PlayerSessionId", s.player_session_id}, {"PlayerId", s.player_id},
                 {"GameSessionId", s.game_session_id},     {"FleetId", s.fleet_id},
                 {"PlayerData", s.player_data},            {"CreationTime", s.creation_time},
                 {"TerminationTime", s.termination_time}};
  return MakeRow(s.player_session_id, s.game_session_id, PlayerSessionStatusName(s.status), o, now);
}

Result<PlayerSession> PlayerSessionFromRow(const store::Row& row) {
  MUSTER_ASSIGN_OR_RETURN(json::object o, BodyOf(row));
  PlayerSession s;
  s.player_session_id = StringOr(o, "PlayerSessionId");
  s.player_id = StringOr(o, "PlayerId");
  s.game_session_id = StringOr(o, "GameSessionId");
  s.fleet_id = StringOr(o, "FleetId");
  s.player_data = StringOr(o, "PlayerData");
  s.creation_time = IntOr(o, "CreationTime");
  s.termination_time = IntOr(o, "TerminationTime");
  s.status = StatusFrom(row.status, PlayerSessionStatusName,
                        {PlayerSessionStatus::kReserved, PlayerSessionStatus::kActive,
                         PlayerSessionStatus::kCompleted, PlayerSessionStatus::kTimedOut},
                        PlayerSessionStatus::kCompleted);
  return s;
}

}  // namespace muster::fleet
