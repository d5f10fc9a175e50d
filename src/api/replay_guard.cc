#include "api/replay_guard.h"

#include <algorithm>

namespace muster::api {

Status ReplayGuard::Admit(const std::string& signature, Millis valid_until, Millis now) {
  if (signature.empty()) return Error::Internal("no verified signature to record");
  const Millis forget = std::max(valid_until, now) + max_skew_ms_;
  std::lock_guard lock(mu_);
  SweepLocked(now);
  if (until_.count(signature)) {
    return Error::Forbidden("this signature was used already: sign each connection anew (two signed within the same second "
                            "are the same: add a random query parameter, e.g. nonce, before signing)");
  }
  if (until_.size() >= max_entries_) {
    return Error::Unavailable("too many signed connections at once; try again shortly");
  }
  until_.emplace(signature, forget);
  by_time_.emplace(forget, signature);
  return OkStatus();
}

void ReplayGuard::SweepLocked(Millis now) {
  while (!by_time_.empty() && by_time_.begin()->first <= now) {
    until_.erase(by_time_.begin()->second);
    by_time_.erase(by_time_.begin());
  }
}

std::size_t ReplayGuard::size() const {
  std::lock_guard lock(mu_);
  return until_.size();
}

}  // namespace muster::api
