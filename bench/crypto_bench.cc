// The primitives every signed request and every new id pays for: HMAC-SHA256 and SHA-256 as
// Muster computes them (a digest fetched once, a context per thread) against OpenSSL 3's one-shot
// calls (which look the algorithm up on every call), and SystemRandom's per-thread buffer against
// a RAND_bytes call per id. Both sides run in the same binary, so one run compares them.
//   build/bench/crypto_bench
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <string>

#include "common/crypto.h"
#include "common/env.h"

namespace {

const std::string kKey(32, 'k');
const std::string kData(300, 'd');  // about a string to sign

void BM_HmacSha256(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(muster::HmacSha256(kKey, kData));
}
BENCHMARK(BM_HmacSha256);

void BM_OpenSslOneShotHmac(benchmark::State& state) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  for (auto _ : state) {
    HMAC(EVP_sha256(), kKey.data(), static_cast<int>(kKey.size()),
         reinterpret_cast<const unsigned char*>(kData.data()), kData.size(), out, &len);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_OpenSslOneShotHmac);

void BM_Sha256(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(muster::Sha256(kData));
}
BENCHMARK(BM_Sha256);

void BM_OpenSslOneShotSha256(benchmark::State& state) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  for (auto _ : state) {
    SHA256(reinterpret_cast<const unsigned char*>(kData.data()), kData.size(), out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_OpenSslOneShotSha256);

void BM_SystemRandom16(benchmark::State& state) {
  unsigned char out[16];
  for (auto _ : state) {
    muster::SystemRandom::Instance().Fill(out, sizeof out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_SystemRandom16);

void BM_RandBytes16(benchmark::State& state) {
  unsigned char out[16];
  for (auto _ : state) {
    RAND_bytes(out, sizeof out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_RandBytes16);

void BM_Uuid4(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(muster::Uuid4());
}
BENCHMARK(BM_Uuid4);

}  // namespace

BENCHMARK_MAIN();
