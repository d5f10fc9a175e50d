#pragma once
// AWS Signature Version 4 for Muster: signing (clients, tests) and verifying (the server), in the
// header form (Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...)
// and the presigned query form (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires,
// X-Amz-SignedHeaders, X-Amz-Security-Token, X-Amz-Signature), for non-S3 services
// ("execute-api" for the client API, "gamelift" for the control plane). Transport-independent:
// callers fill a SignableRequest from whatever HTTP stack they use. Canonicalisation rules are in
// canonical.h.
//
// Errors from VerifyRequest (each with its own message):
//   kUnauthorized: no signature, malformed Authorization header, unsupported algorithm, malformed
//     credential scope, wrong service or region in scope, X-Amz-Date missing/malformed,
//     X-Amz-Expires missing/malformed, host (or x-amz-date) not signed, unknown access key.
//   kForbidden (the SDKs expect 403 for these and retry skew errors with a corrected clock):
//     request time outside the skew window, presigned URL expired, missing or mismatched session
//     token, signed header absent, x-amz-content-sha256 that is not the body's hex SHA-256
//     (UNSIGNED-PAYLOAD and STREAMING-* included: every API here signs its JSON body), signature
//     mismatch.
// A presigned URL without x-amz-content-sha256 may sign UNSIGNED-PAYLOAD only for an empty body.
//
// Thread safety: pure functions; the SecretLookup must be safe to call from the caller's thread.

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace muster::auth {

struct SignableRequest {
  std::string method;  // "GET"
  std::string path;    // raw path as on the wire, e.g. "/requestmatchstatus"
  std::string query;   // raw query string without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names any case; must hold Host
  std::string body;
};

struct Credentials {
  std::string access_key_id, secret_access_key, session_token;
};

// Client side: adds Authorization, X-Amz-Date and X-Amz-Security-Token (when the credentials have
// a session token), replacing earlier ones. Signs every signable header present (Host included).
// With add_content_sha256, also adds and signs X-Amz-Content-Sha256.
void SignRequest(SignableRequest& req, const Credentials& c, std::string_view region,
                 std::string_view service, Millis now, bool add_content_sha256 = false);

// Client side: appends the presigned X-Amz-* query parameters (X-Amz-Expires = expires_seconds);
// the payload hash signed is sha256 of the body.
void PresignRequest(SignableRequest& req, const Credentials& c, std::string_view region,
                    std::string_view service, Millis now, int expires_seconds);

struct VerifyOptions {
  std::string service;  // "execute-api" or "gamelift"
  std::string region;   // the node's region; empty = accept any (tests and tools only)
  Millis max_skew_ms = 5 * 60 * 1000;
};

struct VerifiedIdentity {
  std::string access_key_id;
  std::string session_token;
  std::string region;
  Millis request_time = 0;
  std::string signature;  // the signature that was checked (hex)
  int presigned_expires_seconds = 0;  // X-Amz-Expires of a presigned URL; 0 for the header form
  Millis valid_until = 0;  // the end of the request's validity: a presigned URL's expiry, or the
                           // request time plus the skew window for the header form
};

// The secret of an access key and the session token bound to it (empty if none).
struct SecretLookupResult {
  std::string secret_access_key;
  std::string session_token;
};
// Returns kUnauthorized (or any error, passed through) for unknown keys.
using SecretLookup = std::function<Result<SecretLookupResult>(std::string_view access_key_id)>;

Result<VerifiedIdentity> VerifyRequest(const SignableRequest& req, const SecretLookup& lookup,
                                       const VerifyOptions& opt, Millis now);

// Limits on untrusted input.
inline constexpr std::size_t kMaxAuthorizationBytes = 8192;
inline constexpr std::size_t kMaxSignedHeaders = 64;
inline constexpr int kMaxPresignExpiresSeconds = 7 * 24 * 3600;

}  // namespace muster::auth
