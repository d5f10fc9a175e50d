#pragma once
// What a deterministic core decided, for the shell around it to carry out in this order:
//   1. commit `writes` and `events` to the store in one transaction (nothing is announced before
//      it is durable);
//   2. send `pushes` to game server processes;
//   3. deliver `notices` (typed events, core/events.h) to the other cores through the bus.
// Cores never do I/O themselves; they only fill an Effects.
//
// Thread safety: a plain value.

#include <string>
#include <vector>

#include "core/events.h"
#include "store/store.h"

namespace muster::core {

// A message for one game server process, already encoded as a server socket frame.
struct Push {
  std::string process_key;
  std::string frame;
};

struct Effects {
  std::vector<store::Write> writes;
  std::vector<store::EventAppend> events;
  std::vector<Push> pushes;
  std::vector<Notice> notices;

  void Append(Effects&& other) {
    for (auto& w : other.writes) writes.push_back(std::move(w));
    for (auto& e : other.events) events.push_back(std::move(e));
    for (auto& p : other.pushes) pushes.push_back(std::move(p));
    for (auto& n : other.notices) notices.push_back(std::move(n));
  }
  bool empty() const { return writes.empty() && events.empty() && pushes.empty() && notices.empty(); }
};

}  // namespace muster::core
