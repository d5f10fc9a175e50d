#pragma once
// The polling schedule for the match status: starts at `initial_ms`, grows by `factor` per poll,
// capped at `max_ms`. Deterministic (no jitter) so tests and logs read plainly; a client fleet
// spreads out anyway because tickets start at different times.
//
// Thread safety: a plain value.

#include <cstdint>

#include "common/clock.h"

namespace muster::client {

struct BackoffPolicy {
  Millis initial_ms = 500;
  double factor = 1.5;
  Millis max_ms = 5000;
};

class Backoff {
 public:
  explicit Backoff(BackoffPolicy p = {}) : p_(p) {}
  // The delay before the next poll; advances the schedule.
  Millis Next();
  void Reset() { attempt_ = 0; }
  int attempts() const { return attempt_; }

 private:
  BackoffPolicy p_;
  int attempt_ = 0;
};

}  // namespace muster::client
