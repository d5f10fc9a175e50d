#pragma once
// What a deterministic core may take from the world besides its commands: the time and random
// bytes (for ids). The daemon passes the system clock and the operating system's generator;
// tests, the simulator and replays pass a ManualClock and a SeededRandom, so that the same input
// gives byte-identical ids, store rows and events.
//
// Thread safety: SystemRandom is safe from any thread. SeededRandom belongs to one thread (the
// owner of the core it feeds). An Env only refers to its clock and generator: whoever builds it
// keeps both alive for as long as the cores using it.

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/clock.h"
#include "common/xoshiro.h"

namespace muster {

class Random {
 public:
  virtual ~Random() = default;
  virtual void Fill(unsigned char* out, std::size_t n) = 0;

  std::string Bytes(std::size_t n);
  // A version-4 UUID, 8-4-4-4-12 lowercase hex.
  std::string Uuid4();
  // A version-7 UUID (RFC 9562): the first 48 bits are `unix_ms`, the other 74 free bits random.
  // Ids made in time order land next to each other in the store's B-trees, so a group commit of
  // many new rows dirties a few pages instead of one page per row. For row ids that are not
  // secrets (their creation time is public anyway).
  std::string Uuid7(Millis unix_ms);
};

// OpenSSL's generator (RAND_bytes, drawn 4 KiB at a time per thread; a forked child never hands
// out its parent's bytes): for the daemon, and for every secret. Safe from any thread.
class SystemRandom final : public Random {
 public:
  void Fill(unsigned char* out, std::size_t n) override;
  static SystemRandom& Instance();
};

// A reproducible byte stream (xoshiro256**, seeded through splitmix64): the same seed gives the
// same bytes however they are asked for. Fast; never for secrets.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(std::uint64_t seed);
  void Fill(unsigned char* out, std::size_t n) override;

 private:
  Xoshiro256 generator_;
  std::uint64_t spare_ = 0;  // bytes of the last word not handed out yet, lowest first
  int spare_bytes_ = 0;
};

struct Env {
  const Clock& clock;
  Random& random;

  Millis Now() const { return clock.NowMillis(); }
  // The daemon's: SystemClock and SystemRandom.
  static Env System();
};

}  // namespace muster
