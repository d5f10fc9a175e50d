#include "identity/identity_service.h"

#include <gtest/gtest.h>

#include <regex>

#include "auth/sigv4.h"
#include "identity/test_store.h"
#include "store/fault_store.h"
#include "store/sqlite_store.h"

namespace muster::identity {
namespace {

constexpr const char* kPool = "local:00000000-0000-0000-0000-000000000000";
constexpr const char* kClosedPool = "local:11111111-1111-1111-1111-111111111111";

IdentityConfig Config() {
  IdentityConfig c;
  c.pools = {{kPool, true}, {kClosedPool, false}};
  return c;
}

class IdentityServiceTest : public ::testing::Test {
 protected:
  testing::TempSqliteStore store_;
  ManualClock clock_;
  IdentityService svc_{*store_, clock_, Config()};
};

TEST_F(IdentityServiceTest, GuestIdentityIsStoredUnderItsPool) {
  auto id = svc_.GetId(kPool, nullptr);
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_TRUE(std::regex_match(*id, std::regex("local:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}")))
      << *id;
  auto rows = (*store_).ListByIndex(store::Table::kIdentities, kPool, 10);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].id, *id);
  auto second = svc_.GetId(kPool, nullptr);
  ASSERT_TRUE(second.ok());
  EXPECT_NE(*second, *id);
}

TEST_F(IdentityServiceTest, GetIdErrors) {
  auto unknown = svc_.GetId("local:nope", nullptr);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  auto closed = svc_.GetId(kClosedPool, nullptr);
  ASSERT_FALSE(closed.ok());
  EXPECT_EQ(closed.error().code, ErrorCode::kUnauthorized);
  json::object logins{{"accounts.google.com", "token"}};
  auto with_logins = svc_.GetId(kPool, &logins);
  ASSERT_FALSE(with_logins.ok());
  EXPECT_NE(with_logins.error().message.find("accounts.google.com"), std::string::npos);
  json::object empty;
  EXPECT_TRUE(svc_.GetId(kPool, &empty).ok());
}

TEST_F(IdentityServiceTest, CredentialsHaveTheCloudShapesAndLookUp) {
  std::string id = *svc_.GetId(kPool, nullptr);
  auto c = svc_.GetCredentialsForIdentity(id, nullptr);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(std::regex_match(c->access_key_id, std::regex("ASIA[A-Z0-9]{16}"))) << c->access_key_id;
  EXPECT_EQ(c->secret_key.size(), 40u);
  EXPECT_GT(c->session_token.size(), 200u);
  EXPECT_EQ(c->expiration, clock_.NowMillis() + 3'600'000);
  EXPECT_EQ(c->identity_id, id);
  auto info = svc_.LookupAccessKey(c->access_key_id);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->identity_id, id);
  EXPECT_EQ(info->secret_key, c->secret_key);
  EXPECT_EQ(info->session_token, c->session_token);
  // Stored under the identity.
  auto rows = (*store_).ListByIndex(store::Table::kCredentials, id, 10);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 1u);
}

TEST_F(IdentityServiceTest, CredentialsExpire) {
  std::string id = *svc_.GetId(kPool, nullptr);
  auto c = svc_.GetCredentialsForIdentity(id, nullptr);
  ASSERT_TRUE(c.ok());
  clock_.Advance(3'600'000 - 1);
  EXPECT_TRUE(svc_.LookupAccessKey(c->access_key_id).ok());
  clock_.Advance(1);
  auto expired = svc_.LookupAccessKey(c->access_key_id);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, ErrorCode::kUnauthorized);
  EXPECT_NE(expired.error().message.find("expired"), std::string::npos);
  // New credentials sweep the expired ones of the identity.
  ASSERT_TRUE(svc_.GetCredentialsForIdentity(id, nullptr).ok());
  auto rows = (*store_).ListByIndex(store::Table::kCredentials, id, 10);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 1u);
}

TEST_F(IdentityServiceTest, TtlIsCappedAtOneHour) {
  IdentityConfig cfg = Config();
  cfg.credentials_ttl_ms = 10 * 3'600'000;
  IdentityService svc(*store_, clock_, cfg);
  auto c = svc.GetCredentialsForIdentity(*svc.GetId(kPool, nullptr), nullptr);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->expiration - clock_.NowMillis(), 3'600'000);
}

TEST_F(IdentityServiceTest, UnknownThingsAreRefused) {
  auto c = svc_.GetCredentialsForIdentity("local:00000000-0000-4000-8000-000000000000", nullptr);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kNotFound);
  // The signing-key row is not an identity.
  EXPECT_FALSE(svc_.GetCredentialsForIdentity("#openid-signing-key", nullptr).ok());
  auto k = svc_.LookupAccessKey("ASIAAAAAAAAAAAAAAAAA");
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.error().code, ErrorCode::kUnauthorized);
  EXPECT_FALSE(svc_.LookupAccessKey("").ok());
  EXPECT_EQ(svc_.DisableIdentity("local:nope").error().code, ErrorCode::kNotFound);
}

TEST_F(IdentityServiceTest, DisabledIdentityLosesAccess) {
  std::string id = *svc_.GetId(kPool, nullptr);
  auto c = svc_.GetCredentialsForIdentity(id, nullptr);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(svc_.DisableIdentity(id).ok());
  auto lookup = svc_.LookupAccessKey(c->access_key_id);
  ASSERT_FALSE(lookup.ok());
  EXPECT_EQ(lookup.error().code, ErrorCode::kUnauthorized);
  auto again = svc_.GetCredentialsForIdentity(id, nullptr);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kUnauthorized);
  EXPECT_FALSE(svc_.GetOpenIdToken(id, nullptr).ok());
  // Disabling twice is fine.
  EXPECT_TRUE(svc_.DisableIdentity(id).ok());
}

TEST_F(IdentityServiceTest, OpenIdTokenIsAJwtSignedByTheSharedKey) {
  std::string id = *svc_.GetId(kPool, nullptr);
  auto token = svc_.GetOpenIdToken(id, nullptr);
  ASSERT_TRUE(token.ok()) << token.error().message;
  auto key = svc_.SigningKey();
  ASSERT_TRUE(key.ok());
  auto claims = key->VerifyJwt(*token);
  ASSERT_TRUE(claims.ok()) << claims.error().message;
  EXPECT_EQ(claims->at("sub"), id.c_str());
  EXPECT_EQ(claims->at("aud"), kPool);
  EXPECT_EQ(claims->at("iss"), "https://muster.local");
  EXPECT_EQ(claims->at("iat").as_int64(), clock_.NowMillis() / 1000);
  EXPECT_EQ(claims->at("exp").as_int64(), clock_.NowMillis() / 1000 + 600);
  // A second service on the same database (another node) uses the same key.
  IdentityService other(*store_, clock_, Config());
  auto other_key = other.SigningKey();
  ASSERT_TRUE(other_key.ok());
  EXPECT_EQ(other_key->kid(), key->kid());
  EXPECT_TRUE(other_key->VerifyJwt(*svc_.GetOpenIdToken(id, nullptr)).ok());
}

TEST_F(IdentityServiceTest, AnOpenIdTokenNamesItsIdentityUntilItExpiresOrTheIdentityIsDisabled) {
  const std::string id = *svc_.GetId(kPool, nullptr);
  const std::string token = *svc_.GetOpenIdToken(id, nullptr);
  auto who = svc_.VerifyOpenIdToken(token);
  ASSERT_TRUE(who.ok()) << who.error().message;
  EXPECT_EQ(*who, id);
  // Tampered: one character of the signature changed (not the last, whose low bits are padding).
  std::string tampered = token;
  char& c = tampered[tampered.size() - 10];
  c = c == 'A' ? 'B' : 'A';
  EXPECT_EQ(svc_.VerifyOpenIdToken(tampered).error().code, ErrorCode::kUnauthorized);
  // Signed by another key with the same claims.
  auto other = Es256Key::Generate();
  ASSERT_TRUE(other.ok());
  auto claims = svc_.SigningKey()->VerifyJwt(token);
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(svc_.VerifyOpenIdToken(*other->SignJwt(*claims)).error().code, ErrorCode::kUnauthorized);
  // Of another issuer, though signed by the right key.
  json::object foreign = *claims;
  foreign["iss"] = "https://elsewhere";
  auto foreign_token = svc_.SigningKey()->SignJwt(foreign);
  EXPECT_NE(svc_.VerifyOpenIdToken(*foreign_token).error().message.find("issuer"), std::string::npos);
  EXPECT_EQ(svc_.VerifyOpenIdToken("").error().code, ErrorCode::kUnauthorized);
  EXPECT_EQ(svc_.VerifyOpenIdToken("a.b.c").error().code, ErrorCode::kUnauthorized);
  // Disabled: refused at once, though the token has not expired.
  const std::string id2 = *svc_.GetId(kPool, nullptr);
  const std::string token2 = *svc_.GetOpenIdToken(id2, nullptr);
  ASSERT_TRUE(svc_.DisableIdentity(id2).ok());
  EXPECT_NE(svc_.VerifyOpenIdToken(token2).error().message.find("disabled"), std::string::npos);
  // Expired.
  clock_.Advance(600'000);
  EXPECT_NE(svc_.VerifyOpenIdToken(token).error().message.find("expired"), std::string::npos);
}

TEST_F(IdentityServiceTest, IssuedCredentialsSignRequestsTheVerifierAccepts) {
  std::string id = *svc_.GetId(kPool, nullptr);
  auto c = svc_.GetCredentialsForIdentity(id, nullptr);
  ASSERT_TRUE(c.ok());
  auth::SecretLookup lookup = [&](std::string_view ak) -> Result<auth::SecretLookupResult> {
    MUSTER_ASSIGN_OR_RETURN(auto info, svc_.LookupAccessKey(ak));
    return auth::SecretLookupResult{info.secret_key, info.session_token};
  };
  auth::SignableRequest r{"GET", "/requestmatchstatus", "ticketId=t1", {{"Host", "localhost"}}, ""};
  auth::SignRequest(r, {c->access_key_id, c->secret_key, c->session_token}, "local", "execute-api",
                    clock_.NowMillis());
  auto v = auth::VerifyRequest(r, lookup, {"execute-api", "local"}, clock_.NowMillis());
  ASSERT_TRUE(v.ok()) << v.error().message;
  ASSERT_TRUE(svc_.DisableIdentity(id).ok());
  EXPECT_FALSE(auth::VerifyRequest(r, lookup, {"execute-api", "local"}, clock_.NowMillis()).ok());
}

TEST_F(IdentityServiceTest, SurvivesReopeningTheDatabase) {
  std::string id = *svc_.GetId(kPool, nullptr);
  auto c = svc_.GetCredentialsForIdentity(id, nullptr);
  ASSERT_TRUE(c.ok());
  auto reopened = store::OpenSqliteStore({store_.path()});
  ASSERT_TRUE(reopened.ok()) << reopened.error().message;
  IdentityService svc2(**reopened, clock_, Config());
  auto info = svc2.LookupAccessKey(c->access_key_id);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->identity_id, id);
}

TEST_F(IdentityServiceTest, AskingAgainGetsTheSameCredentialsWhileMoreThanHalfTheirLifeIsLeft) {
  auto id = svc_.GetId(kPool, nullptr);
  ASSERT_TRUE(id.ok());
  auto first = svc_.GetCredentialsForIdentity(*id, nullptr);
  ASSERT_TRUE(first.ok());
  // A loop of requests stores nothing more and revokes nothing.
  for (int i = 0; i < 20; ++i) {
    clock_.Advance(1000);
    auto again = svc_.GetCredentialsForIdentity(*id, nullptr);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(again->access_key_id, first->access_key_id);
    EXPECT_EQ(again->secret_key, first->secret_key);
    EXPECT_EQ(again->session_token, first->session_token);
    EXPECT_EQ(again->expiration, first->expiration);
  }
  auto rows = (*store_).ListByIndex(store::Table::kCredentials, *id, 100);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 1u);
  // Past half their lifetime, new ones; the old ones keep working until they expire.
  clock_.Advance(kMaxCredentialsTtlMs / 2);
  auto fresh = svc_.GetCredentialsForIdentity(*id, nullptr);
  ASSERT_TRUE(fresh.ok());
  EXPECT_NE(fresh->access_key_id, first->access_key_id);
  EXPECT_TRUE(svc_.LookupAccessKey(first->access_key_id).ok());
  EXPECT_TRUE(svc_.LookupAccessKey(fresh->access_key_id).ok());
}

TEST_F(IdentityServiceTest, LiveCredentialsOfOneIdentityAreBounded) {
  IdentityConfig cfg = Config();
  cfg.max_live_credentials = 2;
  IdentityService svc(*store_, clock_, cfg);
  auto id = svc.GetId(kPool, nullptr);
  ASSERT_TRUE(id.ok());
  std::vector<std::string> keys;
  for (int i = 0; i < 4; ++i) {
    auto c = svc.GetCredentialsForIdentity(*id, nullptr);
    ASSERT_TRUE(c.ok()) << c.error().message;
    keys.push_back(c->access_key_id);
    clock_.Advance(kMaxCredentialsTtlMs / 2 - 1000);  // the next request gets new ones
  }
  auto rows = (*store_).ListByIndex(store::Table::kCredentials, *id, 100);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 2u);
  // The newest two work; the older ones were revoked (or expired).
  for (std::size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(svc.LookupAccessKey(keys[i]).ok(), i >= keys.size() - 2) << i;
  }
  // Expired ones go first, before any live one is revoked.
  clock_.Advance(kMaxCredentialsTtlMs);
  auto fresh = svc.GetCredentialsForIdentity(*id, nullptr);
  ASSERT_TRUE(fresh.ok());
  rows = (*store_).ListByIndex(store::Table::kCredentials, *id, 100);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 1u);
}

TEST_F(IdentityServiceTest, SignatureChecksReadCredentialsFromMemoryUpToTheBound) {
  store::FaultStore faults(*store_);
  IdentityConfig cfg = Config();
  cfg.max_cached_credentials = 1;
  IdentityService svc(faults, clock_, cfg);
  auto first = svc.GetCredentialsForIdentity(*svc.GetId(kPool, nullptr), nullptr);
  auto second = svc.GetCredentialsForIdentity(*svc.GetId(kPool, nullptr), nullptr);
  ASSERT_TRUE(first.ok() && second.ok());
  faults.SetReadFault(Error::Unavailable("injected: read error"));
  // The first is in the view: no store read. The second did not fit: it needs the store.
  auto a = svc.LookupAccessKey(first->access_key_id);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->secret_key, first->secret_key);
  EXPECT_FALSE(svc.LookupAccessKey(second->access_key_id).ok());
  faults.ClearFaults();
  EXPECT_TRUE(svc.LookupAccessKey(second->access_key_id).ok());
  // An expired one leaves the view: it is refused, by the store's answer (here a read error).
  clock_.Advance(kMaxCredentialsTtlMs);
  faults.SetReadFault(Error::Unavailable("injected: read error"));
  auto expired = svc.LookupAccessKey(first->access_key_id);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace muster::identity
