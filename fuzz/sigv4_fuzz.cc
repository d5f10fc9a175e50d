// libFuzzer target: arbitrary Authorization headers, query strings, paths and header values fed
// to the SigV4 verifier and the server socket verifier. They must return errors, never crash.
// Input layout: fields separated by '\n': authorization \n query \n path \n x-amz-date \n body.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "auth/canonical.h"
#include "auth/server_socket_auth.h"
#include "auth/sigv4.h"

using namespace muster;
using namespace muster::auth;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> f;
  std::size_t pos = 0;
  while (f.size() < 4) {
    std::size_t nl = in.find('\n', pos);
    if (nl == std::string_view::npos) break;
    f.emplace_back(in.substr(pos, nl - pos));
    pos = nl + 1;
  }
  f.emplace_back(in.substr(pos < in.size() ? pos : in.size()));
  f.resize(5);

  SecretLookup lookup = [](std::string_view ak) -> Result<SecretLookupResult> {
    if (ak.empty() || ak.size() > 64) return Error::Unauthorized("unknown access key id");
    return SecretLookupResult{"secret", ak.front() == 'A' ? "" : "token"};
  };
  SignableRequest r;
  r.method = "GET";
  r.path = f[2].empty() ? "/" : f[2];
  r.query = f[1];
  r.headers = {{"Host", "h"}, {"Authorization", f[0]}, {"X-Amz-Date", f[3]}};
  r.body = f[4];
  VerifyOptions opt{"execute-api", "local"};
  (void)VerifyRequest(r, lookup, opt, 1'700'000'000'000);
  r.headers.erase(r.headers.begin() + 1);  // the presigned form
  (void)VerifyRequest(r, lookup, opt, 1'700'000'000'000);
  (void)VerifyServerSocketConnect(f[1], lookup, {"gamelift", ""}, 1'700'000'000'000);
  (void)CanonicalUri(r.path);
  (void)CanonicalQueryFromRaw(r.query);
  return 0;
}
