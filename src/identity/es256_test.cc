#include "identity/es256.h"

#include <gtest/gtest.h>

namespace muster::identity {
namespace {

TEST(Es256, SignVerifyAndPemRoundTrip) {
  auto key = Es256Key::Generate();
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->kid().size(), 16u);
  EXPECT_NE(key->private_pem().find("BEGIN PRIVATE KEY"), std::string::npos);
  auto token = key->SignJwt({{"sub", "local:abc"}, {"exp", 123}});
  ASSERT_TRUE(token.ok());
  auto claims = key->VerifyJwt(*token);
  ASSERT_TRUE(claims.ok()) << claims.error().message;
  EXPECT_EQ(claims->at("sub"), "local:abc");
  // The same key back from its PEM verifies the token and keeps its kid.
  auto again = Es256Key::FromPrivatePem(key->private_pem());
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->kid(), key->kid());
  EXPECT_TRUE(again->VerifyJwt(*token).ok());
  // Another key refuses it.
  auto other = Es256Key::Generate();
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->VerifyJwt(*token).ok());
  auto jwk = key->PublicJwk();
  EXPECT_EQ(jwk.at("crv"), "P-256");
  EXPECT_EQ(jwk.at("x").as_string().size(), 43u);
}

TEST(Es256, TamperedAndMalformedTokensFail) {
  auto key = Es256Key::Generate();
  ASSERT_TRUE(key.ok());
  std::string token = *key->SignJwt({{"sub", "a"}});
  std::string tampered = token;
  tampered[token.find('.') + 2] ^= 1;
  EXPECT_FALSE(key->VerifyJwt(tampered).ok());
  for (const char* bad : {"", "a.b", "a.b.c", "...", "e30.e30.AAAA"}) {
    EXPECT_FALSE(key->VerifyJwt(bad).ok()) << bad;
  }
  EXPECT_FALSE(Es256Key::FromPrivatePem("not a pem").ok());
}

}  // namespace
}  // namespace muster::identity
