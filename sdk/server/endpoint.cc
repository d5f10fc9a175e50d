#include "sdk/server/endpoint.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <cstdlib>
#include <map>

#include "common/crypto.h"

namespace muster::sdk {
namespace {

// RFC 3986 percent-encoding of everything but the unreserved characters.
std::string UriEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string Query(const std::map<std::string, std::string>& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += UriEncode(k) + "=" + UriEncode(v);
  }
  return out;
}

// The GameLift server SDK's SigV4 variant: the signed string is the sorted, encoded query of
// only ComputeId, FleetId and pID.
void AddSigV4(const ServerParameters& p, std::string_view amz_date,
              std::map<std::string, std::string>& q) {
  std::string date(amz_date.substr(0, 8));
  std::string scope = date + "/" + p.aws_region + "/gamelift/aws4_request";
  std::string canonical = Query({{"ComputeId", p.host_id}, {"FleetId", p.fleet_id}, {"pID", p.process_id}});
  std::string to_sign = "AWS4-HMAC-SHA256\n" + std::string(amz_date) + "\n" + scope + "\n" +
                        Sha256Hex(canonical);
  std::string key = HmacSha256("AWS4" + p.secret_key, date);
  key = HmacSha256(key, p.aws_region);
  key = HmacSha256(key, "gamelift");
  key = HmacSha256(key, "aws4_request");
  q["Authorization"] = "SigV4";
  q["X-Amz-Algorithm"] = "AWS4-HMAC-SHA256";
  q["X-Amz-Credential"] = p.access_key + "/" + scope;
  q["X-Amz-Date"] = std::string(amz_date);
  if (!p.session_token.empty()) q["X-Amz-Security-Token"] = p.session_token;
  q["X-Amz-Signature"] = Hex(HmacSha256(key, to_sign));
}

}  // namespace

Result<Endpoint> BuildEndpoint(const ServerParameters& params, std::string_view idempotency_token,
                               std::string_view sdk_version, std::string_view now_amz_date) {
  auto parsed = boost::urls::parse_uri(params.web_socket_url);
  if (!parsed) {
    return Error::InvalidArgument("web socket url \"" + params.web_socket_url + "\" is not a valid URL");
  }
  boost::urls::url_view u = *parsed;
  Endpoint e;
  std::string scheme(u.scheme());
  if (scheme == "wss") {
    e.tls = true;
  } else if (scheme != "ws") {
    return Error::InvalidArgument("web socket url must start with ws:// or wss://");
  }
  e.host = u.host_address();
  if (e.host.empty()) return Error::InvalidArgument("web socket url has no host");
  e.port = u.has_port() ? std::string(u.port()) : (e.tls ? "443" : "80");
  if (params.fleet_id.empty()) return Error::InvalidArgument("fleet id is required");
  if (params.host_id.empty()) return Error::InvalidArgument("host id (compute id) is required");
  if (params.process_id.empty()) return Error::InvalidArgument("process id is required");
  std::map<std::string, std::string> q = {
      {"ComputeId", params.host_id},          {"FleetId", params.fleet_id},
      {"IdempotencyToken", std::string(idempotency_token)}, {"pID", params.process_id},
      {"sdkLanguage", "Cpp"},                 {"sdkVersion", std::string(sdk_version)}};
  if (!params.auth_token.empty()) {
    q["Authorization"] = params.auth_token;
  } else if (!params.access_key.empty() && !params.secret_key.empty() && !params.aws_region.empty()) {
    AddSigV4(params, now_amz_date, q);
  } else {
    return Error::InvalidArgument("an auth token, or a region with access and secret keys, is required");
  }
  std::string path(u.encoded_path());
  if (path.empty() || path.back() != '/') path += '/';
  e.target = path + "?";
  if (u.has_query() && !u.encoded_query().empty()) {
    e.target += std::string(u.encoded_query()) + "&";
  }
  e.target += Query(q);
  return e;
}

ServerParameters ApplyEnvironment(ServerParameters p, const char* (*getenv_fn)(const char*)) {
  auto get = [&](const char* name, std::string& field) {
    const char* v = getenv_fn ? getenv_fn(name) : std::getenv(name);
    if (v && *v) field = v;
  };
  get("GAMELIFT_SDK_WEBSOCKET_URL", p.web_socket_url);
  get("GAMELIFT_SDK_FLEET_ID", p.fleet_id);
  get("GAMELIFT_SDK_HOST_ID", p.host_id);
  get("GAMELIFT_SDK_PROCESS_ID", p.process_id);
  get("GAMELIFT_SDK_AUTH_TOKEN", p.auth_token);
  get("GAMELIFT_REGION", p.aws_region);
  get("GAMELIFT_ACCESS_KEY", p.access_key);
  get("GAMELIFT_SECRET_KEY", p.secret_key);
  get("GAMELIFT_SESSION_TOKEN", p.session_token);
  return p;
}

}  // namespace muster::sdk
