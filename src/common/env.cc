#include "common/env.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <atomic>
#include <cstring>

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

namespace {

void SystemBytes(unsigned char* out, std::size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) {
    // Running without entropy is not a recoverable condition for a server issuing credentials.
    throw std::runtime_error("RAND_bytes failed");
  }
}

// RAND_bytes costs about 2 µs a call whatever the size (locks, a fork check), and a ticket needs
// several ids. Each thread draws 4 KiB at a time and hands them out; a byte handed out is wiped
// from the buffer at once, so the buffer never holds a byte anyone was given. A forked child
// drops its copy (the parent's unhanded bytes must not be handed out twice).
struct RandomBuffer {
  static constexpr std::size_t kSize = 4096;
  unsigned char bytes[kSize];
  std::size_t next = kSize;  // bytes[next..] not handed out yet
  std::uint64_t generation = 0;
  ~RandomBuffer() { OPENSSL_cleanse(bytes, kSize); }
};

std::atomic<std::uint64_t> fork_generation{0};

RandomBuffer& ThreadBuffer() {
  static const int registered = pthread_atfork(nullptr, nullptr, [] {
    fork_generation.fetch_add(1, std::memory_order_relaxed);
  });
  (void)registered;
  thread_local RandomBuffer buffer;
  return buffer;
}

}  // namespace

void SystemRandom::Fill(unsigned char* out, std::size_t n) {
  if (n > RandomBuffer::kSize / 16) {
    SystemBytes(out, n);
    return;
  }
  RandomBuffer& b = ThreadBuffer();
  const std::uint64_t gen = fork_generation.load(std::memory_order_relaxed);
  if (b.generation != gen) {
    OPENSSL_cleanse(b.bytes, RandomBuffer::kSize);
    b.next = RandomBuffer::kSize;
    b.generation = gen;
  }
  if (RandomBuffer::kSize - b.next < n) {
    SystemBytes(b.bytes, RandomBuffer::kSize);
    b.next = 0;
  }
  std::memcpy(out, b.bytes + b.next, n);
  OPENSSL_cleanse(b.bytes + b.next, n);
  b.next += n;
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
