#pragma once
// SigV4 of the game server socket's connect request (server SDK 5.x, auth mode 2, WIRE.md §1).
// The SDK does not sign an HTTP request: it signs the sorted, URI-encoded query string of only
// ComputeId, FleetId and pID ("ComputeId=c1&FleetId=f%2F1&pID=123", sorted by raw name), as
//   StringToSign = "AWS4-HMAC-SHA256\n<X-Amz-Date>\n<scope>\n<hex sha256(that string)>"
// with scope <yyyymmdd>/<region>/gamelift/aws4_request, and sends Authorization=SigV4,
// X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, optional X-Amz-Security-Token and X-Amz-Signature
// beside the other connect parameters. Values may arrive URL-encoded once, twice (the C++ SDK
// encodes the credential before the URL is built) or not at all (C#); the verifier decodes
// leniently.
//
// Thread safety: pure functions.

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/sigv4.h"

namespace muster::auth {

struct ServerSocketIds {
  std::string compute_id;
  std::string fleet_id;
  std::string process_id;  // pID
};

// The string whose hash is signed.
std::string ServerSocketCanonicalString(const ServerSocketIds& ids);

// Client side (tests, sample servers): the query parameters to add to the connect URL, values
// not yet URL-encoded, in order: Authorization, X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date,
// [X-Amz-Security-Token], X-Amz-Signature.
std::vector<std::pair<std::string, std::string>> SignServerSocketConnect(
    const ServerSocketIds& ids, const Credentials& c, std::string_view region, Millis now);

// Server side: verifies the signature parameters of a connect request's raw query string.
// The ids are taken from the same query. Error codes as VerifyRequest's.
Result<VerifiedIdentity> VerifyServerSocketConnect(std::string_view raw_query,
                                                   const SecretLookup& lookup,
                                                   const VerifyOptions& opt, Millis now);

}  // namespace muster::auth
