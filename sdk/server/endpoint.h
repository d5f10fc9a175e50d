#pragma once
// Builds the WebSocket endpoint the SDK connects to: scheme, host, port and the request target
// with the query parameters the backend identifies the process by (Authorization, ComputeId,
// FleetId, IdempotencyToken, pID, sdkLanguage, sdkVersion; SigV4 fields in key mode). A "/" is
// appended to the path when missing, as the GameLift SDKs do.
//
// Thread safety: pure functions.

#include <string>
#include <string_view>

#include "common/result.h"
#include "sdk/server/model.h"

namespace muster::sdk {

struct Endpoint {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;  // path + "?" + query
};

// `now_amz_date` ("20261121T130423Z") is used only for SigV4 (no auth token).
Result<Endpoint> BuildEndpoint(const ServerParameters& params, std::string_view idempotency_token,
                               std::string_view sdk_version, std::string_view now_amz_date);

// Overrides fields of `params` with the GAMELIFT_SDK_* / GAMELIFT_* environment variables that
// are set and non-empty. `getenv` is injectable for tests.
ServerParameters ApplyEnvironment(ServerParameters params,
                                  const char* (*getenv_fn)(const char*) = nullptr);

}  // namespace muster::sdk
