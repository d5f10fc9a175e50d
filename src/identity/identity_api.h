#pragma once
// The identity-pool API in the awsJson1_1 protocol: POST / with
// X-Amz-Target: AWSCognitoIdentityService.<Op>, unsigned. Transport-independent: the HTTP layer
// passes the operation name and the body and writes back the status and body (Content-Type
// application/x-amz-json-1.1).
//   GetId {IdentityPoolId, Logins?, AccountId?} -> {IdentityId}
//   GetCredentialsForIdentity {IdentityId, Logins?, CustomRoleArn?}
//     -> {IdentityId, Credentials {AccessKeyId, SecretKey, SessionToken, Expiration (epoch s)}}
//   GetOpenIdToken {IdentityId, Logins?} -> {IdentityId, Token}
// Errors: HTTP 400 {"__type": "NotAuthorizedException" | "ResourceNotFoundException" |
//   "InvalidParameterException" | "ResourceConflictException" | "UnknownOperationException",
//   "message"}; HTTP 429 "TooManyRequestsException" (as the service's model has it); HTTP 500
//   "InternalErrorException".
//
// Thread safety: as IdentityService.

#include <string>
#include <string_view>

#include "common/rate_limiter.h"
#include "identity/identity_service.h"

namespace muster::identity {

struct JsonApiResponse {
  int http_status = 200;
  std::string body;
};

inline constexpr std::string_view kIdentityTargetPrefix = "AWSCognitoIdentityService.";

JsonApiResponse HandleIdentityApi(IdentityService& service, std::string_view op,
                                  std::string_view body);

// The error body and status for an Error (exposed for the HTTP layer's own failures).
JsonApiResponse IdentityErrorResponse(const Error& e);

// Per-address rate limits of the identity API (docs/client-api.md, "Limits"). GetId creates an
// identity; GetCredentialsForIdentity and GetOpenIdToken issue credentials or tokens. Every call
// counts, whether it succeeds or not (a failed guess costs the same as a success). Over the limit:
// HTTP 429 TooManyRequestsException, which the SDKs retry with back-off.
struct IdentityApiLimits {
  RateLimit identities{30, 60};    // per minute, burst
  RateLimit credentials{120, 120};
};

// HandleIdentityApi behind the per-address rate limits.
class IdentityApi {
 public:
  IdentityApi(IdentityService& service, const Clock& clock, IdentityApiLimits limits);
  // `client` is the caller's address (limits apply per ClientKey(client)).
  JsonApiResponse Handle(std::string_view op, std::string_view body, std::string_view client);

 private:
  IdentityService& service_;
  const Clock& clock_;
  RateLimiter identities_;
  RateLimiter credentials_;
};

}  // namespace muster::identity
