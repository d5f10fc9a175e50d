#pragma once
// Request parsing and response encoding for the matchmaking operations of the management API
// (awsJson1_1 with the GameLift shapes, WIRE.md §2). Parsing checks types, lengths, patterns and
// ranges and names the offending field ("Players[2].LatencyInMs.custom-a: ..."); the node checks
// what depends on other definitions (rule set and queue exist, name free, rule set unused).
//
// Errors on the wire: HTTP 400 (500 for server faults) with {"__type": "<Name>Exception",
// "message": "..."}; see AwsErrorType.
//
// Thread safety: plain functions, no shared state.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/result.h"
#include "matchmaking/lifecycle.h"
#include "net/http_server.h"
#include "node/node.h"

namespace muster::api {

// The "__type" for an error code. None of the matchmaking operations has ConflictException in
// its model: a taken name, a ticket id in use or a rule set still in use are InvalidRequest.
const char* AwsErrorType(ErrorCode code);
int AwsErrorStatus(ErrorCode code);  // 400, or 500 for kInternal / kUnavailable

net::HttpResponse AwsJsonResponse(const json::value& body);
net::HttpResponse AwsJsonError(int status, std::string_view type, std::string_view message);
// kUnavailable (the store is behind, or the node reloads) answers 503 with this Retry-After.
net::HttpResponse AwsJsonError(const Error& error);
inline constexpr const char* kRetryAfterSeconds = "1";

// Identifiers: 1..max_len of [a-zA-Z0-9-.]; with arn_kind also "arn:<...>:<arn_kind>/<name>".
bool ValidName(std::string_view s, std::size_t max_len, std::string_view arn_kind = {});
// Queue and game session references (names or ARNs): 1..max_len of [a-zA-Z0-9:/._-].
bool ValidResourceRef(std::string_view s, std::size_t max_len);
// Reads a name/ARN field; records "<path>: ..." on the reader when it does not fit.
std::optional<std::string> ReadName(JsonObjectReader& r, std::string_view key, bool required,
                                    std::size_t max_len, std::string_view arn_kind = {});
// The name inside "arn:...:<kind>/<name>"; any other text is returned as it is.
std::string NameFromArn(std::string_view name_or_arn, std::string_view kind);

// Tags [{Key, Value}] of the Create operations: checked, then ignored (Muster has no tagging).
// Errors of the array itself are recorded on `r`; errors inside it are returned.
Status ReadTags(JsonObjectReader& r);

// Players [{PlayerId, PlayerAttributes {name: {S|N|SL|SDM}}, Team, LatencyInMs {loc: ms}}]:
// 1..max_players, unique ids, ≤10 attributes each. Backfill requires Team on every player.
Result<std::vector<matchmaking::PlayerInput>> ParsePlayers(const json::array& players,
                                                           std::string_view path,
                                                           std::size_t max_players,
                                                           bool team_required);

// The configuration fields other than Name. create: RuleSetName, RequestTimeoutSeconds and
// AcceptanceRequired are required and Tags is allowed; update: present fields replace those of
// `spec` (a changed RuleSetName is resolved again by the node). Errors of plain fields are
// recorded on `r` (its Finish reports them); errors inside arrays are returned.
Status ReadConfigurationFields(JsonObjectReader& r, bool create, matchmaking::ConfigurationSpec* spec);

json::object ConfigurationToJson(const matchmaking::ConfigurationSpec& s);
json::object RuleSetToJson(const node::RuleSetRecord& r);

}  // namespace muster::api
