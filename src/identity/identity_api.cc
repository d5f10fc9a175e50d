#include "identity/identity_api.h"

namespace muster::identity {

namespace {

JsonApiResponse Ok(const json::object& o) { return {200, ToJson(o)}; }

JsonApiResponse Fail(std::string_view type, std::string message, int status = 400) {
  json::object o{{"__type", type}, {"message", std::move(message)}};
  return {status, ToJson(o)};
}

// Reads Logins: an object of provider name -> token strings.
const json::object* ReadLogins(JsonObjectReader& r) {
  const json::object* logins = r.Object("Logins");
  if (!logins) return nullptr;
  for (const auto& kv : *logins) {
    if (!kv.value().is_string()) {
      r.Fail("Logins", "the token of provider '" + std::string(kv.key()) + "' must be a string");
      return nullptr;
    }
  }
  return logins;
}

}  // namespace

JsonApiResponse IdentityErrorResponse(const Error& e) {
  switch (e.code) {
    case ErrorCode::kNotFound: return Fail("ResourceNotFoundException", e.message);
    case ErrorCode::kUnauthorized:
    case ErrorCode::kForbidden: return Fail("NotAuthorizedException", e.message);
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kTooLarge: return Fail("InvalidParameterException", e.message);
    case ErrorCode::kLimitExceeded: return Fail("TooManyRequestsException", e.message, 429);
    case ErrorCode::kConflict: return Fail("ResourceConflictException", e.message);
    case ErrorCode::kUnavailable:
    case ErrorCode::kInternal: break;
  }
  return Fail("InternalErrorException", e.message, 500);
}

JsonApiResponse HandleIdentityApi(IdentityService& service, std::string_view op,
                                  std::string_view body) {
  if (op.starts_with(kIdentityTargetPrefix)) op.remove_prefix(kIdentityTargetPrefix.size());
  if (op != "GetId" && op != "GetCredentialsForIdentity" && op != "GetOpenIdToken") {
    return Fail("UnknownOperationException",
                "unknown operation '" + std::string(op) +
                    "': supported are GetId, GetCredentialsForIdentity, GetOpenIdToken");
  }
  JsonLimits limits;
  limits.max_bytes = 16 * 1024;
  limits.max_depth = 8;
  auto parsed = ParseJson(body.empty() ? std::string_view("{}") : body, limits);
  if (!parsed.ok()) {
    return Fail("InvalidParameterException", "malformed JSON body: " + parsed.error().message);
  }
  JsonObjectReader r(*parsed, "");
  if (!r.is_object()) return Fail("InvalidParameterException", "the body must be a JSON object");

  if (op == "GetId") {
    auto pool = r.String("IdentityPoolId", true, 55);
    r.String("AccountId", false, 15);
    const json::object* logins = ReadLogins(r);
    if (auto st = r.Finish(); !st.ok()) return IdentityErrorResponse(st.error());
    auto id = service.GetId(*pool, logins);
    if (!id.ok()) return IdentityErrorResponse(id.error());
    return Ok({{"IdentityId", *id}});
  }

  auto identity = r.String("IdentityId", true, 55);
  const json::object* logins = ReadLogins(r);
  if (op == "GetCredentialsForIdentity") {
    r.String("CustomRoleArn", false, 2048);
    if (auto st = r.Finish(); !st.ok()) return IdentityErrorResponse(st.error());
    auto c = service.GetCredentialsForIdentity(*identity, logins);
    if (!c.ok()) return IdentityErrorResponse(c.error());
    json::object creds{{"AccessKeyId", c->access_key_id},
                       {"SecretKey", c->secret_key},
                       {"SessionToken", c->session_token},
                       {"Expiration", c->expiration / 1000}};
    return Ok({{"IdentityId", c->identity_id}, {"Credentials", std::move(creds)}});
  }
  if (auto st = r.Finish(); !st.ok()) return IdentityErrorResponse(st.error());
  auto token = service.GetOpenIdToken(*identity, logins);
  if (!token.ok()) return IdentityErrorResponse(token.error());
  return Ok({{"IdentityId", std::string(*identity)}, {"Token", *token}});
}

IdentityApi::IdentityApi(IdentityService& service, const Clock& clock, IdentityApiLimits limits)
    : service_(service),
      clock_(clock),
      identities_(limits.identities),
      credentials_(limits.credentials) {}

JsonApiResponse IdentityApi::Handle(std::string_view op, std::string_view body,
                                    std::string_view client) {
  std::string_view name = op;
  if (name.starts_with(kIdentityTargetPrefix)) name.remove_prefix(kIdentityTargetPrefix.size());
  RateLimiter* limiter = name == "GetId" ? &identities_
                         : (name == "GetCredentialsForIdentity" || name == "GetOpenIdToken")
                             ? &credentials_
                             : nullptr;
  if (limiter) {
    const std::string key = ClientKey(client);
    const Millis now = clock_.NowMillis();
    if (!limiter->Allow(key, now)) {
      return IdentityErrorResponse(Error::LimitExceeded(
          std::string(name == "GetId" ? "too many identities created" : "too many credentials issued") +
          " from your address; retry in " + std::to_string(limiter->RetryAfterSeconds(key, now)) +
          " s"));
    }
  }
  return HandleIdentityApi(service_, op, body);
}

}  // namespace muster::identity
