#pragma once
// Public value types of the Muster server SDK (GameLift server SDK 5 shaped): what a game server
// passes to InitSDK and ProcessReady, and what its callbacks receive.
//
// Thread safety: plain values. The callbacks in ProcessParameters run on the SDK's callback
// thread (see server_sdk.h).

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fleet/protocol.h"

namespace muster::sdk {

// The game session the backend asks the server to host (fields as in the CreateGameSession push;
// fleet_id, location and status are filled where known).
using GameSession = fleet::GameSessionInfo;
// An update pushed for the current game session (backfill results).
using UpdateGameSession = fleet::UpdateGameSession;
using DescribePlayerSessionsRequest = fleet::DescribePlayerSessions;
using DescribePlayerSessionsResult = fleet::DescribePlayerSessionsResult;
using StartMatchBackfillRequest = fleet::StartMatchBackfill;
using StopMatchBackfillRequest = fleet::StopMatchBackfill;
using GetComputeCertificateResult = fleet::GetComputeCertificateResult;
using GetFleetRoleCredentialsRequest = fleet::GetFleetRoleCredentials;
using GetFleetRoleCredentialsResult = fleet::GetFleetRoleCredentialsResult;

enum class PlayerSessionCreationPolicy { kAcceptAll, kDenyAll };

// Where and as whom to connect. Environment variables override these when set (see
// ApplyEnvironment): GAMELIFT_SDK_WEBSOCKET_URL, GAMELIFT_SDK_FLEET_ID, GAMELIFT_SDK_HOST_ID,
// GAMELIFT_SDK_PROCESS_ID, GAMELIFT_SDK_AUTH_TOKEN, GAMELIFT_REGION, GAMELIFT_ACCESS_KEY,
// GAMELIFT_SECRET_KEY, GAMELIFT_SESSION_TOKEN.
struct ServerParameters {
  std::string web_socket_url;  // ws://host:port[/path] or wss://...
  std::string fleet_id;
  std::string host_id;     // the compute id (query parameter ComputeId)
  std::string process_id;  // query parameter pID; identifies the process across reconnects
  std::string auth_token;  // from GetComputeAuthToken; if empty, SigV4 with the keys below
  std::string aws_region;
  std::string access_key;
  std::string secret_key;
  std::string session_token;
};

// Timing and transport knobs. Defaults match the GameLift C++ SDK; tests shorten them.
struct SdkOptions {
  std::chrono::milliseconds handshake_timeout{20'000};
  std::chrono::milliseconds request_timeout{20'000};  // then re-send with the same RequestId
  int max_request_attempts = 3;                        // then the call fails with kUnavailable
  std::chrono::milliseconds heartbeat_interval{60'000};
  std::chrono::milliseconds heartbeat_jitter{10'000};  // each interval is base ± jitter
  std::chrono::milliseconds reconnect_initial_backoff{4'000};
  std::chrono::milliseconds reconnect_max_backoff{32'000};
  std::chrono::milliseconds destroy_close_wait{2'000};  // how long Destroy waits for the close
  bool verify_tls_certificate = false;  // like the C++ SDK: off, so self-signed certs work
  std::string ca_file;                   // extra trust anchor when verifying (PEM)
  std::string sdk_version = "5.4.0";
};

struct ProcessParameters {
  std::function<void(GameSession)> on_start_game_session;
  std::function<void(UpdateGameSession)> on_update_game_session;
  std::function<void()> on_process_terminate;
  std::function<bool()> on_health_check;  // absent = always healthy
  int port = 0;
  std::vector<std::string> log_paths;
};

}  // namespace muster::sdk
