#include "api/push_codec.h"

#include <array>
#include <utility>

#include "api/player_tickets.h"

namespace muster::api {
namespace {

constexpr std::array<std::pair<PushAction, const char*>, 5> kActions = {{
    {PushAction::kStartMatchmaking, "startMatchmaking"},
    {PushAction::kStopMatchmaking, "stopMatchmaking"},
    {PushAction::kAcceptMatch, "acceptMatch"},
    {PushAction::kDescribeTicket, "describeTicket"},
    {PushAction::kPing, "ping"},
}};

std::string Known() {
  std::string out;
  for (const auto& [a, name] : kActions) out += std::string(out.empty() ? "" : ", ") + name;
  return out;
}

// Whether a ticket entry of an event's detail.tickets holds the player.
bool HoldsPlayer(const json::value& ticket, std::string_view player_id) {
  const json::object* t = ticket.if_object();
  const json::value* players = t ? t->if_contains("players") : nullptr;
  if (!players || !players->is_array()) return false;
  for (const json::value& p : players->as_array()) {
    const json::object* po = p.if_object();
    const json::value* id = po ? po->if_contains("playerId") : nullptr;
    if (id && id->is_string() && id->as_string() == player_id) return true;
  }
  return false;
}

}  // namespace

const char* PushActionName(PushAction action) {
  for (const auto& [a, name] : kActions) {
    if (a == action) return name;
  }
  return "?";
}

std::variant<PushRequest, PushRequestError> ParsePushRequest(std::string_view text, int max_latency_ms) {
  PushRequestError fail;
  if (text.size() > kMaxPushMessageBytes) {
    fail.error = Error::InvalidArgument("a message is at most " + std::to_string(kMaxPushMessageBytes) + " bytes");
    return fail;
  }
  auto v = ParseJson(text, JsonLimits{.max_bytes = kMaxPushMessageBytes, .max_depth = 8});
  if (!v.ok()) {
    fail.error = Error::InvalidArgument("a message is a JSON object with an \"action\": " + v.error().message);
    return fail;
  }
  JsonObjectReader r(*v, "");
  if (!r.is_object()) {
    fail.error = Error::InvalidArgument("a message is a JSON object with an \"action\"");
    return fail;
  }
  // What is readable of these two goes into an error reply, whatever else is wrong.
  if (const json::value* id = r.raw("requestId"); id && id->is_string() && id->as_string().size() <= 64) {
    fail.request_id = id->as_string();
  }
  if (const json::value* a = r.raw("action"); a && a->is_string() && a->as_string().size() <= 64) {
    fail.action = a->as_string();
  }
  PushRequest req;
  auto request_id = r.String("requestId", false, 64);
  auto action = r.String("action", true, 64);
  if (!action) {
    fail.error = r.Finish().error();
    return fail;
  }
  bool known = false;
  for (const auto& [a, name] : kActions) {
    if (*action == name) req.action = a, known = true;
  }
  if (!known) {
    fail.error = Error::NotFound("unknown action '" + *action + "' (known: " + Known() + ")");
    return fail;
  }
  if (request_id) req.request_id = *request_id;
  switch (req.action) {
    case PushAction::kStartMatchmaking: {
      if (auto c = r.String("configuration", false, 256)) req.configuration = *c;
      auto latencies = LatenciesFromJson(r.raw("latencies"), "latencies", max_latency_ms);
      if (!latencies.ok()) {
        fail.error = latencies.take_error();
        return fail;
      }
      req.latencies = std::move(latencies).value();
      break;
    }
    case PushAction::kAcceptMatch:
      if (auto accept = r.Bool("accept", true)) req.accept = *accept;
      [[fallthrough]];
    case PushAction::kStopMatchmaking:
    case PushAction::kDescribeTicket:
      if (auto t = r.String("ticketId", true, 128)) req.ticket_id = *t;
      break;
    case PushAction::kPing:
      break;
  }
  if (auto st = r.Finish(); !st.ok()) {
    fail.error = st.error();
    return fail;
  }
  return req;
}

std::string PushTicketReply(PushAction action, const std::string& request_id, const json::object& ticket) {
  json::object o{{"type", "reply"}, {"action", PushActionName(action)}};
  if (!request_id.empty()) o["requestId"] = request_id;
  o["ticket"] = ticket;
  return ToJson(o);
}

std::string PushPong(const std::string& request_id, std::string_view time) {
  json::object o{{"type", "pong"}};
  if (!request_id.empty()) o["requestId"] = request_id;
  o["time"] = time;
  return ToJson(o);
}

std::string PushError(std::string_view action, const std::string& request_id, const Error& error) {
  json::object o{{"type", "error"}};
  if (!action.empty()) o["action"] = action;
  if (!request_id.empty()) o["requestId"] = request_id;
  o["error"] = json::object{{"code", ErrorCodeName(error.code)}, {"message", error.message}};
  return ToJson(o);
}

std::optional<std::string> EventForPlayer(std::string_view event_json, std::string_view player_id) {
  auto v = ParseJson(event_json);
  if (!v.ok() || !v->is_object()) return std::nullopt;
  json::object& event = v->as_object();
  json::value* detail = event.if_contains("detail");
  if (!detail || !detail->is_object()) return std::nullopt;
  json::object& d = detail->as_object();
  json::value* tickets = d.if_contains("tickets");
  if (!tickets || !tickets->is_array()) return std::nullopt;
  json::array own;
  for (json::value& t : tickets->as_array()) {
    if (HoldsPlayer(t, player_id)) own.push_back(std::move(t));
  }
  if (own.empty()) return std::nullopt;
  *tickets = std::move(own);
  if (json::value* info = d.if_contains("gameSessionInfo"); info && info->is_object()) {
    if (json::value* players = info->as_object().if_contains("players"); players && players->is_array()) {
      json::array mine;
      for (json::value& p : players->as_array()) {
        const json::object* po = p.if_object();
        const json::value* id = po ? po->if_contains("playerId") : nullptr;
        if (id && id->is_string() && id->as_string() == player_id) mine.push_back(std::move(p));
      }
      *players = std::move(mine);
    }
  }
  return ToJson(*v);
}

}  // namespace muster::api
