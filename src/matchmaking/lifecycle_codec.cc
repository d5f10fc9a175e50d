// Row and API encodings of matchmaking tickets.
#include "matchmaking/lifecycle.h"

#include "common/json_writer.h"
#include "common/time_util.h"

namespace muster::matchmaking {

namespace {

json::array PlayersToJson(const std::vector<PlayerInput>& players) {
  json::array out;
  for (const auto& p : players) {
    json::object attrs;
    for (const auto& [name, v] : p.attributes) attrs[name] = AttributeValueToJson(v);
    json::object lat;
    for (const auto& [loc, ms] : p.latency_ms) lat[loc] = ms;
    json::object o{{"PlayerId", p.player_id}, {"PlayerAttributes", std::move(attrs)},
                   {"LatencyInMs", std::move(lat)}};
    if (!p.team.empty()) o["Team"] = p.team;
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace

json::object TicketToApiJson(const Ticket& t, const std::string& configuration_arn) {
  json::object o{{"TicketId", t.ticket_id},
                 {"ConfigurationName", t.configuration_name},
                 {"ConfigurationArn", configuration_arn},
                 {"Status", TicketStatusName(t.status)},
                 {"StartTime", EpochSeconds(t.start_time)},
                 {"Players", PlayersToJson(t.players)}};
  if (!t.status_reason.empty()) o["StatusReason"] = t.status_reason;
  if (!t.status_message.empty()) o["StatusMessage"] = t.status_message;
  if (t.end_time) o["EndTime"] = EpochSeconds(t.end_time);
  if (!IsTerminal(t.status) && t.estimated_wait_ms >= 0) {
    o["EstimatedWaitTime"] = (t.estimated_wait_ms + 999) / 1000;
  }
  if (!t.game_session_arn.empty()) {
    json::array mps;
    for (const auto& m : t.matched_player_sessions) {
      mps.push_back(json::object{{"PlayerId", m.player_id}, {"PlayerSessionId", m.player_session_id}});
    }
    o["GameSessionConnectionInfo"] = json::object{{"GameSessionArn", t.game_session_arn},
                                                  {"IpAddress", t.ip_address},
                                                  {"DnsName", t.dns_name},
                                                  {"Port", t.port},
                                                  {"MatchedPlayerSessions", std::move(mps)}};
  }
  return o;
}

// Written straight as text (JsonWriter), one row per ticket change on the intake path. TicketId,
// ConfigurationName, StartTime and Players are always written; any other field at its default
// (empty, zero, false; -1 for EstimatedWaitMs) is left out, and FromRow reads it back as that
// default.
store::Row MatchmakingCore::ToRow(const Ticket& t, Millis now) {
  store::Row row;
  row.id = t.ticket_id;
  row.index = t.owner;
  row.status = TicketStatusName(t.status);
  row.updated = now;
  row.body.reserve(256);
  JsonWriter w(row.body);
  auto text = [&w](std::string_view key, const std::string& v) {
    if (!v.empty()) w.Member(key, v);
  };
  auto number = [&w](std::string_view key, std::int64_t v) {
    if (v != 0) w.Member(key, v);
  };
  auto flag = [&w](std::string_view key, bool v) {
    if (v) w.Member(key, v);
  };
  w.BeginObject().Member("TicketId", t.ticket_id).Member("ConfigurationName", t.configuration_name);
  text("Owner", t.owner);
  text("StatusReason", t.status_reason);
  text("StatusMessage", t.status_message);
  w.Member("StartTime", t.start_time);
  number("EndTime", t.end_time);
  w.Key("Players").BeginArray();
  for (const auto& p : t.players) {
    w.BeginObject().Member("PlayerId", p.player_id);
    if (!p.attributes.empty()) {
      w.Key("PlayerAttributes").BeginObject();
      for (const auto& [name, v] : p.attributes) w.Member(name, AttributeValueToJson(v));
      w.EndObject();
    }
    if (!p.latency_ms.empty()) {
      w.Key("LatencyInMs").BeginObject();
      for (const auto& [loc, ms] : p.latency_ms) w.Member(loc, ms);
      w.EndObject();
    }
    if (!p.team.empty()) w.Member("Team", p.team);
    w.EndObject();
  }
  w.EndArray();
  text("MatchId", t.match_id);
  text("GameSessionArn", t.game_session_arn);
  text("IpAddress", t.ip_address);
  text("DnsName", t.dns_name);
  number("Port", t.port);
  if (!t.matched_player_sessions.empty()) {
    w.Key("MatchedPlayerSessions").BeginArray();
    for (const auto& m : t.matched_player_sessions) {
      w.BeginObject()
          .Member("PlayerId", m.player_id)
          .Member("PlayerSessionId", m.player_session_id)
          .EndObject();
    }
    w.EndArray();
  }
  if (!t.acceptance.empty()) {
    w.Key("Acceptance").BeginObject();
    for (const auto& [player, yes] : t.acceptance) w.Member(player, yes);
    w.EndObject();
  }
  number("AcceptanceDeadline", t.acceptance_deadline);
  flag("Backfill", t.backfill);
  flag("AutoBackfill", t.auto_backfill);
  text("BackfillGameSessionArn", t.backfill_game_session_arn);
  if (t.estimated_wait_ms != -1) w.Member("EstimatedWaitMs", t.estimated_wait_ms);
  number("SearchDeadline", t.search_deadline);
  w.EndObject();
  return row;
}

Result<Ticket> MatchmakingCore::FromRow(const store::Row& row) {
  MUSTER_ASSIGN_OR_RETURN(json::object o, ParseStoredObject(row.body, "ticket row " + row.id));
  Ticket t;
  t.ticket_id = StringOr(o, "TicketId");
  t.configuration_name = StringOr(o, "ConfigurationName");
  t.owner = StringOr(o, "Owner");
  t.status_reason = StringOr(o, "StatusReason");
  t.status_message = StringOr(o, "StatusMessage");
  t.start_time = IntOr(o, "StartTime");
  t.end_time = IntOr(o, "EndTime");
  t.match_id = StringOr(o, "MatchId");
  t.game_session_arn = StringOr(o, "GameSessionArn");
  t.ip_address = StringOr(o, "IpAddress");
  t.dns_name = StringOr(o, "DnsName");
  t.port = static_cast<int>(IntOr(o, "Port"));
  t.acceptance_deadline = IntOr(o, "AcceptanceDeadline");
  t.backfill = BoolOr(o, "Backfill", false);
  t.auto_backfill = BoolOr(o, "AutoBackfill", false);
  t.backfill_game_session_arn = StringOr(o, "BackfillGameSessionArn");
  t.search_deadline = IntOr(o, "SearchDeadline");
  t.estimated_wait_ms = o.if_contains("EstimatedWaitMs") ? IntOr(o, "EstimatedWaitMs") : -1;
  if (auto* a = o.if_contains("Players"); a && a->is_array()) {
    for (const auto& pv : a->get_array()) {
      if (!pv.is_object()) continue;
      const auto& po = pv.get_object();
      PlayerInput p;
      p.player_id = StringOr(po, "PlayerId");
      p.team = StringOr(po, "Team");
      if (auto* at = po.if_contains("PlayerAttributes"); at && at->is_object()) {
        for (const auto& kv : at->get_object()) {
          auto val = ParseAttributeValue(kv.value(), kv.key());
          if (val.ok()) p.attributes[std::string(kv.key())] = std::move(val).value();
        }
      }
      if (auto* l = po.if_contains("LatencyInMs"); l && l->is_object()) {
        for (const auto& kv : l->get_object()) {
          if (kv.value().is_int64()) p.latency_ms[std::string(kv.key())] = static_cast<int>(kv.value().get_int64());
        }
      }
      t.players.push_back(std::move(p));
    }
  }
  if (auto* a = o.if_contains("MatchedPlayerSessions"); a && a->is_array()) {
    for (const auto& m : a->get_array()) {
      if (m.is_object()) t.matched_player_sessions.push_back({StringOr(m.get_object(), "PlayerId"), StringOr(m.get_object(), "PlayerSessionId")});
    }
  }
  if (auto* a = o.if_contains("Acceptance"); a && a->is_object()) {
    for (const auto& kv : a->get_object()) {
      if (kv.value().is_bool()) t.acceptance[std::string(kv.key())] = kv.value().get_bool();
    }
  }
  for (auto s : {TicketStatus::kQueued, TicketStatus::kSearching, TicketStatus::kRequiresAcceptance,
                 TicketStatus::kPlacing, TicketStatus::kCompleted, TicketStatus::kFailed,
                 TicketStatus::kCancelled, TicketStatus::kTimedOut}) {
    if (row.status == TicketStatusName(s)) t.status = s;
  }
  return t;
}

}  // namespace muster::matchmaking
