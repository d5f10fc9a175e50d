#include "fleet/protocol.h"

#include <cmath>

namespace muster::fleet {
namespace {

constexpr std::size_t kMaxIdLen = 1024;
constexpr std::size_t kMaxTextLen = 4096;
constexpr std::size_t kMaxBigTextLen = 512 * 1024;  // GameSessionData, MatchmakerData
constexpr std::size_t kMaxDepth = 16;

// Action names, in ClientRequest variant order.
constexpr std::string_view kRequestActions[] = {
    "ActivateServerProcess", "HeartbeatServerProcess", "ActivateGameSession",
    "UpdatePlayerSessionCreationPolicy", "AcceptPlayerSession", "RemovePlayerSession",
    "DescribePlayerSessions", "StartMatchBackfill", "StopMatchBackfill",
    "GetComputeCertificate", "GetFleetRoleCredentials", "TerminateServerProcess"};
static_assert(std::size(kRequestActions) == std::variant_size_v<ClientRequest>);

constexpr std::string_view kPushActions[] = {"CreateGameSession", "UpdateGameSession",
                                             "TerminateProcess", "RefreshConnection"};

json::string_view Sv(std::string_view s) { return json::string_view(s.data(), s.size()); }
json::value Str(std::string_view s) { return json::value(Sv(s)); }

// ---------- decoding helpers ----------

std::string Req(JsonObjectReader& r, std::string_view key, std::size_t max = kMaxIdLen) {
  return r.String(key, true, max).value_or("");
}
std::string Opt(JsonObjectReader& r, std::string_view key, std::size_t max = kMaxTextLen) {
  return r.String(key, false, max).value_or("");
}
int IntField(JsonObjectReader& r, std::string_view key, bool required, std::int64_t min = 0,
             std::int64_t max = INT32_MAX) {
  return static_cast<int>(r.Int(key, required, min, max).value_or(0));
}

std::map<std::string, std::string> StringMap(JsonObjectReader& r, std::string_view key) {
  std::map<std::string, std::string> out;
  const json::object* o = r.Object(key);
  if (!o) return out;
  for (const auto& kv : *o) {
    std::string k(kv.key().data(), kv.key().size());
    if (!kv.value().is_string()) {
      r.Fail(key, "value of \"" + k + "\" must be a string");
      return {};
    }
    const auto& s = kv.value().get_string();
    out.emplace(std::move(k), std::string(s.data(), s.size()));
  }
  return out;
}

std::vector<std::string> StringList(JsonObjectReader& r, std::string_view key) {
  std::vector<std::string> out;
  const json::array* a = r.Array(key);
  if (!a) return out;
  for (std::size_t i = 0; i < a->size(); ++i) {
    if (!(*a)[i].is_string()) {
      r.Fail(key, "element " + std::to_string(i) + " must be a string");
      return {};
    }
    const auto& s = (*a)[i].get_string();
    out.emplace_back(s.data(), s.size());
  }
  return out;
}

Status ReadAttribute(const json::value& v, const std::string& path, AttributeValue* out) {
  JsonObjectReader r(v, path, /*strict=*/false);
  out->attr_type = r.String("AttrType", false, 32).value_or("NONE");
  out->s = r.String("S", false, kMaxTextLen);
  out->n = r.Number("N");
  if (r.has("SL")) out->sl = StringList(r, "SL");
  if (const json::object* sdm = r.Object("SDM")) {
    std::map<std::string, double> m;
    for (const auto& kv : *sdm) {
      const json::value& x = kv.value();
      double d = x.is_double() ? x.get_double()
                 : x.is_int64() ? static_cast<double>(x.get_int64())
                 : x.is_uint64() ? static_cast<double>(x.get_uint64())
                                 : NAN;
      if (!std::isfinite(d)) {
        r.Fail("SDM", "values must be finite numbers");
        break;
      }
      m.emplace(std::string(kv.key().data(), kv.key().size()), d);
    }
    out->sdm = std::move(m);
  }
  static constexpr std::string_view kTypes[] = {"NONE", "STRING", "DOUBLE", "STRING_LIST",
                                                "STRING_DOUBLE_MAP"};
  bool known = false;
  for (auto t : kTypes) known = known || out->attr_type == t;
  if (!known) r.Fail("AttrType", "must be one of NONE, STRING, DOUBLE, STRING_LIST, STRING_DOUBLE_MAP");
  return r.Finish();
}

Status ReadPlayer(const json::value& v, const std::string& path, BackfillPlayer* out) {
  JsonObjectReader r(v, path, /*strict=*/false);
  out->player_id = Req(r, "PlayerId");
  out->team = r.String("Team", false, kMaxIdLen);
  if (const json::object* attrs = r.Object("PlayerAttributes")) {
    for (const auto& kv : *attrs) {
      std::string name(kv.key().data(), kv.key().size());
      AttributeValue a;
      MUSTER_RETURN_IF_ERROR(ReadAttribute(kv.value(), JoinPath(r.PathOf("PlayerAttributes"), name), &a));
      out->player_attributes.emplace(std::move(name), std::move(a));
    }
  }
  if (const json::object* lat = r.Object("LatencyInMs")) {
    for (const auto& kv : *lat) {
      std::string loc(kv.key().data(), kv.key().size());
      const json::value& x = kv.value();
      if (!x.is_int64() || x.get_int64() < 0) {
        r.Fail("LatencyInMs", "value of \"" + loc + "\" must be a non-negative integer");
        break;
      }
      out->latency_in_ms.emplace(std::move(loc), x.get_int64());
    }
  }
  return r.Finish();
}

Result<ClientRequest> ReadRequest(std::size_t index, JsonObjectReader& r) {
  switch (index) {
    case 0: {
      ActivateServerProcess m;
      m.sdk_version = Req(r, "SdkVersion", 64);
      m.sdk_language = Req(r, "SdkLanguage", 64);
      m.sdk_tool_name = r.String("SdkToolName", false, 128);
      m.sdk_tool_version = r.String("SdkToolVersion", false, 128);
      m.port = IntField(r, "Port", true, 0, 65535);
      m.log_paths = StringList(r, "LogPaths");
      return ClientRequest(std::move(m));
    }
    case 1: {
      HeartbeatServerProcess m;
      m.health_status = r.Bool("HealthStatus", true).value_or(false);
      return ClientRequest(m);
    }
    case 2:
      return ClientRequest(ActivateGameSession{Req(r, "GameSessionId")});
    case 3: {
      UpdatePlayerSessionCreationPolicy m;
      m.game_session_id = Req(r, "GameSessionId");
      m.player_session_policy = Req(r, "PlayerSessionPolicy", 32);
      if (!r.failed() && m.player_session_policy != "ACCEPT_ALL" &&
          m.player_session_policy != "DENY_ALL") {
        r.Fail("PlayerSessionPolicy", "must be ACCEPT_ALL or DENY_ALL");
      }
      return ClientRequest(std::move(m));
    }
    case 4:
      return ClientRequest(AcceptPlayerSession{Req(r, "GameSessionId"), Req(r, "PlayerSessionId")});
    case 5:
      return ClientRequest(RemovePlayerSession{Req(r, "GameSessionId"), Req(r, "PlayerSessionId")});
    case 6: {
      DescribePlayerSessions m;
      m.game_session_id = r.String("GameSessionId", false, kMaxIdLen);
      m.player_id = r.String("PlayerId", false, kMaxIdLen);
      m.player_session_id = r.String("PlayerSessionId", false, kMaxIdLen);
      m.player_session_status_filter = r.String("PlayerSessionStatusFilter", false, kMaxIdLen);
      m.next_token = r.String("NextToken", false, kMaxIdLen);
      if (auto l = r.Int("Limit", false, 0, INT32_MAX)) m.limit = static_cast<int>(*l);
      return ClientRequest(std::move(m));
    }
    case 7: {
      StartMatchBackfill m;
      m.ticket_id = r.String("TicketId", false, 128);
      m.game_session_arn = Req(r, "GameSessionArn");
      m.matchmaking_configuration_arn = Req(r, "MatchmakingConfigurationArn");
      const json::array* players = r.Array("Players", true);
      if (players && !r.failed()) {
        for (std::size_t i = 0; i < players->size(); ++i) {
          BackfillPlayer p;
          MUSTER_RETURN_IF_ERROR(ReadPlayer((*players)[i], IndexPath("Players", i), &p));
          m.players.push_back(std::move(p));
        }
      }
      return ClientRequest(std::move(m));
    }
    case 8:
      return ClientRequest(StopMatchBackfill{Req(r, "GameSessionArn"),
                                             Req(r, "MatchmakingConfigurationArn"),
                                             Req(r, "TicketId", 128)});
    case 9:
      return ClientRequest(GetComputeCertificate{});
    case 10: {
      GetFleetRoleCredentials m;
      if (r.has("RoleArnm") && !r.has("RoleArn")) {
        m.role_arn = Req(r, "RoleArnm", 2048);
      } else {
        r.Allow("RoleArnm");
        m.role_arn = Req(r, "RoleArn", 2048);
      }
      m.role_session_name = r.String("RoleSessionName", false, 64);
      return ClientRequest(std::move(m));
    }
    default:
      return ClientRequest(TerminateServerProcess{});
  }
}

GameSessionInfo ReadGameSessionInfo(JsonObjectReader& r) {
  GameSessionInfo g;
  g.game_session_id = Req(r, "GameSessionId");
  g.name = Opt(r, "Name", kMaxIdLen);
  g.fleet_id = Opt(r, "FleetId", kMaxIdLen);
  g.maximum_player_session_count = IntField(r, "MaximumPlayerSessionCount", false);
  g.port = IntField(r, "Port", false, 0, 65535);
  g.ip_address = Opt(r, "IpAddress", 128);
  g.dns_name = Opt(r, "DnsName", kMaxIdLen);
  g.game_session_data = Opt(r, "GameSessionData", kMaxBigTextLen);
  g.matchmaker_data = Opt(r, "MatchmakerData", kMaxBigTextLen);
  g.game_properties = StringMap(r, "GameProperties");
  g.location = Opt(r, "Location", 128);
  g.status = Opt(r, "Status", 32);
  g.status_reason = Opt(r, "StatusReason", 128);
  return g;
}

Result<ServerBody> ReadPush(std::string_view action, JsonObjectReader& r) {
  if (action == "CreateGameSession") {
    CreateGameSession m;
    m.game_session_id = Req(r, "GameSessionId");
    m.game_session_name = Opt(r, "GameSessionName", kMaxIdLen);
    m.maximum_player_session_count = IntField(r, "MaximumPlayerSessionCount", false);
    m.port = IntField(r, "Port", false, 0, 65535);
    m.ip_address = Opt(r, "IpAddress", 128);
    m.dns_name = Opt(r, "DnsName", kMaxIdLen);
    m.game_session_data = Opt(r, "GameSessionData", kMaxBigTextLen);
    m.matchmaker_data = Opt(r, "MatchmakerData", kMaxBigTextLen);
    m.game_properties = StringMap(r, "GameProperties");
    return ServerBody(std::move(m));
  }
  if (action == "UpdateGameSession") {
    UpdateGameSession m;
    const json::value* gs = r.raw("GameSession", true);
    if (gs) {
      JsonObjectReader sub(*gs, "GameSession", /*strict=*/false);
      m.game_session = ReadGameSessionInfo(sub);
      MUSTER_RETURN_IF_ERROR(sub.Finish());
    }
    m.update_reason = Opt(r, "UpdateReason", 64);
    m.backfill_ticket_id = Opt(r, "BackfillTicketId", 128);
    return ServerBody(std::move(m));
  }
  if (action == "TerminateProcess") {
    return ServerBody(TerminateProcess{r.Int("TerminationTime", true, 0).value_or(0)});
  }
  RefreshConnection m;
  m.refresh_connection_endpoint = Req(r, "RefreshConnectionEndpoint", kMaxTextLen);
  m.auth_token = Req(r, "AuthToken", kMaxTextLen);
  return ServerBody(std::move(m));
}

Result<ServerBody> ReadReplyBody(std::string_view action, JsonObjectReader& r) {
  if (action == "DescribePlayerSessions") {
    DescribePlayerSessionsResult m;
    m.next_token = Opt(r, "NextToken", kMaxIdLen);
    if (const json::array* a = r.Array("PlayerSessions")) {
      for (std::size_t i = 0; i < a->size(); ++i) {
        JsonObjectReader p((*a)[i], IndexPath("PlayerSessions", i), /*strict=*/false);
        PlayerSessionInfo s;
        s.player_session_id = Req(p, "PlayerSessionId");
        s.player_id = Opt(p, "PlayerId", kMaxIdLen);
        s.game_session_id = Opt(p, "GameSessionId", kMaxIdLen);
        s.fleet_id = Opt(p, "FleetId", kMaxIdLen);
        s.creation_time = p.Int("CreationTime", false, 0).value_or(0);
        s.termination_time = p.Int("TerminationTime", false, 0).value_or(0);
        s.status = Opt(p, "Status", 32);
        s.ip_address = Opt(p, "IpAddress", 128);
        s.port = IntField(p, "Port", false, 0, 65535);
        s.player_data = Opt(p, "PlayerData", kMaxTextLen);
        s.dns_name = Opt(p, "DnsName", kMaxIdLen);
        MUSTER_RETURN_IF_ERROR(p.Finish());
        m.player_sessions.push_back(std::move(s));
      }
    }
    return ServerBody(std::move(m));
  }
  if (action == "StartMatchBackfill") {
    return ServerBody(StartMatchBackfillResult{Opt(r, "TicketId", 128)});
  }
  if (action == "GetComputeCertificate") {
    return ServerBody(GetComputeCertificateResult{Opt(r, "ComputeName", kMaxIdLen),
                                                  Opt(r, "CertificatePath", kMaxTextLen)});
  }
  if (action == "GetFleetRoleCredentials") {
    GetFleetRoleCredentialsResult m;
    m.access_key_id = Opt(r, "AccessKeyId", 128);
    m.secret_access_key = Opt(r, "SecretAccessKey", kMaxTextLen);
    m.session_token = Opt(r, "SessionToken", kMaxTextLen);
    m.expiration = r.Int("Expiration", false).value_or(0);
    m.assumed_role_user_arn = Opt(r, "AssumedRoleUserArn", 2048);
    m.assumed_role_id = Opt(r, "AssumedRoleId", 256);
    return ServerBody(std::move(m));
  }
  return ServerBody(std::monostate{});
}

// Parses the frame and reads the envelope strings common to both directions.
Result<json::value> ParseFrame(std::string_view frame, std::size_t max_bytes) {
  if (frame.size() > max_bytes) {
    return Error::TooLarge("frame is " + std::to_string(frame.size()) + " bytes; the limit is " +
                           std::to_string(max_bytes));
  }
  auto v = ParseJson(frame, JsonLimits{.max_bytes = max_bytes, .max_depth = kMaxDepth});
  if (!v.ok()) return v.take_error();
  if (!v->is_object()) return Error::InvalidArgument("frame must be a JSON object");
  return v;
}

// ---------- encoding helpers ----------

void PutOpt(json::object& o, std::string_view key, const std::optional<std::string>& v) {
  if (v) o[Sv(key)] = Str(*v);
}
json::value StringMapValue(const std::map<std::string, std::string>& m) {
  json::object o;
  for (const auto& [k, v] : m) o[Sv(k)] = Str(v);
  return o;
}
json::value StringListValue(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.push_back(Str(s));
  return a;
}

struct RequestFields {
  json::object& o;
  void operator()(const ActivateServerProcess& m) {
    o["SdkVersion"] = Str(m.sdk_version);
    o["SdkLanguage"] = Str(m.sdk_language);
    PutOpt(o, "SdkToolName", m.sdk_tool_name);
    PutOpt(o, "SdkToolVersion", m.sdk_tool_version);
    o["Port"] = m.port;
    o["LogPaths"] = m.log_paths.empty() ? json::value(nullptr) : StringListValue(m.log_paths);
  }
  void operator()(const HeartbeatServerProcess& m) { o["HealthStatus"] = m.health_status; }
  void operator()(const ActivateGameSession& m) { o["GameSessionId"] = Str(m.game_session_id); }
  void operator()(const UpdatePlayerSessionCreationPolicy& m) {
    o["GameSessionId"] = Str(m.game_session_id);
    o["PlayerSessionPolicy"] = Str(m.player_session_policy);
  }
  void operator()(const AcceptPlayerSession& m) {
    o["GameSessionId"] = Str(m.game_session_id);
    o["PlayerSessionId"] = Str(m.player_session_id);
  }
  void operator()(const RemovePlayerSession& m) {
    o["GameSessionId"] = Str(m.game_session_id);
    o["PlayerSessionId"] = Str(m.player_session_id);
  }
  void operator()(const DescribePlayerSessions& m) {
    PutOpt(o, "GameSessionId", m.game_session_id);
    PutOpt(o, "PlayerId", m.player_id);
    PutOpt(o, "PlayerSessionId", m.player_session_id);
    PutOpt(o, "PlayerSessionStatusFilter", m.player_session_status_filter);
    PutOpt(o, "NextToken", m.next_token);
    if (m.limit) o["Limit"] = *m.limit;
  }
  void operator()(const StartMatchBackfill& m) {
    PutOpt(o, "TicketId", m.ticket_id);
    o["GameSessionArn"] = Str(m.game_session_arn);
    o["MatchmakingConfigurationArn"] = Str(m.matchmaking_configuration_arn);
    json::array players;
    for (const auto& p : m.players) {
      json::object po;
      po["PlayerId"] = Str(p.player_id);
      PutOpt(po, "Team", p.team);
      json::object attrs;
      for (const auto& [name, a] : p.player_attributes) {
        json::object ao;
        ao["AttrType"] = Str(a.attr_type);
        PutOpt(ao, "S", a.s);
        if (a.n) ao["N"] = *a.n;
        if (a.sl) ao["SL"] = StringListValue(*a.sl);
        if (a.sdm) {
          json::object sdm;
          for (const auto& [k, d] : *a.sdm) sdm[Sv(k)] = d;
          ao["SDM"] = std::move(sdm);
        }
        attrs[Sv(name)] = std::move(ao);
      }
      po["PlayerAttributes"] = std::move(attrs);
      json::object lat;
      for (const auto& [loc, ms] : p.latency_in_ms) lat[Sv(loc)] = ms;
      po["LatencyInMs"] = std::move(lat);
      players.push_back(std::move(po));
    }
    o["Players"] = std::move(players);
  }
  void operator()(const StopMatchBackfill& m) {
    o["GameSessionArn"] = Str(m.game_session_arn);
    o["MatchmakingConfigurationArn"] = Str(m.matchmaking_configuration_arn);
    o["TicketId"] = Str(m.ticket_id);
  }
  void operator()(const GetComputeCertificate&) {}
  void operator()(const GetFleetRoleCredentials& m) {
    o["RoleArn"] = Str(m.role_arn);
    PutOpt(o, "RoleSessionName", m.role_session_name);
  }
  void operator()(const TerminateServerProcess&) {}
};

void PutGameSessionCommon(json::object& o, int max_players, int port, const std::string& ip,
                          const std::string& dns, const std::string& data,
                          const std::string& mm_data,
                          const std::map<std::string, std::string>& props) {
  o["MaximumPlayerSessionCount"] = max_players;
  o["Port"] = port;
  o["IpAddress"] = Str(ip);
  o["DnsName"] = Str(dns);
  o["GameSessionData"] = Str(data);
  o["MatchmakerData"] = Str(mm_data);
  o["GameProperties"] = StringMapValue(props);
}

struct ServerFields {
  json::object& o;
  void operator()(const std::monostate&) {}
  void operator()(const CreateGameSession& m) {
    o["GameSessionId"] = Str(m.game_session_id);
    o["GameSessionName"] = Str(m.game_session_name);
    PutGameSessionCommon(o, m.maximum_player_session_count, m.port, m.ip_address, m.dns_name,
                         m.game_session_data, m.matchmaker_data, m.game_properties);
  }
  void operator()(const UpdateGameSession& m) {
    const GameSessionInfo& g = m.game_session;
    json::object gs;
    gs["GameSessionId"] = Str(g.game_session_id);
    gs["Name"] = Str(g.name);
    gs["FleetId"] = Str(g.fleet_id);
    PutGameSessionCommon(gs, g.maximum_player_session_count, g.port, g.ip_address, g.dns_name,
                         g.game_session_data, g.matchmaker_data, g.game_properties);
    gs["Location"] = Str(g.location);
    gs["Status"] = Str(g.status);
    gs["StatusReason"] = Str(g.status_reason);
    o["GameSession"] = std::move(gs);
    o["UpdateReason"] = Str(m.update_reason);
    o["BackfillTicketId"] = Str(m.backfill_ticket_id);
  }
  void operator()(const TerminateProcess& m) { o["TerminationTime"] = m.termination_time; }
  void operator()(const RefreshConnection& m) {
    o["RefreshConnectionEndpoint"] = Str(m.refresh_connection_endpoint);
    o["AuthToken"] = Str(m.auth_token);
  }
  void operator()(const DescribePlayerSessionsResult& m) {
    json::array a;
    for (const auto& s : m.player_sessions) {
      json::object p;
      p["PlayerSessionId"] = Str(s.player_session_id);
      p["PlayerId"] = Str(s.player_id);
      p["GameSessionId"] = Str(s.game_session_id);
      p["FleetId"] = Str(s.fleet_id);
      p["CreationTime"] = s.creation_time;
      p["TerminationTime"] = s.termination_time;
      p["Status"] = Str(s.status);
      p["IpAddress"] = Str(s.ip_address);
      p["Port"] = s.port;
      p["PlayerData"] = Str(s.player_data);
      p["DnsName"] = Str(s.dns_name);
      a.push_back(std::move(p));
    }
    o["PlayerSessions"] = std::move(a);
    o["NextToken"] = Str(m.next_token);
  }
  void operator()(const StartMatchBackfillResult& m) { o["TicketId"] = Str(m.ticket_id); }
  void operator()(const GetComputeCertificateResult& m) {
    o["ComputeName"] = Str(m.compute_name);
    o["CertificatePath"] = Str(m.certificate_path);
  }
  void operator()(const GetFleetRoleCredentialsResult& m) {
    o["AccessKeyId"] = Str(m.access_key_id);
    o["SecretAccessKey"] = Str(m.secret_access_key);
    o["SessionToken"] = Str(m.session_token);
    o["Expiration"] = m.expiration;
    o["AssumedRoleUserArn"] = Str(m.assumed_role_user_arn);
    o["AssumedRoleId"] = Str(m.assumed_role_id);
  }
};

}  // namespace

std::string_view ClientMessage::action() const { return kRequestActions[body.index()]; }

bool ServerMessage::is_push() const { return IsPushAction(action); }

bool IsPushAction(std::string_view action) {
  for (auto a : kPushActions) {
    if (a == action) return true;
  }
  return false;
}

bool IsRequestAction(std::string_view action) {
  for (auto a : kRequestActions) {
    if (a == action) return true;
  }
  return false;
}

Result<ClientMessage> DecodeClientMessage(std::string_view frame, FrameHeader* header) {
  auto v = ParseFrame(frame, kMaxClientFrameBytes);
  if (!v.ok()) return v.take_error();
  JsonObjectReader r(*v, "", /*strict=*/false);
  // Read the header leniently first, so an error reply can echo it.
  const json::value* action_v = r.raw("Action");
  const json::value* id_v = r.raw("RequestId");
  if (header) {
    if (action_v && action_v->is_string() && action_v->get_string().size() <= 64) {
      header->action = std::string(action_v->get_string());
    }
    if (id_v && id_v->is_string() && id_v->get_string().size() <= kMaxIdLen) {
      header->request_id = std::string(id_v->get_string());
    }
  }
  std::string action = Req(r, "Action", 64);
  std::string request_id = Req(r, "RequestId", kMaxIdLen);
  MUSTER_RETURN_IF_ERROR(r.Finish());
  if (request_id.empty()) return Error::InvalidArgument("RequestId: must not be empty");
  std::size_t index = std::size(kRequestActions);
  for (std::size_t i = 0; i < std::size(kRequestActions); ++i) {
    if (kRequestActions[i] == action) index = i;
  }
  if (index == std::size(kRequestActions)) {
    return Error::InvalidArgument("Action: unknown action \"" + action + "\"");
  }
  auto body = ReadRequest(index, r);
  if (!body.ok()) return body.take_error();
  MUSTER_RETURN_IF_ERROR(r.Finish());
  return ClientMessage{std::move(request_id), std::move(body).value()};
}

Result<ServerMessage> DecodeServerMessage(std::string_view frame) {
  auto v = ParseFrame(frame, kMaxServerFrameBytes);
  if (!v.ok()) return v.take_error();
  JsonObjectReader r(*v, "", /*strict=*/false);
  ServerMessage m;
  m.action = Req(r, "Action", 64);
  m.request_id = Opt(r, "RequestId", kMaxIdLen);
  std::optional<std::int64_t> status = r.Int("StatusCode", false, 100, 599);
  m.error_message = Opt(r, "ErrorMessage", kMaxTextLen);
  MUSTER_RETURN_IF_ERROR(r.Finish());
  if (IsPushAction(m.action)) {
    m.status_code = static_cast<int>(status.value_or(200));
    auto body = ReadPush(m.action, r);
    if (!body.ok()) return body.take_error();
    m.body = std::move(body).value();
  } else if (IsRequestAction(m.action)) {
    if (m.request_id.empty()) return Error::InvalidArgument("RequestId: is required in a reply");
    if (!status) return Error::InvalidArgument("StatusCode: is required in a reply");
    m.status_code = static_cast<int>(*status);
    if (m.status_code == 200) {
      auto body = ReadReplyBody(m.action, r);
      if (!body.ok()) return body.take_error();
      m.body = std::move(body).value();
    }
  } else {
    return Error::InvalidArgument("Action: unknown action \"" + m.action + "\"");
  }
  MUSTER_RETURN_IF_ERROR(r.Finish());
  return m;
}

std::string Encode(const ClientMessage& message) {
  json::object o;
  o["Action"] = Str(message.action());
  o["RequestId"] = Str(message.request_id);
  std::visit(RequestFields{o}, message.body);
  return ToJson(o);
}

std::string Encode(const ServerMessage& message) {
  json::object o;
  o["Action"] = Str(message.action);
  if (!message.request_id.empty()) o["RequestId"] = Str(message.request_id);
  o["StatusCode"] = message.status_code;
  if (!message.error_message.empty()) o["ErrorMessage"] = Str(message.error_message);
  if (message.status_code == 200 || message.is_push()) std::visit(ServerFields{o}, message.body);
  return ToJson(o);
}

std::string EncodeReply(std::string_view action, std::string_view request_id, int status,
                        std::string_view error_message, const json::object* fields) {
  json::object o;
  if (fields) o = *fields;
  o["Action"] = Str(action);
  o["RequestId"] = Str(request_id);
  o["StatusCode"] = status;
  if (!error_message.empty()) o["ErrorMessage"] = Str(error_message);
  return ToJson(o);
}

int WireStatus(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kTooLarge:
      return 400;
    case ErrorCode::kUnauthorized:
      return 401;
    case ErrorCode::kForbidden:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kLimitExceeded:
      return 429;
    default:
      return 500;
  }
}

Error ErrorFromStatus(int status, std::string_view message) {
  std::string m(message.empty() ? "request failed with status " + std::to_string(status)
                                : std::string(message));
  switch (status) {
    case 400:
      return Error::InvalidArgument(std::move(m));
    case 401:
      return Error::Unauthorized(std::move(m));
    case 403:
      return Error::Forbidden(std::move(m));
    case 404:
      return Error::NotFound(std::move(m));
    case 409:
      return Error::Conflict(std::move(m));
    case 429:
      return Error::LimitExceeded(std::move(m));
    default:
      return Error::Internal(std::move(m));
  }
}

}  // namespace muster::fleet
