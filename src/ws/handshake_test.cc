#include "ws/handshake.h"

#include <gtest/gtest.h>

namespace muster::ws {
namespace {

UpgradeRequest Good() {
  UpgradeRequest r;
  r.method = "GET";
  r.upgrade = "websocket";
  r.connection = "keep-alive, Upgrade";
  r.key = "dGhlIHNhbXBsZSBub25jZQ==";
  r.version = "13";
  return r;
}

TEST(HandshakeTest, AcceptKeyIsTheRfcsExample) {
  // RFC 6455 §1.3.
  EXPECT_EQ(AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  const std::string response = SwitchingProtocols("dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(response.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0), 0u);
  EXPECT_NE(response.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), std::string::npos);
  EXPECT_EQ(response.substr(response.size() - 4), "\r\n\r\n");
}

TEST(HandshakeTest, AcceptsAValidUpgradeWithTokensInAnyCase) {
  EXPECT_FALSE(CheckUpgrade(Good()).has_value());
  UpgradeRequest r = Good();
  r.upgrade = "WebSocket";
  r.connection = "upgrade";
  EXPECT_FALSE(CheckUpgrade(r).has_value());
}

TEST(HandshakeTest, RefusesEachBadPartWithItsStatusAndAReason) {
  UpgradeRequest r = Good();
  r.upgrade = "";
  auto refusal = CheckUpgrade(r);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->status, 426);
  EXPECT_NE(refusal->message.find("Upgrade: websocket"), std::string::npos);

  r = Good();
  r.method = "POST";
  refusal = CheckUpgrade(r);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->status, 400);

  r = Good();
  r.connection = "keep-alive";
  refusal = CheckUpgrade(r);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->status, 400);
  EXPECT_NE(refusal->message.find("Connection"), std::string::npos);

  r = Good();
  r.version = "8";
  refusal = CheckUpgrade(r);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->status, 426);
  ASSERT_EQ(refusal->headers.size(), 1u);
  EXPECT_EQ(refusal->headers[0], (std::pair<std::string, std::string>("Sec-WebSocket-Version", "13")));

  for (std::string_view key : {"", "short==", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25j*Q==",
                               "dGhlIHNhbXBsZSBub25jZQ=A"}) {
    r = Good();
    r.key = key;
    refusal = CheckUpgrade(r);
    ASSERT_TRUE(refusal) << key;
    EXPECT_EQ(refusal->status, 400);
    EXPECT_NE(refusal->message.find("Sec-WebSocket-Key"), std::string::npos);
  }
}

TEST(HandshakeTest, HasTokenReadsCommaSeparatedLists) {
  EXPECT_TRUE(HasToken("a, b ,Upgrade", "upgrade"));
  EXPECT_FALSE(HasToken("upgrades", "upgrade"));
  EXPECT_FALSE(HasToken("", "upgrade"));
  EXPECT_TRUE(HasToken(",,upgrade,", "upgrade"));
}

}  // namespace
}  // namespace muster::ws
