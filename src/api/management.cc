#include "api/management.h"

#include <algorithm>
#include <set>

#include "api/management_codec.h"
#include "matchmaking/rule_set.h"

namespace muster::api {

namespace {

// A JSON body may carry a rule set of 65535 characters, escaped.
const JsonLimits kBodyLimits{256 * 1024, 32, false, false};
constexpr std::int64_t kMaxPageSize = 10;
constexpr std::size_t kMaxPlayersPerTicket = 10;
constexpr std::size_t kMaxPlayersPerMatch = 200;

using Handler = Result<json::object> (ManagementApi::*)(JsonObjectReader&);

// Paging over a list ordered by name: NextToken is the last name of the previous page.
struct Paging {
  std::int64_t limit = kMaxPageSize;
  std::optional<std::string> token;

  void Read(JsonObjectReader& r) {
    if (auto l = r.Int("Limit", false, 1, kMaxPageSize)) limit = *l;
    token = r.String("NextToken", false, 1024);
    if (token && token->empty()) r.Fail("NextToken", "must not be empty");
  }

  // Keeps the items of this page (sorted by `name`) and fills out["NextToken"] when more remain.
  template <class T, class NameOf>
  std::vector<T> Take(std::vector<T> items, NameOf name, json::object& out) const {
    std::sort(items.begin(), items.end(), [&](const T& a, const T& b) { return name(a) < name(b); });
    auto begin = items.begin();
    if (token) {
      begin = std::find_if(items.begin(), items.end(), [&](const T& x) { return name(x) > *token; });
    }
    std::vector<T> page;
    for (auto it = begin; it != items.end(); ++it) {
      if (static_cast<std::int64_t>(page.size()) == limit) {
        out["NextToken"] = name(page.back());
        break;
      }
      page.push_back(std::move(*it));
    }
    return page;
  }
};

std::optional<std::string> ReadTicketId(JsonObjectReader& r, bool required) {
  auto id = r.String("TicketId", required, 128);
  if (id && !id->empty() && !ValidName(*id, 128)) {
    r.Fail("TicketId", "must be 0-128 characters of [a-zA-Z0-9-.]");
    return std::nullopt;
  }
  if (required && id && id->empty()) {
    r.Fail("TicketId", "must not be empty");
    return std::nullopt;
  }
  return id;
}

// A list of strings, each checked by `valid`.
template <class Valid>
std::vector<std::string> ReadStrings(JsonObjectReader& r, std::string_view key, bool required,
                                     std::size_t min_items, std::size_t max_items, Valid valid,
                                     const char* what) {
  std::vector<std::string> out;
  const json::array* a = r.Array(key, required);
  if (!a) return out;
  if (a->size() < min_items || a->size() > max_items) {
    r.Fail(key, "must have " + std::to_string(min_items) + " to " + std::to_string(max_items) + " entries");
    return {};
  }
  for (std::size_t i = 0; i < a->size(); ++i) {
    const auto* s = (*a)[i].if_string();
    if (!s || !valid(std::string_view(s->data(), s->size()))) {
      r.Fail(IndexPath(key, i), std::string("must be ") + what);
      return {};
    }
    out.emplace_back(*s);
  }
  return out;
}

struct Op {
  std::string_view name;
  Handler handler;
};

}  // namespace

static const Op* FindOp(std::string_view op, const Op* table, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (table[i].name == op) return &table[i];
  }
  return nullptr;
}

#define MUSTER_MANAGEMENT_OPS(X)                                                            \
  X(CreateMatchmakingRuleSet) X(ValidateMatchmakingRuleSet) X(DescribeMatchmakingRuleSets)  \
  X(DeleteMatchmakingRuleSet) X(CreateMatchmakingConfiguration)                             \
  X(DescribeMatchmakingConfigurations) X(UpdateMatchmakingConfiguration)                    \
  X(DeleteMatchmakingConfiguration) X(StartMatchmaking) X(DescribeMatchmaking)              \
  X(StopMatchmaking) X(AcceptMatch) X(StartMatchBackfill) X(StopMatchBackfill)

ManagementApi::ManagementApi(node::Node& node) : node_(node) {}

bool ManagementApi::Knows(std::string_view op) {
#define MUSTER_KNOWS(name) if (op == #name) return true;
  MUSTER_MANAGEMENT_OPS(MUSTER_KNOWS)
#undef MUSTER_KNOWS
  return false;
}

net::HttpResponse ManagementApi::Handle(std::string_view op, std::string_view body) {
  static const Op kOps[] = {
#define MUSTER_OP_ROW(name) {#name, &ManagementApi::name},
      MUSTER_MANAGEMENT_OPS(MUSTER_OP_ROW)
#undef MUSTER_OP_ROW
  };
  const Op* found = FindOp(op, kOps, std::size(kOps));
  if (!found) {
    return AwsJsonError(400, "UnknownOperationException",
                        "GameLift." + std::string(op) + " is not an operation of the Muster management API "
                        "(see docs/management-api.md)");
  }
  auto parsed = ParseBody(body);
  if (!parsed.ok()) return AwsJsonError(parsed.error());
  JsonObjectReader reader(*parsed, "");
  auto out = (this->*(found->handler))(reader);
  if (!out.ok()) return AwsJsonError(out.error());
  return AwsJsonResponse(*out);
}

void ManagementApi::Handle(std::string_view op, std::string_view body, net::Responder respond) {
  if (op != "StartMatchmaking") {
    auto run = [this, op = std::string(op), body = std::string(body), respond = std::move(respond)] {
      respond(Handle(op, body));
    };
    // On the thread of the matchmaking side the operation concerns (node.h, "Shards"), found
    // from the field that names its configuration or ticket; a body that does not parse is
    // refused there as well.
    auto parsed = ParseBody(body);
    const json::object* o = parsed.ok() ? parsed->if_object() : nullptr;
    auto field = [o](const char* name) -> std::string {
      const json::value* v = o ? o->if_contains(name) : nullptr;
      return v && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    if (op == "CreateMatchmakingConfiguration" || op == "UpdateMatchmakingConfiguration" ||
        op == "DeleteMatchmakingConfiguration") {
      return node_.RunOnConfiguration(field("Name"), std::move(run));
    }
    if (op == "StartMatchBackfill") return node_.RunOnConfiguration(field("ConfigurationName"), std::move(run));
    if (op == "StopMatchmaking" || op == "StopMatchBackfill" || op == "AcceptMatch") {
      return node_.RunOnTicket(field("TicketId"), std::move(run));
    }
    // Reads of committed tickets (the ticket view and the store): here, on the connection's loop.
    if (op == "DescribeMatchmaking") return run();
    return node_.RunOnDefinitions(std::move(run));  // rule sets and the lists
  }
  // The intake path: parsed here (the connection's loop), started on the thread of the
  // configuration's matchmaking side, answered once the ticket is durable.
  auto parsed = ParseBody(body);
  if (!parsed.ok()) return respond(AwsJsonError(parsed.error()));
  JsonObjectReader reader(*parsed, "");
  auto start = ReadStart(reader);
  if (!start.ok()) return respond(AwsJsonError(start.error()));
  const std::string configuration = start->configuration;
  node_.RunOnConfiguration(configuration, [this, start = std::move(start).value(), respond = std::move(respond)]() mutable {
    node_.tickets().StartMatchmakingAsync(start.configuration, std::move(start.players), "", std::move(start.ticket_id),
                                [this, respond = std::move(respond)](Result<matchmaking::Ticket> t) {
                                  if (!t.ok()) return respond(AwsJsonError(t.error()));
                                  respond(AwsJsonResponse(json::object{{"MatchmakingTicket", TicketJson(*t)}}));
                                });
  });
}

Result<json::value> ManagementApi::ParseBody(std::string_view body) {
  auto parsed = ParseJson(body.empty() ? std::string_view("{}") : body, kBodyLimits);
  if (!parsed.ok()) return Error::InvalidArgument("request body: " + parsed.error().message);
  return parsed;
}

json::object ManagementApi::TicketJson(const matchmaking::Ticket& t) const {
  return matchmaking::TicketToApiJson(t, node_.definitions().ConfigurationArn(t.configuration_name));
}

// --- rule sets ------------------------------------------------------------------------------

Result<json::object> ManagementApi::CreateMatchmakingRuleSet(JsonObjectReader& r) {
  auto name = ReadName(r, "Name", true, 128);
  auto body = r.String("RuleSetBody", true, 65535);
  if (body && body->empty()) r.Fail("RuleSetBody", "must not be empty");
  MUSTER_RETURN_IF_ERROR(ReadTags(r));
  MUSTER_RETURN_IF_ERROR(r.Finish());
  MUSTER_ASSIGN_OR_RETURN(auto rs, node_.definitions().CreateRuleSet(*name, *body));
  return json::object{{"RuleSet", RuleSetToJson(rs)}};
}

Result<json::object> ManagementApi::ValidateMatchmakingRuleSet(JsonObjectReader& r) {
  auto body = r.String("RuleSetBody", true, 65535);
  if (body && body->empty()) r.Fail("RuleSetBody", "must not be empty");
  MUSTER_RETURN_IF_ERROR(r.Finish());
  auto parsed = matchmaking::ParseRuleSet(*body);
  if (!parsed.ok()) return Error::InvalidArgument("RuleSetBody: " + parsed.error().message);
  return json::object{{"Valid", true}};
}

Result<json::object> ManagementApi::DescribeMatchmakingRuleSets(JsonObjectReader& r) {
  auto names = ReadStrings(r, "Names", false, 1, 10,
                           [](std::string_view s) { return ValidName(s, 256, "matchmakingruleset"); },
                           "a rule set name or ARN");
  Paging paging;
  paging.Read(r);
  MUSTER_RETURN_IF_ERROR(r.Finish());
  std::vector<node::RuleSetRecord> items;
  if (r.has("Names")) {
    for (const auto& n : names) {
      MUSTER_ASSIGN_OR_RETURN(auto rs, node_.definitions().FindRuleSet(n));
      items.push_back(std::move(rs));
    }
  } else {
    items = node_.definitions().ListRuleSets();
  }
  json::object out;
  json::array list;
  auto page = paging.Take(std::move(items), [](const node::RuleSetRecord& x) { return x.name; }, out);
  for (const auto& rs : page) list.push_back(RuleSetToJson(rs));
  out["RuleSets"] = std::move(list);
  return out;
}

Result<json::object> ManagementApi::DeleteMatchmakingRuleSet(JsonObjectReader& r) {
  auto name = ReadName(r, "Name", true, 256, "matchmakingruleset");
  MUSTER_RETURN_IF_ERROR(r.Finish());
  MUSTER_RETURN_IF_ERROR(node_.definitions().DeleteRuleSet(*name));
  return json::object{};
}

// --- configurations -------------------------------------------------------------------------

Result<json::object> ManagementApi::CreateMatchmakingConfiguration(JsonObjectReader& r) {
  matchmaking::ConfigurationSpec spec;
  if (auto name = ReadName(r, "Name", true, 128)) spec.name = *name;
  MUSTER_RETURN_IF_ERROR(ReadConfigurationFields(r, /*create=*/true, &spec));
  MUSTER_RETURN_IF_ERROR(r.Finish());
  MUSTER_ASSIGN_OR_RETURN(auto created, node_.definitions().CreateConfiguration(std::move(spec)));
  return json::object{{"Configuration", ConfigurationToJson(created)}};
}

Result<json::object> ManagementApi::DescribeMatchmakingConfigurations(JsonObjectReader& r) {
  auto names = ReadStrings(r, "Names", false, 0, 100,
                           [](std::string_view s) { return ValidName(s, 256, "matchmakingconfiguration"); },
                           "a configuration name or ARN");
  auto rule_set = ReadName(r, "RuleSetName", false, 256, "matchmakingruleset");
  Paging paging;
  paging.Read(r);
  MUSTER_RETURN_IF_ERROR(r.Finish());
  std::set<std::string> wanted;
  for (const auto& n : names) wanted.insert(NameFromArn(n, "matchmakingconfiguration"));
  std::vector<matchmaking::ConfigurationSpec> items;
  for (auto& spec : node_.definitions().ListConfigurations()) {
    if (r.has("Names") && !wanted.count(spec.name)) continue;  // only the ones that exist
    if (rule_set && spec.rule_set_name != NameFromArn(*rule_set, "matchmakingruleset")) continue;
    items.push_back(std::move(spec));
  }
  json::object out;
  json::array list;
  auto page = paging.Take(std::move(items), [](const matchmaking::ConfigurationSpec& x) { return x.name; }, out);
  for (const auto& spec : page) list.push_back(ConfigurationToJson(spec));
  out["Configurations"] = std::move(list);
  return out;
}

Result<json::object> ManagementApi::UpdateMatchmakingConfiguration(JsonObjectReader& r) {
  auto name = ReadName(r, "Name", true, 256, "matchmakingconfiguration");
  matchmaking::ConfigurationSpec spec;
  bool found = false;
  if (name) {
    std::string plain = NameFromArn(*name, "matchmakingconfiguration");
    for (auto& s : node_.definitions().ListConfigurations()) {
      if (s.name == plain) {
        spec = std::move(s);
        found = true;
      }
    }
  }
  // The fields are checked even for an unknown name: a malformed request says so first.
  MUSTER_RETURN_IF_ERROR(ReadConfigurationFields(r, /*create=*/false, &spec));
  MUSTER_RETURN_IF_ERROR(r.Finish());
  if (!found) return Error::NotFound("matchmaking configuration '" + *name + "' does not exist");
  MUSTER_ASSIGN_OR_RETURN(auto updated, node_.definitions().UpdateConfiguration(std::move(spec)));
  return json::object{{"Configuration", ConfigurationToJson(updated)}};
}

Result<json::object> ManagementApi::DeleteMatchmakingConfiguration(JsonObjectReader& r) {
  auto name = ReadName(r, "Name", true, 256, "matchmakingconfiguration");
  MUSTER_RETURN_IF_ERROR(r.Finish());
  MUSTER_RETURN_IF_ERROR(node_.definitions().DeleteConfiguration(*name));
  return json::object{};
}

// --- tickets --------------------------------------------------------------------------------

Result<ManagementApi::StartRequest> ManagementApi::ReadStart(JsonObjectReader& r) {
  auto ticket_id = ReadTicketId(r, false);
  auto configuration = ReadName(r, "ConfigurationName", true, 256, "matchmakingconfiguration");
  const json::array* players_json = r.Array("Players", true);
  MUSTER_RETURN_IF_ERROR(r.Finish());
  MUSTER_ASSIGN_OR_RETURN(auto players, ParsePlayers(*players_json, "Players", kMaxPlayersPerTicket, false));
  return StartRequest{NameFromArn(*configuration, "matchmakingconfiguration"), std::move(players),
                      ticket_id.value_or("")};
}

Result<json::object> ManagementApi::StartMatchmaking(JsonObjectReader& r) {
  MUSTER_ASSIGN_OR_RETURN(auto start, ReadStart(r));
  MUSTER_ASSIGN_OR_RETURN(auto ticket, node_.tickets().StartMatchmaking(start.configuration, std::move(start.players), "",
                                                              std::move(start.ticket_id)));
  return json::object{{"MatchmakingTicket", TicketJson(ticket)}};
}

Result<json::object> ManagementApi::DescribeMatchmaking(JsonObjectReader& r) {
  auto ids = ReadStrings(r, "TicketIds", true, 1, 10, [](std::string_view s) { return ValidName(s, 128); },
                         "a ticket id of 1-128 characters of [a-zA-Z0-9-.]");
  MUSTER_RETURN_IF_ERROR(r.Finish());
  json::array list;
  for (const auto& id : ids) {
    auto t = node_.tickets().GetTicket(id);
    if (!t.ok()) {
      if (t.error().code == ErrorCode::kNotFound) continue;  // only tickets that exist
      return t.take_error();
    }
    list.push_back(TicketJson(*t));
  }
  return json::object{{"TicketList", std::move(list)}};
}

Result<json::object> ManagementApi::StopMatchmaking(JsonObjectReader& r) {
  auto id = ReadTicketId(r, true);
  MUSTER_RETURN_IF_ERROR(r.Finish());
  MUSTER_RETURN_IF_ERROR(node_.tickets().StopMatchmaking(*id));
  return json::object{};
}

Result<json::object> ManagementApi::AcceptMatch(JsonObjectReader& r) {
  auto id = ReadTicketId(r, true);
  auto players = ReadStrings(r, "PlayerIds", true, 1, kMaxPlayersPerMatch,
                             [](std::string_view s) { return !s.empty() && s.size() <= 1024; },
                             "a player id of 1-1024 characters");
  auto type = r.String("AcceptanceType", true, 16);
  if (type && *type != "ACCEPT" && *type != "REJECT") r.Fail("AcceptanceType", "must be ACCEPT or REJECT");
  MUSTER_RETURN_IF_ERROR(r.Finish());
  MUSTER_RETURN_IF_ERROR(node_.tickets().AcceptMatch(*id, players, *type == "ACCEPT"));
  return json::object{};
}

Result<json::object> ManagementApi::StartMatchBackfill(JsonObjectReader& r) {
  auto ticket_id = ReadTicketId(r, false);
  auto configuration = ReadName(r, "ConfigurationName", true, 256, "matchmakingconfiguration");
  auto session = r.String("GameSessionArn", false, 256);
  if (session && !ValidResourceRef(*session, 256)) {
    r.Fail("GameSessionArn", "must be 1-256 characters of [a-zA-Z0-9:/._-]");
  }
  const json::array* players_json = r.Array("Players", true);
  MUSTER_RETURN_IF_ERROR(r.Finish());
  MUSTER_ASSIGN_OR_RETURN(auto players, ParsePlayers(*players_json, "Players", kMaxPlayersPerMatch, true));
  MUSTER_ASSIGN_OR_RETURN(auto ticket,
                          node_.tickets().StartMatchBackfill(NameFromArn(*configuration, "matchmakingconfiguration"),
                                                   session.value_or(""), std::move(players), ticket_id.value_or("")));
  return json::object{{"MatchmakingTicket", TicketJson(ticket)}};
}

Result<json::object> ManagementApi::StopMatchBackfill(JsonObjectReader& r) {
  auto id = ReadTicketId(r, true);
  MUSTER_RETURN_IF_ERROR(r.Finish());
  MUSTER_RETURN_IF_ERROR(node_.tickets().StopMatchBackfill(*id));
  return json::object{};
}

}  // namespace muster::api
