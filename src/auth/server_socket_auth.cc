#include "auth/server_socket_auth.h"

#include <optional>

#include "auth/canonical.h"
#include "common/crypto.h"
#include "common/time_util.h"

namespace muster::auth {

namespace {

constexpr std::string_view kGameLiftService = "gamelift";

// Decodes until no escape is left that a second encoding pass would have produced.
std::string LenientDecode(std::string_view v) {
  std::string out = PercentDecode(v);
  for (int i = 0; i < 2 && out.find('%') != std::string::npos; ++i) {
    std::string again = PercentDecode(out);
    if (again == out) break;
    // Only decode again when the first pass left %XX escapes of reserved characters.
    if (out.find("%2F") == std::string::npos && out.find("%2f") == std::string::npos &&
        out.find("%2B") == std::string::npos && out.find("%3D") == std::string::npos &&
        out.find("%25") == std::string::npos) {
      break;
    }
    out = std::move(again);
  }
  return out;
}

std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) {
    auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7F ? c : '?');
  }
  return out;
}

}  // namespace

std::string ServerSocketCanonicalString(const ServerSocketIds& ids) {
  // Sorted by raw name: "ComputeId" < "FleetId" < "pID" (upper case sorts first).
  return "ComputeId=" + UriEncode(ids.compute_id) + "&FleetId=" + UriEncode(ids.fleet_id) +
         "&pID=" + UriEncode(ids.process_id);
}

std::vector<std::pair<std::string, std::string>> SignServerSocketConnect(
    const ServerSocketIds& ids, const Credentials& c, std::string_view region, Millis now) {
  std::string amz_date = FormatAmzDate(now);
  std::string date8 = amz_date.substr(0, 8);
  std::string scope = CredentialScope(date8, region, kGameLiftService);
  std::string sts = std::string(kAlgorithm) + "\n" + amz_date + "\n" + scope + "\n" +
                    Sha256Hex(ServerSocketCanonicalString(ids));
  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back("Authorization", "SigV4");
  out.emplace_back("X-Amz-Algorithm", std::string(kAlgorithm));
  out.emplace_back("X-Amz-Credential", c.access_key_id + "/" + scope);
  out.emplace_back("X-Amz-Date", amz_date);
  if (!c.session_token.empty()) out.emplace_back("X-Amz-Security-Token", c.session_token);
  out.emplace_back("X-Amz-Signature",
                   ComputeSignature(c.secret_access_key, date8, region, kGameLiftService, sts));
  return out;
}

Result<VerifiedIdentity> VerifyServerSocketConnect(std::string_view raw_query,
                                                   const SecretLookup& lookup,
                                                   const VerifyOptions& opt, Millis now) {
  std::vector<std::pair<std::string, std::string>> raw_pairs;
  {
    std::size_t pos = 0;
    while (pos <= raw_query.size()) {
      std::size_t amp = raw_query.find('&', pos);
      if (amp == std::string_view::npos) amp = raw_query.size();
      std::string_view piece = raw_query.substr(pos, amp - pos);
      pos = amp + 1;
      if (piece.empty()) continue;
      std::size_t eq = piece.find('=');
      std::string_view k = piece.substr(0, eq);
      std::string_view v = eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
      raw_pairs.emplace_back(PercentDecode(k), LenientDecode(v));
    }
  }
  auto get = [&](std::string_view name) -> Result<std::optional<std::string>> {
    std::optional<std::string> found;
    for (const auto& [k, v] : raw_pairs) {
      if (k != name) continue;
      if (found) return Error::Unauthorized(std::string(name) + " appears more than once");
      found = v;
    }
    return found;
  };
  MUSTER_ASSIGN_OR_RETURN(auto algorithm, get("X-Amz-Algorithm"));
  MUSTER_ASSIGN_OR_RETURN(auto credential, get("X-Amz-Credential"));
  MUSTER_ASSIGN_OR_RETURN(auto date, get("X-Amz-Date"));
  MUSTER_ASSIGN_OR_RETURN(auto signature, get("X-Amz-Signature"));
  MUSTER_ASSIGN_OR_RETURN(auto token, get("X-Amz-Security-Token"));
  MUSTER_ASSIGN_OR_RETURN(auto compute, get("ComputeId"));
  MUSTER_ASSIGN_OR_RETURN(auto fleet, get("FleetId"));
  MUSTER_ASSIGN_OR_RETURN(auto pid, get("pID"));
  if (!signature && !algorithm && !credential) {
    return Error::Unauthorized("no signature: the connect request has no X-Amz-Signature");
  }
  if (!algorithm) return Error::Unauthorized("missing X-Amz-Algorithm query parameter");
  if (*algorithm != kAlgorithm) {
    return Error::Unauthorized("unsupported algorithm '" + Printable(*algorithm) +
                               "'; expected AWS4-HMAC-SHA256");
  }
  if (!credential) return Error::Unauthorized("missing X-Amz-Credential query parameter");
  if (!signature) return Error::Unauthorized("missing X-Amz-Signature query parameter");
  if (!compute || !fleet || !pid) {
    return Error::Unauthorized("the signed connect request needs ComputeId, FleetId and pID");
  }
  // The same checks as VerifyRequest's presigned form, in the same order and wording; only the
  // string signed differs.
  std::vector<std::string_view> parts;
  {
    std::string_view c = *credential;
    std::size_t pos = 0;
    while (parts.size() < 6) {
      std::size_t slash = c.find('/', pos);
      parts.push_back(c.substr(pos, slash == std::string_view::npos ? c.npos : slash - pos));
      if (slash == std::string_view::npos) break;
      pos = slash + 1;
    }
  }
  bool date_ok = parts.size() == 5 && parts[1].size() == 8 &&
                 parts[1].find_first_not_of("0123456789") == std::string_view::npos;
  if (parts.size() != 5 || parts[0].empty() || !date_ok || parts[2].empty() ||
      parts[4] != "aws4_request") {
    return Error::Unauthorized(
        "credential scope malformed: expected <AccessKeyId>/<yyyymmdd>/<region>/gamelift/"
        "aws4_request, got '" + Printable(*credential) + "'");
  }
  std::string service(parts[3]);
  std::string expected_service = opt.service.empty() ? std::string(kGameLiftService) : opt.service;
  if (service != expected_service) {
    return Error::Unauthorized("credential scope has service '" + Printable(service) +
                               "' but this endpoint expects '" + expected_service + "'");
  }
  std::string region(parts[2]);
  if (!opt.region.empty() && region != opt.region) {
    return Error::Unauthorized("credential scope has region '" + Printable(region) +
                               "' but this endpoint is in region '" + opt.region + "'");
  }
  if (!date) return Error::Unauthorized("X-Amz-Date query parameter is missing");
  auto t = ParseAmzDate(*date);
  if (!t) {
    return Error::Unauthorized("X-Amz-Date '" + Printable(*date) +
                               "' is malformed: expected yyyymmddThhmmssZ");
  }
  if (date->compare(0, 8, parts[1]) != 0) {
    return Error::Unauthorized("credential scope date " + std::string(parts[1]) +
                               " does not match X-Amz-Date " + *date);
  }
  Millis skew = *t - now;
  Millis abs_skew = skew < 0 ? -skew : skew;
  if (abs_skew > opt.max_skew_ms) {
    return Error::Forbidden("request time " + *date + " is " + std::to_string((abs_skew + 999) / 1000) +
                            " s" + (skew > 0 ? " ahead of" : " behind") + " the server time " +
                            FormatAmzDate(now) + " (allowed skew " +
                            std::to_string(opt.max_skew_ms / 1000) + " s)");
  }
  std::string access_key(parts[0]);
  if (!lookup) return Error::Internal("no secret lookup configured");
  auto secret = lookup(access_key);
  if (!secret.ok()) {
    Error e = secret.take_error();
    if (e.code == ErrorCode::kNotFound) e.code = ErrorCode::kUnauthorized;
    return e;
  }
  std::string given_token = token.value_or("");
  if (!secret->session_token.empty() && !token) {
    return Error::Forbidden("missing X-Amz-Security-Token: these credentials need their session token");
  }
  if (token && !ConstantTimeEquals(given_token, secret->session_token)) {
    return Error::Forbidden("the security token included in the request is invalid for access key " +
                            Printable(access_key));
  }
  ServerSocketIds ids{*compute, *fleet, *pid};
  std::string scope = CredentialScope(parts[1], region, service);
  std::string sts = std::string(kAlgorithm) + "\n" + *date + "\n" + scope + "\n" +
                    Sha256Hex(ServerSocketCanonicalString(ids));
  std::string expected =
      ComputeSignature(secret->secret_access_key, parts[1], region, service, sts);
  if (!ConstantTimeEquals(expected, *signature)) {
    return Error::Forbidden(
        "signature does not match: the server socket signs the sorted, URI-encoded "
        "ComputeId/FleetId/pID query string");
  }
  return VerifiedIdentity{access_key, given_token, region, *t};
}

}  // namespace muster::auth
