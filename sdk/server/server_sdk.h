#pragma once
// The Muster server SDK: what a game server links to talk to the backend over the server socket
// (GameLift server SDK 5 shaped and wire-compatible). Typical use:
//
//   muster::sdk::InitSDK({.web_socket_url = "ws://127.0.0.1:9080", .fleet_id = ..., ...});
//   muster::sdk::ProcessReady({.on_start_game_session = ..., .port = 7777});
//   ... AcceptPlayerSession(id) for each joining player, RemovePlayerSession(id) when they leave
//   muster::sdk::ProcessEnding();  muster::sdk::Destroy();
//
// Threads. The SDK owns two threads: an I/O thread (the WebSocket, timers, heartbeats,
// reconnects) and a callback thread. All ProcessParameters callbacks run on the callback thread,
// one at a time, in the order the pushes arrived; a callback may call any SDK function (they
// block until the reply arrives), but a slow callback delays the callbacks after it and the
// health check. Every public function is safe to call from any thread, and blocks the caller
// until its reply arrives (at most request_timeout × max_request_attempts) — never call them
// from a thread that must not block.
//
// Timing (SdkOptions): requests wait request_timeout for a reply, then are re-sent with the SAME
// RequestId; heartbeats every heartbeat_interval ± heartbeat_jitter; a dropped connection is
// re-opened with back-off reconnect_initial_backoff doubling to reconnect_max_backoff, and the
// process is not re-activated (the backend knows it by pID). RefreshConnection pushes are
// followed: connect to the new endpoint, then close the old socket with 1001. Destroy closes
// with code 1001.
//
// Outcomes are values: Status / Result<T>; nothing throws.

#include <memory>
#include <string>

#include "common/result.h"
#include "sdk/server/model.h"

namespace muster::sdk {

class ServerSdk {
 public:
  ServerSdk();
  ~ServerSdk();  // Destroy()s
  ServerSdk(const ServerSdk&) = delete;
  ServerSdk& operator=(const ServerSdk&) = delete;

  // Applies the environment overrides, connects (waits for the first connection, up to the
  // handshake timeout) and starts the SDK threads. Fails if already initialised.
  Status InitSDK(const ServerParameters& params, const SdkOptions& options = {});
  // Registers the callbacks, sends ActivateServerProcess and starts heartbeats.
  Status ProcessReady(const ProcessParameters& params);
  // Tells the backend the process is ending (TerminateServerProcess); stops heartbeats.
  Status ProcessEnding();
  // Accepts the game session last pushed by CreateGameSession.
  Status ActivateGameSession();
  Status UpdatePlayerSessionCreationPolicy(PlayerSessionCreationPolicy policy);
  // Validates a joining player's session id with the backend (error status = reject the player).
  Status AcceptPlayerSession(const std::string& player_session_id);
  Status RemovePlayerSession(const std::string& player_session_id);
  Result<DescribePlayerSessionsResult> DescribePlayerSessions(const DescribePlayerSessionsRequest& req);
  Result<std::string> StartMatchBackfill(const StartMatchBackfillRequest& req);  // the ticket id
  Status StopMatchBackfill(const StopMatchBackfillRequest& req);
  Result<GetComputeCertificateResult> GetComputeCertificate();
  Result<GetFleetRoleCredentialsResult> GetFleetRoleCredentials(const GetFleetRoleCredentialsRequest& req);

  // The current game session id (kNotFound before a CreateGameSession push).
  Result<std::string> GetGameSessionId() const;
  // Epoch seconds from a TerminateProcess push (kNotFound if none).
  Result<std::int64_t> GetTerminationTime() const;
  // Closes the connection (code 1001) and stops the threads. Pending calls fail with
  // kUnavailable. Safe to call twice; InitSDK may be called again afterwards.
  Status Destroy();

  // For tests and logs: the process id in use, and whether a socket is currently open.
  std::string process_id() const;
  bool connected() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The GameLift-style free functions, acting on one process-wide ServerSdk.
ServerSdk& DefaultSdk();
Status InitSDK(const ServerParameters& params, const SdkOptions& options = {});
Status ProcessReady(const ProcessParameters& params);
Status ProcessEnding();
Status ActivateGameSession();
Status UpdatePlayerSessionCreationPolicy(PlayerSessionCreationPolicy policy);
Status AcceptPlayerSession(const std::string& player_session_id);
Status RemovePlayerSession(const std::string& player_session_id);
Result<DescribePlayerSessionsResult> DescribePlayerSessions(const DescribePlayerSessionsRequest& req);
Result<std::string> GetGameSessionId();
Status Destroy();

}  // namespace muster::sdk
