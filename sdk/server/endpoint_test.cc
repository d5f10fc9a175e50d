#include "sdk/server/endpoint.h"

#include <gtest/gtest.h>

#include <cstring>

#include "sdk/server/testing/fake_backend.h"

namespace muster::sdk {
namespace {

using testing::QueryParams;

ServerParameters Params(std::string url) {
  ServerParameters p;
  p.web_socket_url = std::move(url);
  p.fleet_id = "fleet-1";
  p.host_id = "compute 1";
  p.process_id = "pid-1";
  p.auth_token = "tok+en/=";
  return p;
}

TEST(Endpoint, PlainUrlGetsSlashAndQuery) {
  auto e = BuildEndpoint(Params("ws://127.0.0.1:9080"), "idem", "5.4.0", "20261121T130423Z");
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_FALSE(e->tls);
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, "9080");
  EXPECT_EQ(e->target.substr(0, 2), "/?");
  auto q = QueryParams(e->target);
  EXPECT_EQ(q["Authorization"], "tok+en/=");
  EXPECT_EQ(q["ComputeId"], "compute 1");
  EXPECT_EQ(q["FleetId"], "fleet-1");
  EXPECT_EQ(q["IdempotencyToken"], "idem");
  EXPECT_EQ(q["pID"], "pid-1");
  EXPECT_EQ(q["sdkLanguage"], "Cpp");
  EXPECT_EQ(q["sdkVersion"], "5.4.0");
  // Reserved characters are encoded on the wire.
  EXPECT_NE(e->target.find("Authorization=tok%2Ben%2F%3D"), std::string::npos);
}

TEST(Endpoint, TlsPathAndExistingQuery) {
  auto e = BuildEndpoint(Params("wss://game.example:9443/socket?x=1"), "i", "5", "20261121T130423Z");
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_TRUE(e->tls);
  EXPECT_EQ(e->port, "9443");
  EXPECT_EQ(e->target.substr(0, 13), "/socket/?x=1&");
  auto d = BuildEndpoint(Params("wss://game.example"), "i", "5", "20261121T130423Z");
  EXPECT_EQ(d->port, "443");
  EXPECT_EQ(d->target.substr(0, 2), "/?");
}

TEST(Endpoint, RejectsBadInput) {
  EXPECT_FALSE(BuildEndpoint(Params("http://h:1"), "i", "5", "").ok());
  EXPECT_FALSE(BuildEndpoint(Params("not a url"), "i", "5", "").ok());
  auto p = Params("ws://h:1");
  p.fleet_id.clear();
  EXPECT_EQ(BuildEndpoint(p, "i", "5", "").error().message, "fleet id is required");
  p = Params("ws://h:1");
  p.auth_token.clear();
  EXPECT_FALSE(BuildEndpoint(p, "i", "5", "").ok());
}

TEST(Endpoint, SigV4ModeWithoutToken) {
  auto p = Params("ws://h:1");
  p.auth_token.clear();
  p.aws_region = "local";
  p.access_key = "AKID";
  p.secret_key = "secret";
  p.session_token = "st";
  auto e = BuildEndpoint(p, "i", "5", "20261121T130423Z");
  ASSERT_TRUE(e.ok()) << e.error().message;
  auto q = QueryParams(e->target);
  EXPECT_EQ(q["Authorization"], "SigV4");
  EXPECT_EQ(q["X-Amz-Algorithm"], "AWS4-HMAC-SHA256");
  EXPECT_EQ(q["X-Amz-Credential"], "AKID/20261121/local/gamelift/aws4_request");
  EXPECT_EQ(q["X-Amz-Date"], "20261121T130423Z");
  EXPECT_EQ(q["X-Amz-Security-Token"], "st");
  EXPECT_EQ(q["X-Amz-Signature"].size(), 64u);
  // The signature covers ComputeId/FleetId/pID only: another token must not change it.
  auto e2 = BuildEndpoint(p, "other", "6", "20261121T130423Z");
  EXPECT_EQ(QueryParams(e2->target)["X-Amz-Signature"], q["X-Amz-Signature"]);
  p.process_id = "pid-2";
  auto e3 = BuildEndpoint(p, "i", "5", "20261121T130423Z");
  EXPECT_NE(QueryParams(e3->target)["X-Amz-Signature"], q["X-Amz-Signature"]);
}

const char* FakeEnv(const char* name) {
  if (std::strcmp(name, "GAMELIFT_SDK_WEBSOCKET_URL") == 0) return "ws://env:1";
  if (std::strcmp(name, "GAMELIFT_SDK_PROCESS_ID") == 0) return "env-pid";
  if (std::strcmp(name, "GAMELIFT_SDK_AUTH_TOKEN") == 0) return "";  // empty: not an override
  return nullptr;
}

TEST(Endpoint, EnvironmentOverrides) {
  auto p = ApplyEnvironment(Params("ws://h:1"), &FakeEnv);
  EXPECT_EQ(p.web_socket_url, "ws://env:1");
  EXPECT_EQ(p.process_id, "env-pid");
  EXPECT_EQ(p.auth_token, "tok+en/=");
  EXPECT_EQ(p.fleet_id, "fleet-1");
}

}  // namespace
}  // namespace muster::sdk
