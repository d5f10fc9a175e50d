#include "auth/server_socket_auth.h"

#include <gtest/gtest.h>

#include "auth/canonical.h"
#include "common/crypto.h"

namespace muster::auth {
namespace {

constexpr Millis kNow = 1'700'000'000'000;

SecretLookup Lookup(std::string token = "") {
  return [token](std::string_view ak) -> Result<SecretLookupResult> {
    if (ak != "AKIAFLEETKEY00000000") return Error::Unauthorized("unknown access key id");
    return SecretLookupResult{"fleet-secret", token};
  };
}

std::string BuildQuery(const ServerSocketIds& ids,
                       const std::vector<std::pair<std::string, std::string>>& sig, bool encode) {
  std::string q = "ComputeId=" + UriEncode(ids.compute_id) + "&FleetId=" + UriEncode(ids.fleet_id) +
                  "&IdempotencyToken=tok&pID=" + UriEncode(ids.process_id) +
                  "&sdkLanguage=Cpp&sdkVersion=5.4.0";
  for (const auto& [k, v] : sig) q += "&" + k + "=" + (encode ? UriEncode(v) : v);
  return q;
}

const ServerSocketIds kIds{"compute-1", "fleet-1234/x", "4242"};
const VerifyOptions kOpt{"gamelift", "local"};

TEST(ServerSocketAuth, CanonicalStringIsSortedAndEncoded) {
  EXPECT_EQ(ServerSocketCanonicalString(kIds), "ComputeId=compute-1&FleetId=fleet-1234%2Fx&pID=4242");
}

TEST(ServerSocketAuth, SignedConnectVerifies) {
  auto sig = SignServerSocketConnect(kIds, {"AKIAFLEETKEY00000000", "fleet-secret", ""}, "local", kNow);
  ASSERT_EQ(sig.front().first, "Authorization");
  EXPECT_EQ(sig.front().second, "SigV4");
  auto v = VerifyServerSocketConnect(BuildQuery(kIds, sig, true), Lookup(), kOpt, kNow);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->access_key_id, "AKIAFLEETKEY00000000");
  EXPECT_EQ(v->region, "local");
}

TEST(ServerSocketAuth, ToleratesUnencodedAndDoubleEncodedValues) {
  auto sig = SignServerSocketConnect(kIds, {"AKIAFLEETKEY00000000", "fleet-secret", "a+b/c="}, "local", kNow);
  // C# sends raw values.
  EXPECT_TRUE(VerifyServerSocketConnect(BuildQuery(kIds, sig, false), Lookup("a+b/c="), kOpt, kNow).ok());
  // The C++ SDK encodes the credential and token, then the URL builder encodes again.
  std::vector<std::pair<std::string, std::string>> twice;
  for (const auto& [k, v] : sig) {
    twice.emplace_back(k, (k == "X-Amz-Credential" || k == "X-Amz-Security-Token") ? UriEncode(v) : v);
  }
  auto v = VerifyServerSocketConnect(BuildQuery(kIds, twice, true), Lookup("a+b/c="), kOpt, kNow);
  EXPECT_TRUE(v.ok()) << v.error().message;
}

TEST(ServerSocketAuth, Errors) {
  Credentials c{"AKIAFLEETKEY00000000", "fleet-secret", ""};
  auto expect = [](Result<VerifiedIdentity> r, ErrorCode code, std::string_view needle) {
    ASSERT_FALSE(r.ok()) << needle;
    EXPECT_EQ(r.error().code, code) << r.error().message;
    EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
  };
  expect(VerifyServerSocketConnect("ComputeId=a&FleetId=b&pID=1", Lookup(), kOpt, kNow),
         ErrorCode::kUnauthorized, "no signature");
  auto sig = SignServerSocketConnect(kIds, c, "local", kNow);
  // Other ids than the signed ones.
  ServerSocketIds other = kIds;
  other.process_id = "4243";
  expect(VerifyServerSocketConnect(BuildQuery(other, sig, true), Lookup(), kOpt, kNow),
         ErrorCode::kForbidden, "signature does not match");
  // Wrong secret.
  auto bad = SignServerSocketConnect(kIds, {c.access_key_id, "nope", ""}, "local", kNow);
  expect(VerifyServerSocketConnect(BuildQuery(kIds, bad, true), Lookup(), kOpt, kNow),
         ErrorCode::kForbidden, "signature does not match");
  // Unknown key.
  auto unknown = SignServerSocketConnect(kIds, {"AKIAOTHER", "x", ""}, "local", kNow);
  expect(VerifyServerSocketConnect(BuildQuery(kIds, unknown, true), Lookup(), kOpt, kNow),
         ErrorCode::kUnauthorized, "unknown access key");
  // Region and skew.
  auto west = SignServerSocketConnect(kIds, c, "us-west-2", kNow);
  expect(VerifyServerSocketConnect(BuildQuery(kIds, west, true), Lookup(), kOpt, kNow),
         ErrorCode::kUnauthorized, "region 'us-west-2'");
  auto old = SignServerSocketConnect(kIds, c, "local", kNow - 3'600'000);
  expect(VerifyServerSocketConnect(BuildQuery(kIds, old, true), Lookup(), kOpt, kNow),
         ErrorCode::kForbidden, "3600 s behind");
  // Missing ids.
  std::string q = BuildQuery(kIds, sig, true);
  q.replace(q.find("pID="), 4, "pid=");
  expect(VerifyServerSocketConnect(q, Lookup(), kOpt, kNow), ErrorCode::kUnauthorized,
         "needs ComputeId, FleetId and pID");
  // Token required by the key.
  expect(VerifyServerSocketConnect(BuildQuery(kIds, sig, true), Lookup("tok"), kOpt, kNow),
         ErrorCode::kForbidden, "missing X-Amz-Security-Token");
  // Malformed pieces.
  expect(VerifyServerSocketConnect("X-Amz-Algorithm=HMAC&X-Amz-Signature=1", Lookup(), kOpt, kNow),
         ErrorCode::kUnauthorized, "unsupported algorithm");
  expect(VerifyServerSocketConnect(
             "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=1&X-Amz-Credential=a/b&ComputeId=a&"
             "FleetId=b&pID=1",
             Lookup(), kOpt, kNow),
         ErrorCode::kUnauthorized, "credential scope malformed");
}

}  // namespace
}  // namespace muster::auth
