#include "sdk/client/backoff.h"

#include <algorithm>

namespace muster::client {

Millis Backoff::Next() {
  double d = static_cast<double>(p_.initial_ms);
  for (int i = 0; i < attempt_ && d < static_cast<double>(p_.max_ms); ++i) d *= p_.factor;
  ++attempt_;
  return std::clamp<Millis>(static_cast<Millis>(d), 0, p_.max_ms);
}

}  // namespace muster::client
