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
//   "InvalidParameterException" | "TooManyRequestsException" | "ResourceConflictException" |
//   "UnknownOperationException", "message"}; HTTP 500 "InternalErrorException".
//
// Thread safety: as IdentityService.

#include <string>
#include <string_view>

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

}  // namespace muster::identity
