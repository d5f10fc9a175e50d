#include "auth/sigv4.h"

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <set>

#include <openssl/crypto.h>
#include <unordered_map>

#include "auth/canonical.h"
#include "common/ascii.h"
#include "common/crypto.h"
#include "common/time_util.h"

namespace muster::auth {

namespace {

constexpr std::string_view kHeaderSha256 = "x-amz-content-sha256";

// The signing key of a credential changes once a day (four HMACs to derive, a fifth of a signed
// request's verification). Each thread keeps the keys it derived, by access key and scope, and
// uses one only for the very secret it was derived from (a credential whose secret changed gets
// a new key); the cache holds the secret's SHA-256, not the secret. Bounded: the cache is wiped
// and emptied when it holds kMaxCachedKeys.
constexpr std::size_t kMaxCachedKeys = 4096;

// The reference stays valid until the thread's next call.
const std::string& CachedSigningKey(std::string_view access_key, std::string_view secret,
                                    std::string_view date8, std::string_view region, std::string_view service) {
  struct Entry {
    std::string secret_sha256;
    std::string key;
  };
  struct Cache {
    std::unordered_map<std::string, Entry> entries;
    void Clear() {
      for (auto& [id, e] : entries) OPENSSL_cleanse(e.key.data(), e.key.size());
      entries.clear();
    }
    ~Cache() { Clear(); }
  };
  thread_local Cache cache;
  std::string id;
  id.reserve(access_key.size() + date8.size() + region.size() + service.size() + 3);
  id.append(access_key).append(1, '/').append(date8).append(1, '/').append(region).append(1, '/').append(service);
  std::string fingerprint = Sha256(secret);
  auto it = cache.entries.find(id);
  if (it != cache.entries.end() && it->second.secret_sha256 == fingerprint) return it->second.key;
  if (cache.entries.size() >= kMaxCachedKeys) cache.Clear();
  Entry& e = cache.entries[std::move(id)];
  if (!e.key.empty()) OPENSSL_cleanse(e.key.data(), e.key.size());
  e = Entry{std::move(fingerprint), DeriveSigningKey(secret, date8, region, service)};
  return e.key;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// All values of a header (case-insensitive name).
std::vector<std::string_view> HeaderValues(const HeaderList& h, std::string_view name) {
  std::vector<std::string_view> out;
  for (const auto& [n, v] : h) {
    if (AsciiIEquals(n, name)) out.push_back(v);
  }
  return out;
}

void RemoveHeader(HeaderList& h, std::string_view name) {
  h.erase(std::remove_if(h.begin(), h.end(), [&](const auto& kv) { return AsciiIEquals(kv.first, name); }),
          h.end());
}

bool IsLowerHex(std::string_view s, std::size_t len) {
  if (s.size() != len) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string Printable(std::string_view s, std::size_t max = 64) {
  std::string out;
  for (char c : s.substr(0, max)) {
    auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7F ? c : '?');
  }
  if (s.size() > max) out.append("...");
  return out;
}

std::vector<std::string> SignableHeaderNames(const HeaderList& headers) {
  std::set<std::string> names;
  for (const auto& [n, v] : headers) {
    std::string lower = ToLowerAscii(n);
    if (!IsUnsignableHeader(lower)) names.insert(std::move(lower));
  }
  return {names.begin(), names.end()};
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) out.push_back(';');
    out.append(names[i]);
  }
  return out;
}

// Everything the two forms carry, before any check against secrets or the clock.
struct ParsedAuth {
  bool presigned = false;
  std::string access_key, date8, region, service;
  std::vector<std::string> signed_headers;
  std::string signed_headers_raw;
  std::string signature;
  std::string amz_date;
  bool has_token = false;
  std::string token;
  long expires_seconds = 0;
};

Status ParseCredential(std::string_view cred, ParsedAuth& out) {
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (parts.size() < 6) {
    std::size_t slash = cred.find('/', pos);
    if (slash == std::string_view::npos) {
      parts.push_back(cred.substr(pos));
      break;
    }
    parts.push_back(cred.substr(pos, slash - pos));
    pos = slash + 1;
  }
  if (parts.size() != 5) {
    return Error::Unauthorized(
        "credential scope malformed: expected <AccessKeyId>/<yyyymmdd>/<region>/<service>/"
        "aws4_request, got '" + Printable(cred, 200) + "'");
  }
  if (parts[0].empty()) return Error::Unauthorized("credential scope malformed: empty access key id");
  if (parts[1].size() != 8 ||
      !std::all_of(parts[1].begin(), parts[1].end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Error::Unauthorized("credential scope malformed: date '" + Printable(parts[1]) +
                               "' is not yyyymmdd");
  }
  if (parts[2].empty()) return Error::Unauthorized("credential scope malformed: empty region");
  if (parts[3].empty()) return Error::Unauthorized("credential scope malformed: empty service");
  if (parts[4] != "aws4_request") {
    return Error::Unauthorized("credential scope malformed: must end with 'aws4_request', got '" +
                               Printable(parts[4]) + "'");
  }
  out.access_key = parts[0];
  out.date8 = parts[1];
  out.region = parts[2];
  out.service = parts[3];
  return OkStatus();
}

Status ParseSignedHeaders(std::string_view raw, ParsedAuth& out) {
  out.signed_headers_raw = raw;
  out.signed_headers.clear();
  std::size_t pos = 0;
  while (pos <= raw.size()) {
    std::size_t semi = raw.find(';', pos);
    if (semi == std::string_view::npos) semi = raw.size();
    std::string_view name = raw.substr(pos, semi - pos);
    if (name.empty()) {
      return Error::Unauthorized("malformed SignedHeaders '" + Printable(raw, 200) +
                                 "': empty header name");
    }
    for (char c : name) {
      auto u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u >= 0x7F || c == ':' || (c >= 'A' && c <= 'Z')) {
        return Error::Unauthorized("malformed SignedHeaders: '" + Printable(name) +
                                   "' is not a lowercase header name");
      }
    }
    if (out.signed_headers.size() >= kMaxSignedHeaders) {
      return Error::Unauthorized("malformed SignedHeaders: more than " +
                                 std::to_string(kMaxSignedHeaders) + " headers");
    }
    out.signed_headers.emplace_back(name);
    pos = semi + 1;
  }
  return OkStatus();
}

Status ParseSignature(std::string_view sig, ParsedAuth& out) {
  if (!IsLowerHex(sig, 64)) {
    return Error::Unauthorized("malformed signature: expected 64 lowercase hex characters, got '" +
                               Printable(sig) + "'");
  }
  out.signature = sig;
  return OkStatus();
}

Result<ParsedAuth> ParseHeaderForm(std::string_view value, const HeaderList& headers) {
  ParsedAuth out;
  if (value.size() > kMaxAuthorizationBytes) {
    return Error::Unauthorized("malformed Authorization header: longer than " +
                               std::to_string(kMaxAuthorizationBytes) + " bytes");
  }
  value = Trim(value);
  std::size_t sp = value.find_first_of(" \t");
  std::string_view algorithm = value.substr(0, sp);
  if (algorithm != kAlgorithm) {
    return Error::Unauthorized("unsupported algorithm '" + Printable(algorithm) +
                               "' in Authorization header; expected AWS4-HMAC-SHA256");
  }
  if (sp == std::string_view::npos) {
    return Error::Unauthorized(
        "malformed Authorization header: expected 'AWS4-HMAC-SHA256 Credential=..., "
        "SignedHeaders=..., Signature=...'");
  }
  std::optional<std::string_view> cred, signed_headers, signature;
  std::string_view rest = value.substr(sp + 1);
  std::size_t pos = 0;
  while (pos <= rest.size()) {
    std::size_t comma = rest.find(',', pos);
    if (comma == std::string_view::npos) comma = rest.size();
    std::string_view item = Trim(rest.substr(pos, comma - pos));
    pos = comma + 1;
    if (item.empty()) continue;
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return Error::Unauthorized("malformed Authorization header: component '" + Printable(item) +
                                 "' is not key=value");
    }
    std::string_view key = item.substr(0, eq), val = item.substr(eq + 1);
    std::optional<std::string_view>* slot = nullptr;
    if (key == "Credential") slot = &cred;
    else if (key == "SignedHeaders") slot = &signed_headers;
    else if (key == "Signature") slot = &signature;
    else {
      return Error::Unauthorized("malformed Authorization header: unknown component '" +
                                 Printable(key) + "'");
    }
    if (slot->has_value()) {
      return Error::Unauthorized("malformed Authorization header: '" + std::string(key) +
                                 "' appears twice");
    }
    *slot = val;
  }
  if (!cred) return Error::Unauthorized("malformed Authorization header: missing Credential");
  if (!signed_headers) {
    return Error::Unauthorized("malformed Authorization header: missing SignedHeaders");
  }
  if (!signature) return Error::Unauthorized("malformed Authorization header: missing Signature");
  MUSTER_RETURN_IF_ERROR(ParseCredential(*cred, out));
  MUSTER_RETURN_IF_ERROR(ParseSignedHeaders(*signed_headers, out));
  MUSTER_RETURN_IF_ERROR(ParseSignature(*signature, out));

  auto dates = HeaderValues(headers, "x-amz-date");
  if (dates.empty()) return Error::Unauthorized("X-Amz-Date header is missing");
  if (dates.size() > 1) return Error::Unauthorized("X-Amz-Date header appears more than once");
  out.amz_date = Trim(dates[0]);
  auto tokens = HeaderValues(headers, "x-amz-security-token");
  if (tokens.size() > 1) {
    return Error::Forbidden("X-Amz-Security-Token header appears more than once");
  }
  if (!tokens.empty()) {
    out.has_token = true;
    out.token = Trim(tokens[0]);
  }
  return out;
}

Result<ParsedAuth> ParsePresignedForm(const QueryList& q) {
  ParsedAuth out;
  out.presigned = true;
  auto get = [&](std::string_view name, bool required,
                 std::optional<std::string>& dst) -> Status {
    for (const auto& [k, v] : q) {
      if (k != name) continue;
      if (dst) {
        return Error::Unauthorized("malformed presigned URL: " + std::string(name) +
                                   " appears more than once");
      }
      dst = v;
    }
    if (required && !dst) {
      return Error::Unauthorized("malformed presigned URL: missing " + std::string(name) +
                                 " query parameter");
    }
    return OkStatus();
  };
  std::optional<std::string> algorithm, cred, date, expires, signed_headers, signature, token;
  MUSTER_RETURN_IF_ERROR(get("X-Amz-Algorithm", true, algorithm));
  if (*algorithm != kAlgorithm) {
    return Error::Unauthorized("unsupported algorithm '" + Printable(*algorithm) +
                               "' in X-Amz-Algorithm; expected AWS4-HMAC-SHA256");
  }
  MUSTER_RETURN_IF_ERROR(get("X-Amz-Credential", true, cred));
  MUSTER_RETURN_IF_ERROR(get("X-Amz-Date", false, date));
  if (!date) return Error::Unauthorized("X-Amz-Date query parameter is missing");
  MUSTER_RETURN_IF_ERROR(get("X-Amz-Expires", true, expires));
  MUSTER_RETURN_IF_ERROR(get("X-Amz-SignedHeaders", true, signed_headers));
  MUSTER_RETURN_IF_ERROR(get("X-Amz-Signature", true, signature));
  MUSTER_RETURN_IF_ERROR(get("X-Amz-Security-Token", false, token));
  MUSTER_RETURN_IF_ERROR(ParseCredential(*cred, out));
  MUSTER_RETURN_IF_ERROR(ParseSignedHeaders(*signed_headers, out));
  MUSTER_RETURN_IF_ERROR(ParseSignature(*signature, out));
  out.amz_date = *date;
  const std::string& e = *expires;
  if (e.empty() || e.size() > 7 ||
      !std::all_of(e.begin(), e.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Error::Unauthorized("malformed X-Amz-Expires '" + Printable(e) +
                               "': expected whole seconds");
  }
  out.expires_seconds = std::strtol(e.c_str(), nullptr, 10);
  if (out.expires_seconds < 1 || out.expires_seconds > kMaxPresignExpiresSeconds) {
    return Error::Unauthorized("X-Amz-Expires must be between 1 and " +
                               std::to_string(kMaxPresignExpiresSeconds) + " seconds, got " + e);
  }
  if (token) {
    out.has_token = true;
    out.token = *token;
  }
  return out;
}

std::string Seconds(Millis ms) {
  // Rounded up so "1 ms late" does not read as "0 s".
  return std::to_string((ms + 999) / 1000) + " s";
}

}  // namespace

void SignRequest(SignableRequest& req, const Credentials& c, std::string_view region,
                 std::string_view service, Millis now, bool add_content_sha256) {
  RemoveHeader(req.headers, "authorization");
  RemoveHeader(req.headers, "x-amz-date");
  RemoveHeader(req.headers, "x-amz-security-token");
  std::string amz_date = FormatAmzDate(now);
  std::string date8 = amz_date.substr(0, 8);
  std::string payload_hash = Sha256Hex(req.body);
  req.headers.emplace_back("X-Amz-Date", amz_date);
  if (!c.session_token.empty()) req.headers.emplace_back("X-Amz-Security-Token", c.session_token);
  if (add_content_sha256) {
    RemoveHeader(req.headers, kHeaderSha256);
    req.headers.emplace_back("X-Amz-Content-Sha256", payload_hash);
  }
  std::vector<std::string> names = SignableHeaderNames(req.headers);
  std::string signed_headers = JoinNames(names);
  std::string canonical_headers = CanonicalHeaders(req.headers, names).value();
  std::string scope = CredentialScope(date8, region, service);
  std::string creq = CanonicalRequest(req.method, CanonicalUri(req.path),
                                      CanonicalQueryFromRaw(req.query), canonical_headers,
                                      signed_headers, payload_hash);
  std::string sig = ComputeSignature(c.secret_access_key, date8, region, service,
                                     StringToSign(amz_date, scope, creq));
  req.headers.emplace_back("Authorization", std::string(kAlgorithm) + " Credential=" +
                                                c.access_key_id + "/" + scope +
                                                ", SignedHeaders=" + signed_headers +
                                                ", Signature=" + sig);
}

void PresignRequest(SignableRequest& req, const Credentials& c, std::string_view region,
                    std::string_view service, Millis now, int expires_seconds) {
  std::string amz_date = FormatAmzDate(now);
  std::string date8 = amz_date.substr(0, 8);
  std::string scope = CredentialScope(date8, region, service);
  std::vector<std::string> names = SignableHeaderNames(req.headers);
  std::string signed_headers = JoinNames(names);
  auto add = [&](std::string_view k, std::string_view v) {
    if (!req.query.empty()) req.query.push_back('&');
    req.query.append(UriEncode(k)).append("=").append(UriEncode(v));
  };
  add("X-Amz-Algorithm", kAlgorithm);
  add("X-Amz-Credential", c.access_key_id + "/" + scope);
  add("X-Amz-Date", amz_date);
  add("X-Amz-Expires", std::to_string(expires_seconds));
  if (!c.session_token.empty()) add("X-Amz-Security-Token", c.session_token);
  add("X-Amz-SignedHeaders", signed_headers);
  std::string canonical_headers = CanonicalHeaders(req.headers, names).value();
  std::string creq = CanonicalRequest(req.method, CanonicalUri(req.path),
                                      CanonicalQueryFromRaw(req.query), canonical_headers,
                                      signed_headers, Sha256Hex(req.body));
  add("X-Amz-Signature", ComputeSignature(c.secret_access_key, date8, region, service,
                                          StringToSign(amz_date, scope, creq)));
}

Result<VerifiedIdentity> VerifyRequest(const SignableRequest& req, const SecretLookup& lookup,
                                       const VerifyOptions& opt, Millis now) {
  // 1. Which form, and its parts.
  auto auth_headers = HeaderValues(req.headers, "authorization");
  QueryList query = ParseQuery(req.query);
  bool query_signed = std::any_of(query.begin(), query.end(), [](const auto& kv) {
    return kv.first == "X-Amz-Signature" || kv.first == "X-Amz-Algorithm" ||
           kv.first == "X-Amz-Credential";
  });
  ParsedAuth p;
  if (auth_headers.size() > 1) {
    return Error::Unauthorized("malformed Authorization header: it appears more than once");
  } else if (auth_headers.size() == 1) {
    MUSTER_ASSIGN_OR_RETURN(p, ParseHeaderForm(auth_headers[0], req.headers));
  } else if (query_signed) {
    MUSTER_ASSIGN_OR_RETURN(p, ParsePresignedForm(query));
  } else {
    return Error::Unauthorized(
        "no signature: the request has neither an Authorization header nor X-Amz-Signature "
        "query parameters (sign it with SigV4)");
  }

  // 2. Scope and time.
  if (!opt.service.empty() && p.service != opt.service) {
    return Error::Unauthorized("credential scope has service '" + Printable(p.service) +
                               "' but this endpoint expects '" + opt.service + "'");
  }
  if (!opt.region.empty() && p.region != opt.region) {
    return Error::Unauthorized("credential scope has region '" + Printable(p.region) +
                               "' but this endpoint is in region '" + opt.region + "'");
  }
  auto t = ParseAmzDate(p.amz_date);
  if (!t) {
    return Error::Unauthorized("X-Amz-Date '" + Printable(p.amz_date) +
                               "' is malformed: expected yyyymmddThhmmssZ");
  }
  if (p.amz_date.compare(0, 8, p.date8) != 0) {
    return Error::Unauthorized("credential scope date " + p.date8 +
                               " does not match X-Amz-Date " + p.amz_date);
  }
  Millis skew = *t - now;
  if (skew > opt.max_skew_ms || (!p.presigned && -skew > opt.max_skew_ms)) {
    return Error::Forbidden("request time " + p.amz_date + " is " +
                            Seconds(skew > 0 ? skew : -skew) +
                            (skew > 0 ? " ahead of" : " behind") + " the server time " +
                            FormatAmzDate(now) + " (allowed skew " + Seconds(opt.max_skew_ms) +
                            ")");
  }
  if (p.presigned) {
    Millis expiry = *t + static_cast<Millis>(p.expires_seconds) * 1000;
    if (now > expiry) {
      return Error::Forbidden("presigned URL expired " + Seconds(now - expiry) + " ago (signed at " +
                              p.amz_date + ", valid for " + std::to_string(p.expires_seconds) +
                              " s)");
    }
  }

  // 3. Signed header set.
  auto signs = [&](std::string_view n) {
    return std::find(p.signed_headers.begin(), p.signed_headers.end(), n) != p.signed_headers.end();
  };
  if (!signs("host")) return Error::Unauthorized("SignedHeaders must include 'host'");
  if (!p.presigned && !signs("x-amz-date")) {
    return Error::Unauthorized("SignedHeaders must include 'x-amz-date'");
  }

  // 4. The key and its session token.
  if (!lookup) return Error::Internal("no secret lookup configured");
  auto secret = lookup(p.access_key);
  if (!secret.ok()) {
    Error e = secret.take_error();
    if (e.code == ErrorCode::kNotFound) e.code = ErrorCode::kUnauthorized;
    return e;
  }
  const SecretLookupResult& s = secret.value();
  if (!s.session_token.empty() && !p.has_token) {
    return Error::Forbidden("missing X-Amz-Security-Token: these credentials need their session token");
  }
  if (p.has_token && !ConstantTimeEquals(p.token, s.session_token)) {
    return Error::Forbidden("the security token included in the request is invalid for access key " +
                            Printable(p.access_key));
  }

  // 5. The payload hash. A declared x-amz-content-sha256 must be the body's hex SHA-256: marker
  // values (UNSIGNED-PAYLOAD, STREAMING-...) are refused, since every API here is JSON and signs
  // its body, so a signed request's body cannot be swapped. A presigned URL (no header) may leave
  // the payload unsigned only when there is no body at all.
  std::vector<std::string_view> payload_hashes;
  // Most signed requests here (status reads) have no body: its hash is a constant.
  static const std::string kEmptyBodyHash = Sha256Hex("");
  const std::string body_hash = req.body.empty() ? kEmptyBodyHash : Sha256Hex(req.body);
  auto content_sha = HeaderValues(req.headers, kHeaderSha256);
  if (content_sha.size() > 1) return Error::Forbidden("x-amz-content-sha256 appears more than once");
  if (!content_sha.empty()) {
    std::string_view declared = Trim(content_sha[0]);
    if (!IsLowerHex(declared, 64)) {
      return Error::Forbidden("x-amz-content-sha256 '" + Printable(declared, 64) +
                              "' is not accepted: it must be the lowercase hex SHA-256 of the body "
                              "(unsigned and streaming payloads are refused)");
    }
    if (declared != body_hash) {
      return Error::Forbidden("x-amz-content-sha256 does not match the body");
    }
    payload_hashes.push_back(declared);
  } else {
    payload_hashes.push_back(body_hash);
    if (p.presigned && req.body.empty()) payload_hashes.emplace_back(kUnsignedPayload);
  }

  // 6. The signature.
  MUSTER_ASSIGN_OR_RETURN(std::string canonical_headers,
                          CanonicalHeaders(req.headers, p.signed_headers));
  std::string canonical_uri = CanonicalUri(req.path);
  std::string canonical_query = CanonicalQuery(query, true);
  std::string scope = CredentialScope(p.date8, p.region, p.service);
  const std::string& key = CachedSigningKey(p.access_key, s.secret_access_key, p.date8, p.region, p.service);
  bool match = false;
  for (std::string_view ph : payload_hashes) {
    std::string creq = CanonicalRequest(req.method, canonical_uri, canonical_query,
                                        canonical_headers, p.signed_headers_raw, ph);
    std::string expected = Hex(HmacSha256(key, StringToSign(p.amz_date, scope, creq)));
    match = ConstantTimeEquals(expected, p.signature) || match;
  }
  if (!match) {
    // Headers and query values are left out of the message: they may hold the session token.
    return Error::Forbidden(
        "signature does not match: check the secret key and the signing method (canonical URI '" +
        Printable(canonical_uri, 512) + "', signed headers '" + Printable(p.signed_headers_raw, 512) +
        "', service '" + p.service + "', region '" + p.region + "')");
  }
  const Millis valid_until = p.presigned ? *t + static_cast<Millis>(p.expires_seconds) * 1000 : *t + opt.max_skew_ms;
  return VerifiedIdentity{p.access_key, p.token, p.region, *t, p.signature,
                          p.presigned ? static_cast<int>(p.expires_seconds) : 0, valid_until};
}

}  // namespace muster::auth
