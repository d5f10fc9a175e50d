#include "identity/identity_api.h"

#include <gtest/gtest.h>

#include "identity/test_store.h"

namespace muster::identity {
namespace {

constexpr const char* kPool = "local:00000000-0000-0000-0000-000000000000";

class IdentityApiTest : public ::testing::Test {
 protected:
  IdentityApiTest() {
    IdentityConfig cfg;
    cfg.pools = {{kPool, true}};
    svc_ = std::make_unique<IdentityService>(*store_, clock_, cfg);
  }
  json::object Call(std::string_view op, std::string_view body, int want_status = 200) {
    JsonApiResponse r = HandleIdentityApi(*svc_, op, body);
    EXPECT_EQ(r.http_status, want_status) << r.body;
    auto v = ParseJson(r.body);
    EXPECT_TRUE(v.ok() && v->is_object()) << r.body;
    return v.ok() && v->is_object() ? v->as_object() : json::object{};
  }
  void ExpectError(std::string_view op, std::string_view body, std::string_view type,
                   std::string_view needle) {
    json::object o = Call(op, body, 400);
    EXPECT_EQ(o["__type"], json::string(type)) << ToJson(o);
    EXPECT_NE(std::string(o["message"].as_string()).find(needle), std::string::npos) << ToJson(o);
  }

  testing::TempSqliteStore store_;
  ManualClock clock_{1'700'000'000'000};
  std::unique_ptr<IdentityService> svc_;
};

TEST_F(IdentityApiTest, GuestFlow) {
  json::object id = Call("AWSCognitoIdentityService.GetId",
                         std::string(R"({"IdentityPoolId":")") + kPool + R"("})");
  std::string identity(id["IdentityId"].as_string());
  ASSERT_EQ(identity.rfind("local:", 0), 0u);
  json::object creds = Call("GetCredentialsForIdentity", R"({"IdentityId":")" + identity + R"("})");
  EXPECT_EQ(creds["IdentityId"], json::string(identity));
  json::object& c = creds["Credentials"].as_object();
  EXPECT_EQ(c["AccessKeyId"].as_string().size(), 20u);
  EXPECT_EQ(c["SecretKey"].as_string().size(), 40u);
  EXPECT_FALSE(c["SessionToken"].as_string().empty());
  EXPECT_EQ(c["Expiration"].as_int64(), 1'700'000'000 + 3600);
  json::object token = Call("GetOpenIdToken", R"({"IdentityId":")" + identity + R"(","Logins":{}})");
  EXPECT_EQ(token["IdentityId"], json::string(identity));
  EXPECT_EQ(std::count(token["Token"].as_string().begin(), token["Token"].as_string().end(), '.'), 2);
}

TEST_F(IdentityApiTest, Errors) {
  ExpectError("GetId", "{not json", "InvalidParameterException", "malformed JSON");
  ExpectError("GetId", "[]", "InvalidParameterException", "must be a JSON object");
  ExpectError("GetId", "{}", "InvalidParameterException", "IdentityPoolId: is required");
  ExpectError("GetId", R"({"IdentityPoolId":"local:x","Bogus":1})", "InvalidParameterException",
              "Bogus: unknown field");
  ExpectError("GetId", R"({"IdentityPoolId":5})", "InvalidParameterException", "must be a string");
  ExpectError("GetId", R"({"IdentityPoolId":"local:x"})", "ResourceNotFoundException", "local:x");
  ExpectError("GetId", std::string(R"({"IdentityPoolId":")") + kPool + R"(","Logins":{"p":"t"}})",
              "NotAuthorizedException", "'p'");
  ExpectError("GetId", std::string(R"({"IdentityPoolId":")") + kPool + R"(","Logins":{"p":1}})",
              "InvalidParameterException", "must be a string");
  ExpectError("GetCredentialsForIdentity", R"({"IdentityId":"local:00000000-0000-4000-8000-000000000000"})",
              "ResourceNotFoundException", "not found");
  ExpectError("GetCredentialsForIdentity", R"({"IdentityId":"x","Extra":[]})",
              "InvalidParameterException", "Extra");
  ExpectError("GetOpenIdToken", "{}", "InvalidParameterException", "IdentityId: is required");
  ExpectError("ListIdentities", "{}", "UnknownOperationException", "ListIdentities");
  ExpectError("GetId", std::string(20000, ' '), "InvalidParameterException", "malformed JSON");
  json::object id = Call("GetId", std::string(R"({"IdentityPoolId":")") + kPool + R"("})");
  std::string identity(id["IdentityId"].as_string());
  ASSERT_TRUE(svc_->DisableIdentity(identity).ok());
  ExpectError("GetCredentialsForIdentity", R"({"IdentityId":")" + identity + R"("})",
              "NotAuthorizedException", "disabled");
}

TEST_F(IdentityApiTest, InternalErrorsAre500) {
  JsonApiResponse r = IdentityErrorResponse(Error::Unavailable("db busy"));
  EXPECT_EQ(r.http_status, 500);
  EXPECT_NE(r.body.find("InternalErrorException"), std::string::npos);
}

TEST_F(IdentityApiTest, RateLimitsPerAddressAnswerTooManyRequests) {
  IdentityApiLimits limits;
  limits.identities = {/*per_minute=*/6, /*burst=*/2};
  limits.credentials = {/*per_minute=*/60, /*burst=*/3};
  IdentityApi api(*svc_, clock_, limits);
  const std::string get_id = std::string(R"({"IdentityPoolId":")") + kPool + "\"}";
  std::string id;
  for (int i = 0; i < 2; ++i) {
    JsonApiResponse r = api.Handle("GetId", get_id, "198.51.100.1");
    ASSERT_EQ(r.http_status, 200) << r.body;
    id = std::string(ParseJson(r.body)->as_object().at("IdentityId").as_string());
  }
  JsonApiResponse refused = api.Handle("GetId", get_id, "198.51.100.1");
  EXPECT_EQ(refused.http_status, 429);
  EXPECT_NE(refused.body.find("TooManyRequestsException"), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("retry in 10 s"), std::string::npos) << refused.body;
  // Another address is not affected; the same /64 of IPv6 is one address.
  EXPECT_EQ(api.Handle("GetId", get_id, "198.51.100.2").http_status, 200);
  EXPECT_EQ(api.Handle("GetId", get_id, "2001:db8::1").http_status, 200);
  EXPECT_EQ(api.Handle("GetId", get_id, "2001:db8::2").http_status, 200);
  EXPECT_EQ(api.Handle("GetId", get_id, "2001:db8::3").http_status, 429);
  // Credentials have their own budget, counted for failures too.
  const std::string creds = R"({"IdentityId":")" + id + "\"}";
  EXPECT_EQ(api.Handle("GetCredentialsForIdentity", creds, "198.51.100.1").http_status, 200);
  EXPECT_EQ(api.Handle("GetCredentialsForIdentity", R"({"IdentityId":"local:x"})", "198.51.100.1").http_status, 400);
  EXPECT_EQ(api.Handle("GetOpenIdToken", creds, "198.51.100.1").http_status, 200);
  EXPECT_EQ(api.Handle("GetCredentialsForIdentity", creds, "198.51.100.1").http_status, 429);
  // Time refills.
  clock_.Advance(10'000);
  EXPECT_EQ(api.Handle("GetId", get_id, "198.51.100.1").http_status, 200);
}

}  // namespace
}  // namespace muster::identity
