#include "common/env.h"

#include <openssl/rand.h>

#include <stdexcept>

#include "common/crypto.h"

namespace muster {

std::string Random::Bytes(std::size_t n) {
  std::string out(n, '\0');
  Fill(reinterpret_cast<unsigned char*>(out.data()), n);
  return out;
}

std::string Random::Uuid4() {
  std::string b = Bytes(16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);  // variant 10
  std::string h = Hex(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}

std::string Random::Uuid7(Millis unix_ms) {
  std::string b = Bytes(16);
  const auto ms = static_cast<std::uint64_t>(unix_ms < 0 ? 0 : unix_ms);
  for (int i = 0; i < 6; ++i) b[i] = static_cast<char>((ms >> (8 * (5 - i))) & 0xff);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x70);  // version 7
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);  // variant 10
  std::string h = Hex(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}

void SystemRandom::Fill(unsigned char* out, std::size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) {
    // Running without entropy is not a recoverable condition for a server issuing credentials.
    throw std::runtime_error("RAND_bytes failed");
  }
}

SystemRandom& SystemRandom::Instance() {
  static SystemRandom instance;
  return instance;
}

SeededRandom::SeededRandom(std::uint64_t seed) : generator_(seed) {}

void SeededRandom::Fill(unsigned char* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (spare_bytes_ == 0) {
      spare_ = generator_.Next();
      spare_bytes_ = 8;
    }
    out[i] = static_cast<unsigned char>(spare_);
    spare_ >>= 8;
    --spare_bytes_;
  }
}

Env Env::System() { return Env{SystemClock::Instance(), SystemRandom::Instance()}; }

}  // namespace muster
