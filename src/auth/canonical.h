#pragma once
// The canonicalisation steps of AWS Signature Version 4, shared by signing and verifying.
// Byte-exact with @smithy/signature-v4 and the AWS SDKs for non-S3 services:
//   CanonicalRequest = Method \n CanonicalUri \n CanonicalQuery \n CanonicalHeaders \n
//                      SignedHeaders \n PayloadHash
//   where CanonicalHeaders is "name:value\n" per signed header (so a blank line follows it).
//   CanonicalUri: the path as sent on the wire, dot segments and empty segments removed, then
//     URI-encoded again ("double encoding": a wire "%20" becomes "%2520"), '/' kept.
//   CanonicalQuery: pairs percent-decoded from the wire, then each name and value URI-encoded
//     (RFC 3986: only A-Z a-z 0-9 - _ . ~ stay literal; '+' is a literal plus, not a space),
//     sorted by encoded name then encoded value, X-Amz-Signature left out.
//   StringToSign = "AWS4-HMAC-SHA256" \n AmzDate \n Scope \n hex(sha256(CanonicalRequest)),
//   Scope = yyyymmdd/region/service/aws4_request, key = HMAC chain from "AWS4"+secret.
//
// Thread safety: pure functions.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace muster::auth {

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

using HeaderList = std::vector<std::pair<std::string, std::string>>;
using QueryList = std::vector<std::pair<std::string, std::string>>;

// RFC 3986 percent-encoding with upper-case hex; '/' kept when keep_slash.
std::string UriEncode(std::string_view s, bool keep_slash = false);
// Decodes %XX escapes; a '%' not followed by two hex digits is kept as is. '+' stays '+'.
std::string PercentDecode(std::string_view s);
// Splits a raw query string ("a=1&b=&c") into decoded (name, value) pairs, in wire order.
// Empty pieces ("a=1&&b=2") are skipped; a piece without '=' has an empty value.
QueryList ParseQuery(std::string_view raw_query);
std::string ToLowerAscii(std::string_view s);

std::string CanonicalUri(std::string_view wire_path);
// `exclude_signature` drops X-Amz-Signature (any case) as the presigned form requires.
std::string CanonicalQuery(const QueryList& decoded_pairs, bool exclude_signature = true);
std::string CanonicalQueryFromRaw(std::string_view raw_query);

// Header value as signed: trimmed, runs of whitespace collapsed to one space.
std::string CanonicalHeaderValue(std::string_view v);
// "name:value\n" for each name in `signed_names` (lowercase, in the given order). Repeated headers
// are joined with ','. kForbidden naming the header when a signed header is absent.
Result<std::string> CanonicalHeaders(const HeaderList& headers,
                                     const std::vector<std::string>& signed_names);

std::string CanonicalRequest(std::string_view method, std::string_view canonical_uri,
                             std::string_view canonical_query, std::string_view canonical_headers,
                             std::string_view signed_headers, std::string_view payload_hash);

std::string CredentialScope(std::string_view date8, std::string_view region,
                            std::string_view service);
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);
// Raw 32-byte signing key.
std::string DeriveSigningKey(std::string_view secret, std::string_view date8,
                             std::string_view region, std::string_view service);
// Lowercase hex signature.
std::string ComputeSignature(std::string_view secret, std::string_view date8,
                             std::string_view region, std::string_view service,
                             std::string_view string_to_sign);

// True for headers the SDKs never sign (authorization, user-agent, connection, upgrade,
// sec-*, proxy-*, ...).
bool IsUnsignableHeader(std::string_view lower_name);

}  // namespace muster::auth
