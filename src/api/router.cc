#include "api/router.h"

#include "api/management_codec.h"
#include "auth/sigv4.h"

namespace muster::api {

Router::Router(ClientApi& client, identity::IdentityService& identities, const Clock& clock,
               RouterOptions options)
    : client_(client),
      identities_(identities),
      clock_(clock),
      options_(std::move(options)),
      identity_api_(identities_, clock_, options_.identity_limits),
      admin_failures_(options_.admin_failures) {
  if (options_.node) management_ = std::make_unique<ManagementApi>(*options_.node);
}

void Router::Handle(const net::HttpRequest& request, net::Responder respond) {
  if (request.path == "/" && request.method == "POST") {
    const std::string* target = request.Header("x-amz-target");
    if (!target) {
      return respond(AwsJsonError(400, "InvalidRequestException", "POST / needs an X-Amz-Target header"));
    }
    std::string_view t = *target;
    std::size_t dot = t.find('.');
    std::string_view service = t.substr(0, dot);
    std::string_view op = dot == std::string_view::npos ? std::string_view() : t.substr(dot + 1);
    if (service == "AWSCognitoIdentityService") {
      auto res = identity_api_.Handle(op, request.body, request.remote_address);
      net::HttpResponse r;
      r.status = res.http_status;
      r.content_type = "application/x-amz-json-1.1";
      r.body = std::move(res.body);
      return respond(std::move(r));
    }
    if (service == "GameLift") return Management(request, op, std::move(respond));
    return respond(AwsJsonError(400, "UnknownOperationException",
                                "unknown X-Amz-Target service '" + std::string(service) + "'"));
  }
  if (request.path == "/healthz" && request.method == "GET") {
    return respond(JsonResponse(200, json::object{{"status", "ok"}}));
  }
  if (request.path.rfind("/@connections/", 0) == 0) return Connections(request, std::move(respond));
  if (request.path == "/ws" && options_.push) {
    // A WebSocket upgrade never gets here (the transport hands it to the gateway): this is a
    // plain request, another method than GET, or an upgrade without Connection: Upgrade.
    net::HttpResponse r = ErrorResponse(Error::InvalidArgument(
        "/ws is the push flow's WebSocket: send a GET with Upgrade: websocket and Connection: Upgrade (docs/push.md)"));
    r.status = 426;
    r.headers.emplace_back("Upgrade", "websocket");
    r.headers.emplace_back("Connection", "Upgrade");
    return respond(std::move(r));
  }
  if (client_.Handle(request, respond)) return;
  respond(ErrorResponse(Error::NotFound("no route for " + request.method + " " + request.path)));
}

std::optional<Router::AdminRefusal> Router::CheckAdmin(const net::HttpRequest& request, std::string_view service) {
  auth::SignableRequest sr{request.method, request.path, request.query, request.headers, request.body};
  auth::SecretLookup lookup = [&](std::string_view ak) -> Result<auth::SecretLookupResult> {
    if (!options_.admin_secret) return Error::Unauthorized("the management API is disabled");
    MUSTER_ASSIGN_OR_RETURN(std::string secret, options_.admin_secret(ak));
    return auth::SecretLookupResult{secret, ""};
  };
  const std::string client = ClientKey(request.remote_address);
  const Millis now = clock_.NowMillis();
  if (int wait = admin_failures_.RetryAfterSeconds(client, now); wait > 0) {
    return AdminRefusal{true, "too many failed signatures from your address; retry in " + std::to_string(wait) + " s"};
  }
  auto v = auth::VerifyRequest(sr, lookup, {std::string(service), options_.region, 5 * 60 * 1000}, now);
  if (!v.ok()) {
    (void)admin_failures_.Allow(client, now);  // a failure spends one of the address's tokens
    return AdminRefusal{false, v.error().message};
  }
  return std::nullopt;
}

void Router::Management(const net::HttpRequest& request, std::string_view op, net::Responder respond) {
  if (auto refusal = CheckAdmin(request, "gamelift")) {
    return respond(refusal->throttled ? AwsJsonError(429, "ThrottlingException", refusal->message)
                                      : AwsJsonError(400, "UnauthorizedException", refusal->message));
  }
  if (!management_) {
    return respond(AwsJsonError(500, "InternalServiceException",
                                "the management API is not connected to a node (RouterOptions.node)"));
  }
  management_->Handle(op, request.body, std::move(respond));
}

void Router::Connections(const net::HttpRequest& request, net::Responder respond) {
  // The managed gateway's management API: signed with admin credentials for execute-api.
  if (auto refusal = CheckAdmin(request, "execute-api")) {
    net::HttpResponse r = ErrorResponse(refusal->throttled ? Error::LimitExceeded(refusal->message)
                                                           : Error::Forbidden(refusal->message));
    r.headers.emplace_back("x-amzn-ErrorType", refusal->throttled ? "LimitExceededException" : "ForbiddenException");
    return respond(std::move(r));
  }
  if (!options_.push || !options_.push->Manage(request, respond)) {
    respond(ErrorResponse(Error::NotFound("the push gateway is not running on this node")));
  }
}

}  // namespace muster::api
