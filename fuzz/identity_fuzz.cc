// libFuzzer target for the identity API's JSON bodies (GetId, GetCredentialsForIdentity,
// GetOpenIdToken and unknown operations), handled end to end over a real SQLite store: parsing,
// validation, lookups and writes.
//
// Input layout: byte 0 picks the operation; the rest is the request body. Must never crash or
// throw; every answer is a JSON object, and a bad input is a 4xx with a __type, never a 500.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "common/json.h"
#include "fuzz_store.h"
#include "identity/identity_api.h"

namespace {

using namespace muster;  // NOLINT

constexpr std::string_view kOps[] = {"GetId", "GetCredentialsForIdentity", "GetOpenIdToken",
                                     "AWSCognitoIdentityService.GetId", "DeleteIdentities"};
constexpr const char* kPool = "local:00000000-0000-0000-0000-000000000000";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static fuzzing::FuzzStore store("identity");
  static ManualClock clock;
  static std::unique_ptr<identity::IdentityService> service;
  if (store.Tick() || !service) {
    identity::IdentityConfig config;
    config.pools = {{kPool, true}, {"local:11111111-1111-1111-1111-111111111111", false}};
    service = std::make_unique<identity::IdentityService>(*store, clock, config);
    // One identity the fuzzer can reach through the seeds.
    (void)service->GetId(kPool, nullptr);
  }
  if (size < 1) return 0;
  std::string_view op = kOps[data[0] % std::size(kOps)];
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  clock.Advance(1000);
  try {
    identity::JsonApiResponse r = identity::HandleIdentityApi(*service, op, body);
    auto parsed = ParseJson(r.body);
    if (!parsed.ok() || !parsed->is_object()) __builtin_trap();
    if (r.http_status >= 500) __builtin_trap();
    if (r.http_status != 200 && !parsed->as_object().contains("__type")) __builtin_trap();
  } catch (...) {
    __builtin_trap();
  }
  return 0;
}
