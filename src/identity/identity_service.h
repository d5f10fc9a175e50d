#pragma once
// Identity pools, guest identities and their temporary credentials, over the store.
//   kIdentities  id = "<region>:<uuid>", index = pool id, status ACTIVE|DISABLED,
//                body {"pool","created","disabled"}. The row "#openid-signing-key" (index
//                "#system") holds the ES256 key that signs OpenID tokens for every node.
//   kCredentials id = access key id ("ASIA" + 16 [A-Z0-9]), index = identity id, status ACTIVE,
//                body {"identity","secret","session_token","expiration"}. Secrets are stored as
//                issued: the verifier needs them for HMAC.
// Credentials live at most one hour. An identity that asks again while its newest credentials
// have more than half their lifetime left gets those again (so asking in a loop stores nothing,
// and cannot revoke credentials a player is using); otherwise it gets new ones, its expired ones
// are deleted, and it holds at most max_live_credentials live ones (the oldest are revoked).
// Bytes stored per guest identity: docs/store.md ("Size").

//
// The credential view: LookupAccessKey (every signed client request) reads credentials from
// memory once it has read them from the store (or issued them). Credentials this service revokes
// (pruned, or their identity disabled) leave the view when that commit succeeds, so they are
// refused at once; expired ones are refused by their expiration. The view is this service's:
// a revocation made by another node on the same store reaches this one when the credentials
// expire (at most one hour; the scale-out work will carry revocations between nodes).
//
// Thread safety: safe from any thread (the store serialises; the signing key and the view are
// under mutexes). Deterministic: time comes from the Clock.

#include <mutex>
#include <unordered_map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/json.h"
#include "common/result.h"
#include "identity/es256.h"
#include "store/store.h"

namespace muster::identity {

struct PoolConfig {
  std::string pool_id;  // "<region>:<uuid>"
  bool allow_unauthenticated = true;
};

struct IdentityConfig {
  std::string region = "local";
  std::vector<PoolConfig> pools;
  Millis credentials_ttl_ms = 3'600'000;  // capped at one hour
  Millis openid_ttl_ms = 600'000;
  std::string openid_issuer = "https://muster.local";
  // Live credentials one identity may hold; issuing more revokes its oldest (a client refreshing
  // every hour holds two at most). At least 1.
  int max_live_credentials = 5;
  // Credentials held in memory for signature checks (about 300 bytes each); beyond, expired ones
  // are dropped, and if none is, further lookups read the store.
  std::size_t max_cached_credentials = 200'000;
};

inline constexpr Millis kMaxCredentialsTtlMs = 3'600'000;

class IdentityService {
 public:
  IdentityService(store::Store& store, const Clock& clock, IdentityConfig config);

  // A new guest identity in the pool. kNotFound for an unknown pool; kUnauthorized when the pool
  // refuses unauthenticated identities or when Logins names a provider (none is configured).
  Result<std::string> GetId(std::string_view pool_id, const json::object* logins);

  struct IssuedCredentials {
    std::string identity_id, access_key_id, secret_key, session_token;
    Millis expiration = 0;
  };
  // kNotFound for an unknown identity, kUnauthorized for a disabled one.
  Result<IssuedCredentials> GetCredentialsForIdentity(std::string_view identity_id,
                                                      const json::object* logins);

  // An ES256 JWT: header {alg, typ, kid}; claims iss, sub (identity), aud (pool), iat, exp,
  // amr ["unauthenticated"].
  Result<std::string> GetOpenIdToken(std::string_view identity_id, const json::object* logins);
  // The identity a token of GetOpenIdToken names (its `sub`), for a client that presents it as a
  // bearer token (the push flow's WebSocket). kUnauthorized when the token is malformed, signed
  // by another key, of another issuer, expired, or its identity is disabled or gone (a store
  // read: a disabled identity is refused at once).
  Result<std::string> VerifyOpenIdToken(std::string_view token);
  // The key that signs OpenID tokens (created and stored on first use).
  Result<Es256Key> SigningKey();

  struct CredentialInfo {
    std::string identity_id, secret_key, session_token;
    Millis expiration = 0;
  };
  // For the auth layer. kUnauthorized if unknown or expired, or the identity is disabled.
  Result<CredentialInfo> LookupAccessKey(std::string_view access_key_id);

  // Bans an identity: it gets no new credentials and its current ones stop working.
  Status DisableIdentity(std::string_view identity_id);

  const IdentityConfig& config() const { return config_; }

 private:
  struct IdentityRecord {
    store::Row row;
    std::string pool;
    bool disabled = false;
  };
  Result<IdentityRecord> LoadIdentity(std::string_view identity_id);
  const PoolConfig* FindPool(std::string_view pool_id) const;
  Status CheckLogins(const json::object* logins) const;
  struct CredentialScan {
    // Deletes of the identity's expired credentials, and of its oldest live ones beyond
    // max_live_credentials - 1 (room for one more).
    std::vector<store::Write> prune;
    // Its newest credentials, when more than half their lifetime is left.
    std::optional<IssuedCredentials> reusable;
  };
  Result<CredentialScan> ScanCredentials(const std::string& identity_id);

  // Puts credentials read (or issued) while `revocations_seen` was current into the view, unless a
  // revocation committed since. REQUIRES(view_mu_).
  void CacheLocked(const std::string& access_key_id, CredentialInfo info, std::uint64_t revocations_seen);
  std::uint64_t Revocations();

  store::Store& store_;
  const Clock& clock_;
  IdentityConfig config_;
  std::mutex view_mu_;
  std::unordered_map<std::string, CredentialInfo> view_;  // GUARDED_BY(view_mu_); by access key
  std::uint64_t revocations_ = 0;  // GUARDED_BY(view_mu_); commits that revoked credentials
  Millis next_sweep_ = 0;          // GUARDED_BY(view_mu_); a full view sweeps no sooner
  std::mutex key_mu_;
  std::optional<Es256Key> key_;  // GUARDED_BY(key_mu_)
};

}  // namespace muster::identity
