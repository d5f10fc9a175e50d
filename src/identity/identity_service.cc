#include "identity/identity_service.h"

#include <algorithm>

#include "common/crypto.h"

namespace muster::identity {

namespace {

constexpr std::string_view kKeyRowId = "#openid-signing-key";
constexpr std::string_view kSystemIndex = "#system";
constexpr int kCasRetries = 5;

std::string StringField(const json::object& o, std::string_view k) {
  auto it = o.find(k);
  if (it == o.end() || !it->value().is_string()) return {};
  return std::string(it->value().as_string());
}

Millis IntField(const json::object& o, std::string_view k) {
  auto it = o.find(k);
  if (it == o.end() || !it->value().is_int64()) return 0;
  return it->value().as_int64();
}

}  // namespace

IdentityService::IdentityService(store::Store& store, const Clock& clock, IdentityConfig config)
    : store_(store), clock_(clock), config_(std::move(config)) {
  config_.credentials_ttl_ms =
      std::clamp<Millis>(config_.credentials_ttl_ms, 60'000, kMaxCredentialsTtlMs);
  if (config_.openid_ttl_ms <= 0) config_.openid_ttl_ms = 600'000;
}

const PoolConfig* IdentityService::FindPool(std::string_view pool_id) const {
  for (const PoolConfig& p : config_.pools) {
    if (p.pool_id == pool_id) return &p;
  }
  return nullptr;
}

Status IdentityService::CheckLogins(const json::object* logins) const {
  if (logins && !logins->empty()) {
    return Error::Unauthorized("Logins: provider '" + std::string(logins->begin()->key()) +
                               "' is not configured for this identity pool");
  }
  return OkStatus();
}

Result<std::string> IdentityService::GetId(std::string_view pool_id, const json::object* logins) {
  const PoolConfig* pool = FindPool(pool_id);
  if (!pool) return Error::NotFound("IdentityPool '" + std::string(pool_id) + "' not found");
  MUSTER_RETURN_IF_ERROR(CheckLogins(logins));
  if (!pool->allow_unauthenticated) {
    return Error::Unauthorized("Unauthenticated access is not supported for this identity pool.");
  }
  Millis now = clock_.NowMillis();
  std::string id = config_.region + ":" + Uuid4();
  json::object body{{"pool", pool->pool_id}, {"created", now}, {"disabled", false}};
  MUSTER_RETURN_IF_ERROR(store::CommitOne(
      store_, store::Write::Insert(store::Table::kIdentities,
                                   {id, pool->pool_id, "ACTIVE", ToJson(body), 0, now})));
  return id;
}

Result<IdentityService::IdentityRecord> IdentityService::LoadIdentity(std::string_view identity_id) {
  if (identity_id.empty() || identity_id.front() == '#') {
    return Error::NotFound("Identity '" + std::string(identity_id) + "' not found");
  }
  MUSTER_ASSIGN_OR_RETURN(auto row, store_.Get(store::Table::kIdentities, identity_id));
  if (!row) return Error::NotFound("Identity '" + std::string(identity_id) + "' not found");
  IdentityRecord rec;
  rec.row = std::move(*row);
  auto parsed = ParseJson(rec.row.body);
  if (!parsed.ok() || !parsed->is_object()) {
    return Error::Internal("identity '" + std::string(identity_id) + "' has a corrupt record");
  }
  const json::object& o = parsed->as_object();
  rec.pool = StringField(o, "pool");
  auto it = o.find("disabled");
  rec.disabled = rec.row.status == "DISABLED" ||
                 (it != o.end() && it->value().is_bool() && it->value().as_bool());
  return rec;
}

Result<IdentityService::CredentialScan> IdentityService::ScanCredentials(const std::string& identity_id) {
  CredentialScan scan;
  // Bounded: an identity never holds more than max_live_credentials rows once pruned; a larger
  // backlog (from before the cap) shrinks by up to this many per call.
  MUSTER_ASSIGN_OR_RETURN(auto rows, store_.ListByIndex(store::Table::kCredentials, identity_id, 256));
  const Millis now = clock_.NowMillis();
  std::vector<std::pair<Millis, std::string>> live;  // (issued, access key)
  for (const store::Row& r : rows) {
    auto parsed = ParseJson(r.body);
    Millis expiration = parsed.ok() && parsed->is_object() ? IntField(parsed->as_object(), "expiration") : 0;
    if (expiration <= now) {
      scan.prune.push_back(store::Write::Delete(store::Table::kCredentials, r.id, 0));
      continue;
    }
    live.emplace_back(r.updated, r.id);
    const bool newer = !scan.reusable || expiration > scan.reusable->expiration;
    if (newer && expiration - now > config_.credentials_ttl_ms / 2) {
      const json::object& o = parsed->as_object();
      scan.reusable = IssuedCredentials{identity_id, r.id, StringField(o, "secret"),
                                        StringField(o, "session_token"), expiration};
    }
  }
  const std::size_t keep = static_cast<std::size_t>(std::max(config_.max_live_credentials, 1)) - 1;
  if (live.size() > keep) {
    std::sort(live.begin(), live.end());
    for (std::size_t i = 0; i < live.size() - keep; ++i) {
      scan.prune.push_back(store::Write::Delete(store::Table::kCredentials, live[i].second, 0));
    }
  }
  return scan;
}

Result<IdentityService::IssuedCredentials> IdentityService::GetCredentialsForIdentity(
    std::string_view identity_id, const json::object* logins) {
  const std::uint64_t revocations_seen = Revocations();  // before reading the identity
  MUSTER_ASSIGN_OR_RETURN(IdentityRecord rec, LoadIdentity(identity_id));
  if (rec.disabled) return Error::Unauthorized("Identity '" + rec.row.id + "' is disabled.");
  MUSTER_RETURN_IF_ERROR(CheckLogins(logins));
  MUSTER_ASSIGN_OR_RETURN(CredentialScan scan, ScanCredentials(rec.row.id));
  if (scan.reusable) return *scan.reusable;
  // Pruning and the new row commit together: the identity's live credentials stay bounded.
  const std::vector<store::Write>& prune = scan.prune;
  Millis now = clock_.NowMillis();
  IssuedCredentials c;
  c.identity_id = rec.row.id;
  c.secret_key = Base64Encode(RandomBytes(30));  // 40 characters
  c.session_token = Base64Encode(RandomBytes(192));
  c.expiration = now + config_.credentials_ttl_ms;
  for (int attempt = 0;; ++attempt) {
    c.access_key_id = "ASIA" + RandomAlnum(16, /*upper=*/true);
    json::object body{{"identity", c.identity_id},
                      {"secret", c.secret_key},
                      {"session_token", c.session_token},
                      {"expiration", c.expiration}};
    std::vector<store::Write> writes = prune;
    writes.push_back(store::Write::Insert(
        store::Table::kCredentials, {c.access_key_id, c.identity_id, "ACTIVE", ToJson(body), 0, now}));
    Status st = store_.Commit(writes);
    if (st.ok()) break;
    if (st.error().code != ErrorCode::kConflict || attempt >= kCasRetries) return st.take_error();
  }
  {
    std::lock_guard lock(view_mu_);
    // Cached only if no other revocation (its identity disabled meanwhile?) committed since.
    const bool unchanged = revocations_ == revocations_seen;
    for (const auto& w : prune) view_.erase(w.row.id);  // revoked at once
    if (!prune.empty()) ++revocations_;
    if (unchanged) {
      CacheLocked(c.access_key_id, CredentialInfo{c.identity_id, c.secret_key, c.session_token, c.expiration},
                  revocations_);
    }
  }
  return c;
}

void IdentityService::CacheLocked(const std::string& access_key_id, CredentialInfo info,
                                  std::uint64_t revocations_seen) {
  // A revocation committed since the caller read the store may concern these credentials.
  if (revocations_ != revocations_seen) return;
  if (view_.size() >= config_.max_cached_credentials) {
    // Full: drop the expired ones, at most once a second (a sweep walks the whole view).
    const Millis now = clock_.NowMillis();
    if (now < next_sweep_) return;
    for (auto it = view_.begin(); it != view_.end();) {
      it = now >= it->second.expiration ? view_.erase(it) : std::next(it);
    }
    next_sweep_ = now + 1000;
    if (view_.size() >= config_.max_cached_credentials) return;  // read from the store instead
  }
  view_[access_key_id] = std::move(info);
}

std::uint64_t IdentityService::Revocations() {
  std::lock_guard lock(view_mu_);
  return revocations_;
}

Result<Es256Key> IdentityService::SigningKey() {
  std::lock_guard<std::mutex> lock(key_mu_);
  if (key_) return *key_;
  for (int attempt = 0; attempt < kCasRetries; ++attempt) {
    MUSTER_ASSIGN_OR_RETURN(auto row, store_.Get(store::Table::kIdentities, kKeyRowId));
    if (row) {
      auto parsed = ParseJson(row->body);
      if (!parsed.ok() || !parsed->is_object()) {
        return Error::Internal("the stored OpenID signing key record is corrupt");
      }
      MUSTER_ASSIGN_OR_RETURN(Es256Key k,
                              Es256Key::FromPrivatePem(StringField(parsed->as_object(), "pem")));
      key_ = k;
      return k;
    }
    MUSTER_ASSIGN_OR_RETURN(Es256Key k, Es256Key::Generate());
    json::object body{{"alg", "ES256"}, {"kid", k.kid()}, {"pem", k.private_pem()}};
    Millis now = clock_.NowMillis();
    Status st = store::CommitOne(
        store_, store::Write::Insert(store::Table::kIdentities,
                                     {std::string(kKeyRowId), std::string(kSystemIndex), "ACTIVE",
                                      ToJson(body), 0, now}));
    if (st.ok()) {
      key_ = k;
      return k;
    }
    // Another node stored its key first: use that one.
    if (st.error().code != ErrorCode::kConflict) return st.take_error();
  }
  return Error::Unavailable("could not agree on an OpenID signing key");
}

Result<std::string> IdentityService::GetOpenIdToken(std::string_view identity_id,
                                                    const json::object* logins) {
  const std::uint64_t revocations_seen = Revocations();  // before reading the identity
  MUSTER_ASSIGN_OR_RETURN(IdentityRecord rec, LoadIdentity(identity_id));
  if (rec.disabled) return Error::Unauthorized("Identity '" + rec.row.id + "' is disabled.");
  MUSTER_RETURN_IF_ERROR(CheckLogins(logins));
  MUSTER_ASSIGN_OR_RETURN(Es256Key key, SigningKey());
  Millis now = clock_.NowMillis();
  json::object claims{{"iss", config_.openid_issuer},
                      {"sub", rec.row.id},
                      {"aud", rec.pool},
                      {"iat", now / 1000},
                      {"exp", (now + config_.openid_ttl_ms) / 1000},
                      {"amr", json::array{"unauthenticated"}}};
  return key.SignJwt(claims);
}

Result<std::string> IdentityService::VerifyOpenIdToken(std::string_view token) {
  if (token.empty() || token.size() > 8192) return Error::Unauthorized("malformed token");
  MUSTER_ASSIGN_OR_RETURN(Es256Key key, SigningKey());
  auto claims = key.VerifyJwt(token);
  if (!claims.ok()) return Error::Unauthorized("invalid token: " + claims.error().message);
  const std::string issuer = StringField(*claims, "iss");
  if (issuer != config_.openid_issuer) return Error::Unauthorized("token of another issuer ('" + issuer + "')");
  const Millis now = clock_.NowMillis();
  if (IntField(*claims, "exp") * 1000 <= now) return Error::Unauthorized("token expired");
  const std::string subject = StringField(*claims, "sub");
  if (subject.empty()) return Error::Unauthorized("token without a subject");
  auto rec = LoadIdentity(subject);
  if (!rec.ok()) {
    if (rec.error().code == ErrorCode::kNotFound) return Error::Unauthorized("the token's identity no longer exists");
    return rec.error();
  }
  if (rec->disabled) return Error::Unauthorized("Identity '" + subject + "' is disabled.");
  return subject;
}

Result<IdentityService::CredentialInfo> IdentityService::LookupAccessKey(
    std::string_view access_key_id) {
  if (access_key_id.empty() || access_key_id.size() > 128) {
    return Error::Unauthorized("unknown access key id");
  }
  const Millis now = clock_.NowMillis();
  {
    std::lock_guard lock(view_mu_);
    auto it = view_.find(std::string(access_key_id));
    if (it != view_.end()) {
      if (now < it->second.expiration) return it->second;
      view_.erase(it);  // expired: the store path below says so
    }
  }
  const std::uint64_t revocations_seen = Revocations();  // before reading the store
  MUSTER_ASSIGN_OR_RETURN(auto row, store_.Get(store::Table::kCredentials, access_key_id));
  if (!row) return Error::Unauthorized("unknown access key id '" + std::string(access_key_id) + "'");
  auto parsed = ParseJson(row->body);
  if (!parsed.ok() || !parsed->is_object()) {
    return Error::Internal("credentials of access key '" + row->id + "' are corrupt");
  }
  const json::object& o = parsed->as_object();
  CredentialInfo info{StringField(o, "identity"), StringField(o, "secret"),
                      StringField(o, "session_token"), IntField(o, "expiration")};
  if (now >= info.expiration) {
    return Error::Unauthorized("the credentials of access key '" + row->id + "' expired " +
                               std::to_string((now - info.expiration) / 1000) +
                               " s ago; get new ones with GetCredentialsForIdentity");
  }
  auto rec = LoadIdentity(info.identity_id);
  if (!rec.ok()) {
    if (rec.error().code == ErrorCode::kNotFound) {
      return Error::Unauthorized("the identity of access key '" + row->id + "' no longer exists");
    }
    return rec.take_error();
  }
  if (rec->disabled) {
    return Error::Unauthorized("the identity of access key '" + row->id + "' is disabled");
  }
  std::lock_guard lock(view_mu_);
  CacheLocked(row->id, info, revocations_seen);
  return info;
}

Status IdentityService::DisableIdentity(std::string_view identity_id) {
  for (int attempt = 0;; ++attempt) {
    MUSTER_ASSIGN_OR_RETURN(IdentityRecord rec, LoadIdentity(identity_id));
    json::object body{{"pool", rec.pool}, {"disabled", true}};
    auto parsed = ParseJson(rec.row.body);
    if (parsed.ok() && parsed->is_object()) {
      body = parsed->as_object();
      body["disabled"] = true;
    }
    store::Row row = rec.row;
    row.status = "DISABLED";
    row.body = ToJson(body);
    row.updated = clock_.NowMillis();
    std::vector<store::Write> writes{
        store::Write::Update(store::Table::kIdentities, row, rec.row.version)};
    auto creds = store_.ListByIndex(store::Table::kCredentials, rec.row.id, 1000);
    if (creds.ok()) {
      for (const store::Row& c : *creds) {
        writes.push_back(store::Write::Delete(store::Table::kCredentials, c.id, 0));
      }
    }
    Status st = store_.Commit(writes);
    if (st.ok()) {
      std::lock_guard lock(view_mu_);
      ++revocations_;
      for (auto it = view_.begin(); it != view_.end();) {
        it = it->second.identity_id == rec.row.id ? view_.erase(it) : std::next(it);
      }
      return st;
    }
    if (st.error().code != ErrorCode::kConflict || attempt >= kCasRetries) return st;
  }
}

}  // namespace muster::identity
