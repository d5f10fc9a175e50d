#include "daemon/fd_budget.h"

#include <sys/resource.h>

#include <algorithm>
#include <limits>

namespace muster::daemon {

ConnectionBudget FitConnections(std::size_t open_file_limit, std::size_t reserve,
                                std::size_t listeners, std::size_t requested) {
  ConnectionBudget b;
  if (listeners == 0) return b;
  std::size_t usable = open_file_limit > reserve ? open_file_limit - reserve : 0;
  std::size_t fit = usable / listeners;
  b.per_listener = std::min(requested, fit);
  b.reduced = b.per_listener < requested;
  return b;
}

std::size_t RaiseOpenFileLimit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
  }
  if (rl.rlim_cur == RLIM_INFINITY) return std::numeric_limits<std::size_t>::max();
  return static_cast<std::size_t>(rl.rlim_cur);
}

}  // namespace muster::daemon
