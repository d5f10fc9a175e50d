// SigV4 verification of a client's signed GET /requestmatchstatus (header form, session token,
// x-amz-content-sha256), as the status route does it for every poll.
#include <benchmark/benchmark.h>

#include "auth/sigv4.h"

namespace {

using muster::auth::SignableRequest;

constexpr muster::Millis kNow = 1'780'000'000'000;

struct Fixture {
  SignableRequest req;
  muster::auth::SecretLookup lookup;
  Fixture() {
    muster::auth::Credentials c{"ASIAEXAMPLE7EXAMPLE7", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                std::string(220, 'T')};
    req = {"GET", "/requestmatchstatus", "ticketId=0190a1b2-0000-7000-8000-000000000000",
           {{"host", "127.0.0.1:8080"}, {"user-agent", "wrk"}}, ""};
    muster::auth::SignRequest(req, c, "local", "execute-api", kNow, /*add_content_sha256=*/true);
    for (auto& [k, v] : req.headers) {
      for (auto& ch : k) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    lookup = [c](std::string_view) -> muster::Result<muster::auth::SecretLookupResult> {
      return muster::auth::SecretLookupResult{c.secret_access_key, c.session_token};
    };
  }
};

void BM_VerifyStatusRequest(benchmark::State& state) {
  Fixture f;
  muster::auth::VerifyOptions opt{"execute-api", "local", 5 * 60 * 1000};
  for (auto _ : state) {
    auto v = muster::auth::VerifyRequest(f.req, f.lookup, opt, kNow);
    if (!v.ok()) state.SkipWithError(v.error().message.c_str());
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_VerifyStatusRequest);

}  // namespace

BENCHMARK_MAIN();
