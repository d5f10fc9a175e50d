#include "auth/canonical.h"

#include <gtest/gtest.h>

#include "common/crypto.h"

namespace muster::auth {
namespace {

TEST(UriEncode, KeepsOnlyUnreserved) {
  EXPECT_EQ(UriEncode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(UriEncode("a b+c%d/e"), "a%20b%2Bc%25d%2Fe");
  EXPECT_EQ(UriEncode("a/b", true), "a/b");
  EXPECT_EQ(UriEncode("!'()*"), "%21%27%28%29%2A");
  EXPECT_EQ(UriEncode("\xE1\x88\xB4"), "%E1%88%B4");  // U+1234, upper-case hex
}

TEST(PercentDecode, DecodesValidEscapesOnly) {
  EXPECT_EQ(PercentDecode("a%20b%2fc"), "a b/c");
  EXPECT_EQ(PercentDecode("a+b"), "a+b");  // '+' is not a space in RFC 3986
  EXPECT_EQ(PercentDecode("100%"), "100%");
  EXPECT_EQ(PercentDecode("%zz%4"), "%zz%4");
  EXPECT_EQ(PercentDecode("%E1%88%B4"), "\xE1\x88\xB4");
}

TEST(ParseQuery, SplitsAndDecodes) {
  auto q = ParseQuery("a=1&&b=&c&d=x%3Dy=z");
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(q[0], (std::pair<std::string, std::string>{"a", "1"}));
  EXPECT_EQ(q[1], (std::pair<std::string, std::string>{"b", ""}));
  EXPECT_EQ(q[2], (std::pair<std::string, std::string>{"c", ""}));
  EXPECT_EQ(q[3], (std::pair<std::string, std::string>{"d", "x=y=z"}));
  EXPECT_TRUE(ParseQuery("").empty());
}

TEST(CanonicalUri, DoubleEncodesTheWirePath) {
  EXPECT_EQ(CanonicalUri("/"), "/");
  EXPECT_EQ(CanonicalUri(""), "/");
  EXPECT_EQ(CanonicalUri("/requestmatchstatus"), "/requestmatchstatus");
  // The wire path is encoded once by the client; the canonical form encodes it again.
  EXPECT_EQ(CanonicalUri("/a%20b/c"), "/a%2520b/c");
  EXPECT_EQ(CanonicalUri("/%E1%88%B4"), "/%25E1%2588%25B4");
  EXPECT_EQ(CanonicalUri("/\xE1\x88\xB4"), "/%E1%88%B4");
  EXPECT_EQ(CanonicalUri("/a:b@c"), "/a%3Ab%40c");
}

TEST(CanonicalUri, NormalisesDotAndEmptySegments) {
  EXPECT_EQ(CanonicalUri("/a/./b/../c"), "/a/c");
  EXPECT_EQ(CanonicalUri("//a//b/"), "/a/b/");
  EXPECT_EQ(CanonicalUri("/../.."), "/");
  EXPECT_EQ(CanonicalUri("/a/"), "/a/");
  EXPECT_EQ(CanonicalUri("/./"), "/");
}

TEST(CanonicalQuery, SortsAndReencodes) {
  EXPECT_EQ(CanonicalQueryFromRaw(""), "");
  EXPECT_EQ(CanonicalQueryFromRaw("b=2&a=1"), "a=1&b=2");
  // Space, tilde, plus, percent, unicode.
  EXPECT_EQ(CanonicalQueryFromRaw("q=a%20b"), "q=a%20b");
  EXPECT_EQ(CanonicalQueryFromRaw("q=a~b"), "q=a~b");
  EXPECT_EQ(CanonicalQueryFromRaw("q=a%7Eb"), "q=a~b");
  EXPECT_EQ(CanonicalQueryFromRaw("q=a+b"), "q=a%2Bb");
  EXPECT_EQ(CanonicalQueryFromRaw("q=a%2Bb"), "q=a%2Bb");
  EXPECT_EQ(CanonicalQueryFromRaw("q=100%25"), "q=100%25");
  EXPECT_EQ(CanonicalQueryFromRaw("q=100%"), "q=100%25");
  EXPECT_EQ(CanonicalQueryFromRaw("%E1%88%B4=bar"), "%E1%88%B4=bar");
  // Repeated keys sort by value; empty values keep their '='.
  EXPECT_EQ(CanonicalQueryFromRaw("k=b&k=a&k="), "k=&k=a&k=b");
  EXPECT_EQ(CanonicalQueryFromRaw("flag"), "flag=");
  // Upper case sorts before lower case (byte order).
  EXPECT_EQ(CanonicalQueryFromRaw("b=1&B=2&a=3"), "B=2&a=3&b=1");
  // The signature never signs itself.
  EXPECT_EQ(CanonicalQueryFromRaw("X-Amz-Signature=abc&x=1"), "x=1");
  EXPECT_EQ(CanonicalQueryFromRaw("x-amz-signature=abc&x=1"), "x=1");
}

TEST(CanonicalHeaders, TrimsFoldsAndJoins) {
  EXPECT_EQ(CanonicalHeaderValue("  a   b \t c  "), "a b c");
  EXPECT_EQ(CanonicalHeaderValue("\"a   b   c\""), "\"a b c\"");
  EXPECT_EQ(CanonicalHeaderValue("line1\r\n line2"), "line1 line2");
  EXPECT_EQ(CanonicalHeaderValue(""), "");
  HeaderList h = {{"Host", "example.com"}, {"My-Header", " v1 "}, {"my-header", "v2  x"}};
  auto out = CanonicalHeaders(h, {"host", "my-header"});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "host:example.com\nmy-header:v1,v2 x\n");
  auto missing = CanonicalHeaders(h, {"host", "x-amz-date"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kForbidden);
  EXPECT_NE(missing.error().message.find("x-amz-date"), std::string::npos);
}

// The worked example of the AWS General Reference ("Create a canonical request", IAM ListUsers).
TEST(KnownAnswer, IamListUsersExample) {
  HeaderList h = {{"Host", "iam.amazonaws.com"},
                  {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                  {"X-Amz-Date", "20150830T123600Z"}};
  std::string signed_headers = "content-type;host;x-amz-date";
  auto headers = CanonicalHeaders(h, {"content-type", "host", "x-amz-date"});
  ASSERT_TRUE(headers.ok());
  std::string creq =
      CanonicalRequest("GET", CanonicalUri("/"), CanonicalQueryFromRaw("Action=ListUsers&Version=2010-05-08"),
                       *headers, signed_headers, Sha256Hex(""));
  EXPECT_EQ(Sha256Hex(creq), "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
  const std::string secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  EXPECT_EQ(Hex(DeriveSigningKey(secret, "20150830", "us-east-1", "iam")),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
  std::string sts = StringToSign("20150830T123600Z", CredentialScope("20150830", "us-east-1", "iam"), creq);
  EXPECT_EQ(ComputeSignature(secret, "20150830", "us-east-1", "iam", sts),
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

TEST(Unsignable, MatchesTheSdkList) {
  EXPECT_TRUE(IsUnsignableHeader("authorization"));
  EXPECT_TRUE(IsUnsignableHeader("user-agent"));
  EXPECT_TRUE(IsUnsignableHeader("sec-websocket-key"));
  EXPECT_TRUE(IsUnsignableHeader("proxy-authorization"));
  EXPECT_FALSE(IsUnsignableHeader("host"));
  EXPECT_FALSE(IsUnsignableHeader("x-amz-date"));
}

}  // namespace
}  // namespace muster::auth
