#pragma once
// Fitting the listeners' connection caps to the process's open-file limit, so that accepting
// never fails with EMFILE (which would stop every listener, the idle-eviction of each included)
// and the store can always open what it needs.
//
// Thread safety: plain functions; RaiseOpenFileLimit changes the process's limit (call at start).

#include <cstddef>

namespace muster::daemon {

// Descriptors musterd keeps outside its listeners' connections: the store's files, the event
// loop's, the signal pipe, children's pipes, and headroom.
inline constexpr std::size_t kOwnDescriptors = 64;

struct ConnectionBudget {
  std::size_t per_listener = 0;  // max_connections each listener may use
  bool reduced = false;          // below what was asked
};

// `listeners` listeners each asking for `requested` connections, in a process allowed
// `open_file_limit` descriptors of which `reserve` are needed elsewhere.
ConnectionBudget FitConnections(std::size_t open_file_limit, std::size_t reserve,
                                std::size_t listeners, std::size_t requested);

// Raises the soft open-file limit to the hard one; returns the soft limit now in force.
std::size_t RaiseOpenFileLimit();

}  // namespace muster::daemon
