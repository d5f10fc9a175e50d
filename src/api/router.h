#pragma once
// The HTTP front of a node: routes each request to the identity API, the management API, the
// client API or the health check, and answers everything else with a JSON 404.
//
//   POST /  X-Amz-Target: AWSCognitoIdentityService.<Op>  → identity API (unsigned, rate limited
//                                                           per client address)
//   POST /  X-Amz-Target: GameLift.<Op>                   → management API (SigV4, admin;
//                                                           failed signatures rate limited)
//   GET  /healthz                                          → {"status":"ok"}
//   POST/GET/DELETE /@connections/{id}                     → the push gateway's connections
//                                                           (SigV4 execute-api, admin)
//   the client API routes (client_api.h)
//
// Threads: Handle runs on the connection's loop, on several loops at once. Signatures, rate limits,
// the identity API and the ticket status reads are served there; the management and client
// operations post their node part to its owner thread (Node::RunOnConfiguration and RunOnTicket
// for tickets and definitions, Node::RunOnOwner for the rest), whence they answer.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/client_api.h"
#include "api/management.h"
#include "api/push_gateway.h"
#include "identity/identity_api.h"
#include "net/http_server.h"

namespace muster::api {

struct RouterOptions {
  // Admin credentials for the management API (access key → secret).
  std::function<Result<std::string>(std::string_view access_key)> admin_secret;
  // The node the management API operates on; null = the management operations answer that the
  // API is not connected.
  node::Node* node = nullptr;
  // Management requests must be signed for this region (empty: any; tests only).
  std::string region;
  identity::IdentityApiLimits identity_limits;
  // Failed management API signatures per client address; beyond, the address gets 429
  // ThrottlingException until its budget refills (a guessed admin secret costs time).
  RateLimit admin_failures{30, 30};
  // The push flow's gateway, for /@connections; null answers 404.
  PushGateway* push = nullptr;
};

class Router {
 public:
  Router(ClientApi& client, identity::IdentityService& identities, const Clock& clock,
         RouterOptions options);
  // Answers through `respond`: at once, or from the node's thread (the routes that start tickets
  // once the ticket is durable).
  void Handle(const net::HttpRequest& request, net::Responder respond);

 private:
  void Management(const net::HttpRequest& request, std::string_view op, net::Responder respond);
  void Connections(const net::HttpRequest& request, net::Responder respond);
  struct AdminRefusal {
    bool throttled = false;  // the address failed too often: 429
    std::string message;
  };
  // Checks an admin signature for `service`; empty when it is valid.
  std::optional<AdminRefusal> CheckAdmin(const net::HttpRequest& request, std::string_view service);

  ClientApi& client_;
  identity::IdentityService& identities_;
  const Clock& clock_;
  RouterOptions options_;
  identity::IdentityApi identity_api_;
  RateLimiter admin_failures_;
  std::unique_ptr<ManagementApi> management_;
};

}  // namespace muster::api
