#include "api/management_codec.h"

#include <set>

#include "common/time_util.h"
#include "matchmaking/attribute.h"

namespace muster::api {

namespace {

constexpr std::size_t kMaxPlayerIdLength = 1024;
constexpr std::size_t kMaxAttributesPerPlayer = 10;
constexpr std::size_t kMaxLocationLength = 64;

bool NameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

bool PlainName(std::string_view s) {
  for (char c : s) {
    if (!NameChar(c)) return false;
  }
  return true;
}

std::optional<std::string> ReadEnum(JsonObjectReader& r, std::string_view key,
                                    std::initializer_list<const char*> allowed) {
  auto v = r.String(key, false, 64);
  if (!v) return std::nullopt;
  std::string list;
  for (const char* a : allowed) {
    if (*v == a) return v;
    list += list.empty() ? a : std::string("|") + a;
  }
  r.Fail(key, "must be one of " + list);
  return std::nullopt;
}

// Strings of the model's NonZeroAndMaxString kind: 1..max_len characters.
std::optional<std::string> ReadNonEmpty(JsonObjectReader& r, std::string_view key, bool required,
                                        std::size_t max_len) {
  auto v = r.String(key, required, max_len);
  if (v && v->empty()) {
    r.Fail(key, "must not be empty");
    return std::nullopt;
  }
  return v;
}

}  // namespace

const char* AwsErrorType(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound: return "NotFoundException";
    case ErrorCode::kUnauthorized:
    case ErrorCode::kForbidden: return "UnauthorizedException";
    case ErrorCode::kLimitExceeded: return "LimitExceededException";
    case ErrorCode::kInternal:
    case ErrorCode::kUnavailable: return "InternalServiceException";
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kConflict:
    case ErrorCode::kTooLarge: return "InvalidRequestException";
  }
  return "InternalServiceException";
}

int AwsErrorStatus(ErrorCode code) {
  // 503 is what the AWS SDKs retry as a transient error (with their backoff).
  if (code == ErrorCode::kUnavailable) return 503;
  return code == ErrorCode::kInternal ? 500 : 400;
}

net::HttpResponse AwsJsonResponse(const json::value& body) {
  net::HttpResponse r;
  r.status = 200;
  r.content_type = "application/x-amz-json-1.1";
  r.body = ToJson(body);
  return r;
}

net::HttpResponse AwsJsonError(int status, std::string_view type, std::string_view message) {
  net::HttpResponse r;
  r.status = status;
  r.content_type = "application/x-amz-json-1.1";
  r.body = ToJson(json::object{{"__type", type}, {"message", message}});
  return r;
}

net::HttpResponse AwsJsonError(const Error& error) {
  net::HttpResponse r = AwsJsonError(AwsErrorStatus(error.code), AwsErrorType(error.code), error.message);
  if (error.code == ErrorCode::kUnavailable) r.headers.emplace_back("Retry-After", kRetryAfterSeconds);
  return r;
}

bool ValidName(std::string_view s, std::size_t max_len, std::string_view arn_kind) {
  if (s.empty() || s.size() > max_len) return false;
  if (!arn_kind.empty() && s.rfind("arn:", 0) == 0) {
    std::string marker = ":" + std::string(arn_kind) + "/";
    auto at = s.find(marker);
    return at != std::string_view::npos && PlainName(s.substr(at + marker.size()));
  }
  return PlainName(s);
}

bool ValidResourceRef(std::string_view s, std::size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  for (char c : s) {
    if (!NameChar(c) && c != ':' && c != '/' && c != '_') return false;
  }
  return true;
}

std::optional<std::string> ReadName(JsonObjectReader& r, std::string_view key, bool required,
                                    std::size_t max_len, std::string_view arn_kind) {
  auto v = r.String(key, required, max_len);
  if (!v) return std::nullopt;
  if (!ValidName(*v, max_len, arn_kind)) {
    r.Fail(key, "must be 1-" + std::to_string(max_len) + " characters of [a-zA-Z0-9-.]" +
                    (arn_kind.empty() ? std::string() : " or an ARN ending in :" + std::string(arn_kind) + "/<name>"));
    return std::nullopt;
  }
  return v;
}

std::string NameFromArn(std::string_view name_or_arn, std::string_view kind) {
  if (name_or_arn.rfind("arn:", 0) == 0) {
    std::string marker = ":" + std::string(kind) + "/";
    auto at = name_or_arn.find(marker);
    if (at != std::string_view::npos) return std::string(name_or_arn.substr(at + marker.size()));
  }
  return std::string(name_or_arn);
}

Status ReadTags(JsonObjectReader& r) {
  const json::array* tags = r.Array("Tags");
  if (!tags) return OkStatus();
  if (tags->size() > 200) return Error::InvalidArgument(r.PathOf("Tags") + ": at most 200 tags");
  for (std::size_t i = 0; i < tags->size(); ++i) {
    JsonObjectReader t((*tags)[i], IndexPath(r.PathOf("Tags"), i));
    (void)ReadNonEmpty(t, "Key", true, 128);
    (void)t.String("Value", true, 256);
    MUSTER_RETURN_IF_ERROR(t.Finish());
  }
  return OkStatus();
}

Result<std::vector<matchmaking::PlayerInput>> ParsePlayers(const json::array& players,
                                                           std::string_view path,
                                                           std::size_t max_players,
                                                           bool team_required) {
  if (players.empty()) return Error::InvalidArgument(std::string(path) + ": needs at least one player");
  if (players.size() > max_players) {
    return Error::InvalidArgument(std::string(path) + ": at most " + std::to_string(max_players) + " players");
  }
  std::vector<matchmaking::PlayerInput> out;
  std::set<std::string, std::less<>> ids;
  for (std::size_t i = 0; i < players.size(); ++i) {
    std::string ppath = IndexPath(path, i);
    JsonObjectReader r(players[i], ppath);
    matchmaking::PlayerInput p;
    if (auto id = ReadNonEmpty(r, "PlayerId", true, kMaxPlayerIdLength)) p.player_id = *id;
    if (auto team = ReadNonEmpty(r, "Team", team_required, 1024)) p.team = *team;
    const json::object* attrs = r.Object("PlayerAttributes");
    const json::object* lat = r.Object("LatencyInMs");
    MUSTER_RETURN_IF_ERROR(r.Finish());
    if (!ids.insert(p.player_id).second) {
      return Error::InvalidArgument(JoinPath(ppath, "PlayerId") + ": player " + p.player_id + " appears twice");
    }
    if (attrs) {
      std::string apath = JoinPath(ppath, "PlayerAttributes");
      if (attrs->size() > kMaxAttributesPerPlayer) {
        return Error::InvalidArgument(apath + ": at most " + std::to_string(kMaxAttributesPerPlayer) + " attributes");
      }
      for (const auto& kv : *attrs) {
        std::string name(kv.key());
        if (name.empty() || name.size() > 1024) {
          return Error::InvalidArgument(apath + ": attribute names are 1-1024 characters");
        }
        MUSTER_ASSIGN_OR_RETURN(auto v, matchmaking::ParseAttributeValue(kv.value(), JoinPath(apath, name)));
        p.attributes.emplace(std::move(name), std::move(v));
      }
    }
    if (lat) {
      std::string lpath = JoinPath(ppath, "LatencyInMs");
      for (const auto& kv : *lat) {
        std::string loc(kv.key());
        if (loc.empty() || loc.size() > kMaxLocationLength) {
          return Error::InvalidArgument(lpath + ": location names are 1-" + std::to_string(kMaxLocationLength) +
                                        " characters");
        }
        const auto& v = kv.value();
        if (!v.is_int64() || v.get_int64() < 1 || v.get_int64() > INT32_MAX) {
          return Error::InvalidArgument(JoinPath(lpath, loc) + ": must be an integer between 1 and " +
                                        std::to_string(INT32_MAX));
        }
        p.latency_ms[loc] = static_cast<int>(v.get_int64());
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

Status ReadConfigurationFields(JsonObjectReader& r, bool create, matchmaking::ConfigurationSpec* spec) {
  using matchmaking::BackfillMode;
  using matchmaking::FlexMatchMode;
  if (auto v = ReadNonEmpty(r, "Description", false, 1024)) spec->description = *v;
  if (const json::array* arns = r.Array("GameSessionQueueArns")) {
    std::vector<std::string> list;
    for (std::size_t i = 0; i < arns->size(); ++i) {
      const auto* s = (*arns)[i].if_string();
      if (!s || !ValidResourceRef(*s, 256)) {
        r.Fail(IndexPath("GameSessionQueueArns", i), "must be a queue ARN or name of 1-256 characters of [a-zA-Z0-9:/.-]");
        break;
      }
      list.emplace_back(*s);
    }
    spec->game_session_queue_arns = std::move(list);
  }
  if (auto v = r.Int("RequestTimeoutSeconds", create, 1, 43200)) spec->request_timeout_ms = *v * 1000;
  if (auto v = r.Int("AcceptanceTimeoutSeconds", false, 1, 600)) spec->acceptance_timeout_ms = *v * 1000;
  if (auto v = r.Bool("AcceptanceRequired", create)) spec->acceptance_required = *v;
  if (auto v = ReadName(r, "RuleSetName", create, 256, "matchmakingruleset")) {
    spec->rule_set_name = NameFromArn(*v, "matchmakingruleset");
  }
  if (auto v = r.String("NotificationTarget", false, 300)) spec->notification_target = *v;
  if (auto v = r.Int("AdditionalPlayerCount", false, 0, 199)) spec->additional_player_count = static_cast<int>(*v);
  if (auto v = r.String("CustomEventData", false, 256)) spec->custom_event_data = *v;
  if (auto v = r.String("GameSessionData", false, 4096)) spec->game_session_data = *v;
  if (const json::array* props = r.Array("GameProperties")) {
    if (props->size() > 16) return Error::InvalidArgument(r.PathOf("GameProperties") + ": at most 16 properties");
    std::vector<std::pair<std::string, std::string>> list;
    for (std::size_t i = 0; i < props->size(); ++i) {
      JsonObjectReader p((*props)[i], IndexPath(r.PathOf("GameProperties"), i));
      auto key = p.String("Key", true, 32);
      auto value = p.String("Value", true, 96);
      MUSTER_RETURN_IF_ERROR(p.Finish());
      list.emplace_back(*key, *value);
    }
    spec->game_properties = std::move(list);
  }
  if (auto v = ReadEnum(r, "BackfillMode", {"AUTOMATIC", "MANUAL"})) {
    spec->backfill_mode = *v == "AUTOMATIC" ? BackfillMode::kAutomatic : BackfillMode::kManual;
  }
  if (auto v = ReadEnum(r, "FlexMatchMode", {"STANDALONE", "WITH_QUEUE"})) {
    spec->mode = *v == "STANDALONE" ? FlexMatchMode::kStandalone : FlexMatchMode::kWithQueue;
  }
  if (create) return ReadTags(r);
  return OkStatus();
}

json::object ConfigurationToJson(const matchmaking::ConfigurationSpec& s) {
  using matchmaking::BackfillMode;
  using matchmaking::FlexMatchMode;
  json::array arns, props;
  for (const auto& a : s.game_session_queue_arns) arns.push_back(json::string(a));
  for (const auto& [k, v] : s.game_properties) props.push_back(json::object{{"Key", k}, {"Value", v}});
  json::object o{{"Name", s.name},
                 {"ConfigurationArn", s.arn},
                 {"GameSessionQueueArns", std::move(arns)},
                 {"RequestTimeoutSeconds", s.request_timeout_ms / 1000},
                 {"AcceptanceRequired", s.acceptance_required},
                 {"RuleSetName", s.rule_set_name},
                 {"RuleSetArn", s.rule_set_arn},
                 {"AdditionalPlayerCount", s.additional_player_count},
                 {"CreationTime", EpochSeconds(s.creation_time)},
                 {"GameProperties", std::move(props)},
                 {"BackfillMode", s.backfill_mode == BackfillMode::kAutomatic ? "AUTOMATIC" : "MANUAL"},
                 {"FlexMatchMode", s.mode == FlexMatchMode::kStandalone ? "STANDALONE" : "WITH_QUEUE"}};
  if (s.acceptance_timeout_ms > 0) o["AcceptanceTimeoutSeconds"] = s.acceptance_timeout_ms / 1000;
  if (!s.description.empty()) o["Description"] = s.description;
  if (!s.notification_target.empty()) o["NotificationTarget"] = s.notification_target;
  if (!s.custom_event_data.empty()) o["CustomEventData"] = s.custom_event_data;
  if (!s.game_session_data.empty()) o["GameSessionData"] = s.game_session_data;
  return o;
}

json::object RuleSetToJson(const node::RuleSetRecord& r) {
  return json::object{{"RuleSetName", r.name},
                      {"RuleSetArn", r.arn},
                      {"RuleSetBody", r.body},
                      {"CreationTime", EpochSeconds(r.creation_time)}};
}

}  // namespace muster::api
