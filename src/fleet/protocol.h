#pragma once
// The server socket protocol (game server ⇄ backend, GameLift server SDK 5.x compatible): message
// types for both directions, their JSON encoding, and strict decoding of untrusted frames.
//
// Frame layout (one WebSocket text message = one JSON object, fields at the top level):
//   request  (server → backend): {"Action": A, "RequestId": R, ...request fields}
//   reply    (backend → server): {"Action": A, "RequestId": R, "StatusCode": 200|4xx|500,
//                                 "ErrorMessage"?: "...", ...reply fields}
//   push     (backend → server): {"Action": P, ...push fields} — no RequestId, or StatusCode 200.
// Push actions (CreateGameSession, UpdateGameSession, TerminateProcess, RefreshConnection) are
// distinct from request actions, so a backend frame is classified by its Action alone.
//
// Validation policy: malformed JSON, a non-object, a missing or unknown Action, a missing required
// field, or a field of the wrong type (a float or a string where an integer is expected) is an
// error naming the field. Unknown EXTRA fields are tolerated (newer SDKs add fields); unknown
// Actions are rejected. JSON null counts as absent. Frames from game servers are limited to
// kMaxClientFrameBytes; frames from the backend to kMaxServerFrameBytes (MatchmakerData and
// GameSessionData legitimately exceed 64 KiB).
//
// Thread safety: plain values and pure functions.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/json.h"
#include "common/result.h"

namespace muster::fleet {

inline constexpr std::size_t kMaxClientFrameBytes = 64 * 1024;
inline constexpr std::size_t kMaxServerFrameBytes = 1024 * 1024;

// ---- Game server → backend requests ----

struct ActivateServerProcess {
  std::string sdk_version;
  std::string sdk_language;
  std::optional<std::string> sdk_tool_name;
  std::optional<std::string> sdk_tool_version;
  int port = 0;
  std::vector<std::string> log_paths;  // encoded as null when empty
  bool operator==(const ActivateServerProcess&) const = default;
};

struct HeartbeatServerProcess {
  bool health_status = true;
  bool operator==(const HeartbeatServerProcess&) const = default;
};

struct ActivateGameSession {
  std::string game_session_id;
  bool operator==(const ActivateGameSession&) const = default;
};

struct UpdatePlayerSessionCreationPolicy {
  std::string game_session_id;
  std::string player_session_policy;  // ACCEPT_ALL | DENY_ALL
  bool operator==(const UpdatePlayerSessionCreationPolicy&) const = default;
};

struct AcceptPlayerSession {
  std::string game_session_id;
  std::string player_session_id;
  bool operator==(const AcceptPlayerSession&) const = default;
};

struct RemovePlayerSession {
  std::string game_session_id;
  std::string player_session_id;
  bool operator==(const RemovePlayerSession&) const = default;
};

struct DescribePlayerSessions {
  std::optional<std::string> game_session_id;
  std::optional<std::string> player_id;
  std::optional<std::string> player_session_id;
  std::optional<std::string> player_session_status_filter;
  std::optional<std::string> next_token;
  std::optional<int> limit;
  bool operator==(const DescribePlayerSessions&) const = default;
};

// A matchmaking attribute: AttrType is NONE, STRING (S), DOUBLE (N), STRING_LIST (SL) or
// STRING_DOUBLE_MAP (SDM).
struct AttributeValue {
  std::string attr_type = "NONE";
  std::optional<std::string> s;
  std::optional<double> n;
  std::optional<std::vector<std::string>> sl;
  std::optional<std::map<std::string, double>> sdm;
  bool operator==(const AttributeValue&) const = default;
};

struct BackfillPlayer {
  std::string player_id;
  std::map<std::string, AttributeValue> player_attributes;
  std::map<std::string, std::int64_t> latency_in_ms;
  std::optional<std::string> team;
  bool operator==(const BackfillPlayer&) const = default;
};

struct StartMatchBackfill {
  std::optional<std::string> ticket_id;
  std::string game_session_arn;
  std::string matchmaking_configuration_arn;
  std::vector<BackfillPlayer> players;
  bool operator==(const StartMatchBackfill&) const = default;
};

struct StopMatchBackfill {
  std::string game_session_arn;
  std::string matchmaking_configuration_arn;
  std::string ticket_id;
  bool operator==(const StopMatchBackfill&) const = default;
};

struct GetComputeCertificate {
  bool operator==(const GetComputeCertificate&) const = default;
};

struct GetFleetRoleCredentials {
  std::string role_arn;  // also read from "RoleArnm" (a field-name typo in some Go SDK versions)
  std::optional<std::string> role_session_name;
  bool operator==(const GetFleetRoleCredentials&) const = default;
};

struct TerminateServerProcess {
  bool operator==(const TerminateServerProcess&) const = default;
};

using ClientRequest =
    std::variant<ActivateServerProcess, HeartbeatServerProcess, ActivateGameSession,
                 UpdatePlayerSessionCreationPolicy, AcceptPlayerSession, RemovePlayerSession,
                 DescribePlayerSessions, StartMatchBackfill, StopMatchBackfill,
                 GetComputeCertificate, GetFleetRoleCredentials, TerminateServerProcess>;

struct ClientMessage {
  std::string request_id;
  ClientRequest body;
  std::string_view action() const;
  bool operator==(const ClientMessage&) const = default;
};

// ---- Backend → game server pushes ----

struct CreateGameSession {
  std::string game_session_id;  // an ARN
  std::string game_session_name;
  int maximum_player_session_count = 0;
  int port = 0;
  std::string ip_address;
  std::string dns_name;
  std::string game_session_data;
  std::string matchmaker_data;  // JSON text
  std::map<std::string, std::string> game_properties;
  bool operator==(const CreateGameSession&) const = default;
};

struct GameSessionInfo {
  std::string game_session_id;
  std::string name;
  std::string fleet_id;
  int maximum_player_session_count = 0;
  int port = 0;
  std::string ip_address;
  std::string dns_name;
  std::string game_session_data;
  std::string matchmaker_data;
  std::map<std::string, std::string> game_properties;
  std::string location;
  std::string status;
  std::string status_reason;
  bool operator==(const GameSessionInfo&) const = default;
};

struct UpdateGameSession {
  GameSessionInfo game_session;
  std::string update_reason;  // MATCHMAKING_DATA_UPDATED, BACKFILL_FAILED, ..., UNKNOWN
  std::string backfill_ticket_id;
  bool operator==(const UpdateGameSession&) const = default;
};

struct TerminateProcess {
  std::int64_t termination_time = 0;  // epoch seconds
  bool operator==(const TerminateProcess&) const = default;
};

struct RefreshConnection {
  std::string refresh_connection_endpoint;
  std::string auth_token;
  bool operator==(const RefreshConnection&) const = default;
};

// ---- Reply bodies (StatusCode 200) ----

struct PlayerSessionInfo {
  std::string player_session_id;
  std::string player_id;
  std::string game_session_id;
  std::string fleet_id;
  std::int64_t creation_time = 0;     // epoch ms
  std::int64_t termination_time = 0;  // epoch ms
  std::string status;
  std::string ip_address;
  int port = 0;
  std::string player_data;
  std::string dns_name;
  bool operator==(const PlayerSessionInfo&) const = default;
};

struct DescribePlayerSessionsResult {
  std::vector<PlayerSessionInfo> player_sessions;
  std::string next_token;
  bool operator==(const DescribePlayerSessionsResult&) const = default;
};

struct StartMatchBackfillResult {
  std::string ticket_id;
  bool operator==(const StartMatchBackfillResult&) const = default;
};

struct GetComputeCertificateResult {
  std::string compute_name;
  std::string certificate_path;
  bool operator==(const GetComputeCertificateResult&) const = default;
};

struct GetFleetRoleCredentialsResult {
  std::string access_key_id;  // empty = not available
  std::string secret_access_key;
  std::string session_token;
  std::int64_t expiration = 0;
  std::string assumed_role_user_arn;
  std::string assumed_role_id;
  bool operator==(const GetFleetRoleCredentialsResult&) const = default;
};

// monostate = a reply without fields (or an error reply).
using ServerBody =
    std::variant<std::monostate, CreateGameSession, UpdateGameSession, TerminateProcess,
                 RefreshConnection, DescribePlayerSessionsResult, StartMatchBackfillResult,
                 GetComputeCertificateResult, GetFleetRoleCredentialsResult>;

struct ServerMessage {
  std::string action;
  std::string request_id;  // empty for pushes without one
  int status_code = 200;
  std::string error_message;
  ServerBody body;
  bool is_push() const;
  bool ok() const { return status_code == 200; }
  bool operator==(const ServerMessage&) const = default;
};

// True for the four push actions.
bool IsPushAction(std::string_view action);
// True for the twelve game-server request actions.
bool IsRequestAction(std::string_view action);

// What could be read from a frame even when it failed to decode, so the backend can answer
// {"Action", "RequestId", "StatusCode": 400, "ErrorMessage"}.
struct FrameHeader {
  std::string action;
  std::string request_id;
};

// Decodes a frame sent by a game server. On error, `header` (if given) holds whatever Action and
// RequestId strings were readable.
Result<ClientMessage> DecodeClientMessage(std::string_view frame, FrameHeader* header = nullptr);
// Decodes a frame sent by the backend (a push or a reply).
Result<ServerMessage> DecodeServerMessage(std::string_view frame);

std::string Encode(const ClientMessage& message);
// A push (no RequestId unless set) or a reply (body fields only when status_code == 200).
std::string Encode(const ServerMessage& message);
std::string EncodeReply(std::string_view action, std::string_view request_id, int status,
                        std::string_view error_message, const json::object* fields = nullptr);

// The reply status code for an error: 400/401/403/404/409/429/500 (TooLarge → 400).
int WireStatus(ErrorCode code);
// The error for a non-200 reply (400 → InvalidArgument, 404 → NotFound, ...).
Error ErrorFromStatus(int status, std::string_view message);

}  // namespace muster::fleet
