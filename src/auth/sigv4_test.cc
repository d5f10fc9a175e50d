// Known answers from the AWS SigV4 test suite (as published with the SDKs' signers) and the S3
// presigned URL example of the S3 API reference, plus sign/verify round trips.
#include "auth/sigv4.h"

#include <gtest/gtest.h>

#include "auth/canonical.h"

namespace muster::auth {
namespace {

constexpr Millis kSuiteTime = 1440938160000;  // 2015-08-30T12:36:00Z
const Credentials kSuiteCreds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};

SecretLookup LookupFor(const Credentials& c) {
  return [c](std::string_view ak) -> Result<SecretLookupResult> {
    if (ak != c.access_key_id) return Error::Unauthorized("unknown access key");
    return SecretLookupResult{c.secret_access_key, c.session_token};
  };
}

struct SuiteCase {
  const char* name;
  const char* method;
  const char* path;
  const char* query;
  std::vector<std::pair<std::string, std::string>> extra_headers;
  const char* body;
  const char* signed_headers;
  const char* signature;
};

SignableRequest SuiteRequest(const SuiteCase& c) {
  SignableRequest r;
  r.method = c.method;
  r.path = c.path;
  r.query = c.query;
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  for (const auto& h : c.extra_headers) r.headers.push_back(h);
  r.body = c.body;
  return r;
}

std::string SuiteAuthorization(const SuiteCase& c) {
  return std::string("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
                     "aws4_request, SignedHeaders=") +
         c.signed_headers + ", Signature=" + c.signature;
}

const std::vector<SuiteCase>& Suite() {
  static const std::vector<SuiteCase> cases = {
      {"get-vanilla", "GET", "/", "", {}, "", "host;x-amz-date",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-vanilla-query-order-key-case", "GET", "/", "Param2=value2&Param1=value1", {}, "",
       "host;x-amz-date", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
      {"get-vanilla-query-unreserved", "GET", "/",
       "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
       "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
       {}, "", "host;x-amz-date",
       "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
      {"get-vanilla-utf8-query", "GET", "/", "%E1%88%B4=bar", {}, "", "host;x-amz-date",
       "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
      {"get-unreserved", "GET",
       "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "", {}, "",
       "host;x-amz-date", "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
      // The suite's path is the unencoded "/\u1234"; on the wire that is the raw UTF-8 bytes.
      {"get-utf8", "GET", "/\xE1\x88\xB4", "", {}, "", "host;x-amz-date",
       "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
      {"get-header-value-trim", "GET", "/", "",
       {{"My-Header1", "value1"}, {"My-Header2", "\"a   b   c\""}}, "",
       "host;my-header1;my-header2;x-amz-date",
       "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
      {"get-header-key-duplicate", "GET", "/", "",
       {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}}, "",
       "host;my-header1;x-amz-date",
       "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
      {"post-vanilla", "POST", "/", "", {}, "", "host;x-amz-date",
       "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
      {"post-vanilla-query", "POST", "/", "Param1=value1", {}, "", "host;x-amz-date",
       "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
      {"post-vanilla-query-nonunreserved", "POST", "/",
       "%40%23%24%25%5E=&%2B=%2F%2C%3F%3E%3C%60%22%3B%3A%5C%7C%5D%5B%7B%7D", {}, "",
       "host;x-amz-date", "66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e"},
      {"post-vanilla-query-space", "POST", "/", "p=", {}, "", "host;x-amz-date",
       "e71688addb58a26418614085fb730ba3faa623b461c17f48f2fbdb9361b94a9b"},
      {"post-x-www-form-urlencoded", "POST", "/", "",
       {{"Content-Type", "application/x-www-form-urlencoded"}}, "Param1=value1",
       "content-type;host;x-amz-date",
       "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
  };
  return cases;
}

TEST(SigV4Suite, VerifiesPublishedSignatures) {
  VerifyOptions opt{"service", "us-east-1"};
  for (const SuiteCase& c : Suite()) {
    SignableRequest r = SuiteRequest(c);
    r.headers.emplace_back("Authorization", SuiteAuthorization(c));
    auto v = VerifyRequest(r, LookupFor(kSuiteCreds), opt, kSuiteTime);
    ASSERT_TRUE(v.ok()) << c.name << ": " << v.error().message;
    EXPECT_EQ(v->access_key_id, "AKIDEXAMPLE");
    EXPECT_EQ(v->region, "us-east-1");
    EXPECT_EQ(v->request_time, kSuiteTime);
  }
}

TEST(SigV4Suite, SigningReproducesPublishedSignatures) {
  for (const SuiteCase& c : Suite()) {
    SignableRequest r = SuiteRequest(c);
    SignRequest(r, kSuiteCreds, "us-east-1", "service", kSuiteTime);
    std::string auth;
    for (const auto& [k, v] : r.headers) {
      if (k == "Authorization") auth = v;
    }
    EXPECT_EQ(auth, SuiteAuthorization(c)) << c.name;
  }
}

TEST(SigV4Suite, SessionTokenIsSignedAsHeader) {
  // post-sts-header-before: the token is a signed header.
  Credentials creds = kSuiteCreds;
  creds.session_token =
      "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSP"
      "fIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7"
      "WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8"
      "FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
  SignableRequest r;
  r.method = "POST";
  r.path = "/";
  r.headers = {{"Host", "example.amazonaws.com"}};
  SignRequest(r, creds, "us-east-1", "service", kSuiteTime);
  std::string auth;
  for (const auto& [k, v] : r.headers) {
    if (k == "Authorization") auth = v;
  }
  EXPECT_EQ(auth,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date;x-amz-security-token, "
            "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead");
  auto v = VerifyRequest(r, LookupFor(creds), {"service", "us-east-1"}, kSuiteTime);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->session_token, creds.session_token);
}

// S3 API reference, "Authenticating Requests: Using Query Parameters", example presigned GET.
TEST(SigV4Presigned, S3DocumentationExample) {
  Credentials creds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
  SignableRequest r;
  r.method = "GET";
  r.path = "/test.txt";
  r.query =
      "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-"
      "1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders="
      "host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"}};
  auto v = VerifyRequest(r, LookupFor(creds), {"s3", "us-east-1"}, 1369353600000 + 3600000);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->access_key_id, "AKIAIOSFODNN7EXAMPLE");
}

Credentials TestCreds() {
  return {"ASIAABCDEFGHIJKLMNOP", "0123456789012345678901234567890123456789", "tok+en/=="};
}

SignableRequest ClientRequest() {
  SignableRequest r;
  r.method = "GET";
  r.path = "/requestmatchmaking";
  r.query = "latencies=custom-local-a_12_custom-local-b_40";
  r.headers = {{"Host", "127.0.0.1:8080"}, {"User-Agent", "muster-client/1"}};
  return r;
}

TEST(SigV4RoundTrip, HeaderForm) {
  SignableRequest r = ClientRequest();
  r.method = "POST";
  r.body = "{\"x\":1}";
  r.headers.emplace_back("Content-Type", "application/json");
  SignRequest(r, TestCreds(), "local", "execute-api", 1'700'000'000'000);
  auto v = VerifyRequest(r, LookupFor(TestCreds()), {"execute-api", "local"}, 1'700'000'010'000);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->access_key_id, TestCreds().access_key_id);
  EXPECT_EQ(v->session_token, TestCreds().session_token);
  EXPECT_EQ(v->request_time, 1'700'000'000'000);
  // Any change to a signed part breaks it.
  SignableRequest body = r;
  body.body = "{\"x\":2}";
  EXPECT_FALSE(VerifyRequest(body, LookupFor(TestCreds()), {"execute-api", "local"}, 1'700'000'010'000).ok());
  SignableRequest query = r;
  query.query = "latencies=custom-local-a_1";
  EXPECT_FALSE(VerifyRequest(query, LookupFor(TestCreds()), {"execute-api", "local"}, 1'700'000'010'000).ok());
  // The user agent is not signed, so a proxy may change it.
  SignableRequest ua = r;
  for (auto& [k, val] : ua.headers) {
    if (k == "User-Agent") val = "other";
  }
  EXPECT_TRUE(VerifyRequest(ua, LookupFor(TestCreds()), {"execute-api", "local"}, 1'700'000'010'000).ok());
}

TEST(SigV4RoundTrip, ContentSha256Header) {
  SignableRequest r = ClientRequest();
  r.body = "payload";
  SignRequest(r, TestCreds(), "local", "execute-api", 1'700'000'000'000, true);
  auto v = VerifyRequest(r, LookupFor(TestCreds()), {"execute-api", ""}, 1'700'000'000'000);
  ASSERT_TRUE(v.ok()) << v.error().message;
  r.body = "tampered";
  auto bad = VerifyRequest(r, LookupFor(TestCreds()), {"execute-api", ""}, 1'700'000'000'000);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("x-amz-content-sha256"), std::string::npos);
}

TEST(SigV4RoundTrip, PresignedForm) {
  SignableRequest r;
  r.method = "GET";
  r.path = "/ws";
  r.query = "name=a b";  // a raw space on the wire still canonicalises consistently
  r.headers = {{"Host", "localhost:8080"}, {"Upgrade", "websocket"}, {"Sec-WebSocket-Key", "x"}};
  PresignRequest(r, TestCreds(), "local", "execute-api", 1'700'000'000'000, 300);
  EXPECT_NE(r.query.find("X-Amz-Expires=300"), std::string::npos);
  EXPECT_NE(r.query.find("X-Amz-SignedHeaders=host&"), std::string::npos);
  EXPECT_NE(r.query.find("X-Amz-Security-Token=tok%2Ben%2F%3D%3D"), std::string::npos);
  auto v = VerifyRequest(r, LookupFor(TestCreds()), {"execute-api", "local"}, 1'700'000'100'000);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->session_token, "tok+en/==");
}

TEST(SigV4RoundTrip, PathEncodingEdgeCases) {
  for (const char* path : {"/a%20b", "/%E1%88%B4/x", "/a/./b/../c", "/with~tilde/", "/a+b"}) {
    SignableRequest r = ClientRequest();
    r.path = path;
    SignRequest(r, TestCreds(), "local", "execute-api", 1'700'000'000'000);
    auto v = VerifyRequest(r, LookupFor(TestCreds()), {"execute-api", "local"}, 1'700'000'000'000);
    EXPECT_TRUE(v.ok()) << path << ": " << v.error().message;
  }
}

TEST(SigV4RoundTrip, QueryEncodingEdgeCases) {
  for (const char* q : {"a=x%20y", "a=x~y", "a=x+y", "a=100%25", "a=%E2%9C%93", "k=2&k=1&k=",
                        "flag", "a=&b=", "z=1&A=2&%7E=3"}) {
    SignableRequest r = ClientRequest();
    r.query = q;
    SignRequest(r, TestCreds(), "local", "execute-api", 1'700'000'000'000);
    auto v = VerifyRequest(r, LookupFor(TestCreds()), {"execute-api", "local"}, 1'700'000'000'000);
    EXPECT_TRUE(v.ok()) << q << ": " << v.error().message;
  }
}

}  // namespace
}  // namespace muster::auth
