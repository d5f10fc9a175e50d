#pragma once
// What a deterministic core decided, for the shell around it to carry out in this order:
//   1. commit `writes` and `events` to the store in one transaction (nothing is announced before
//      it is durable);
//   2. send `pushes` to game server processes;
//   3. deliver `notices` (typed events, core/events.h) to the other cores through the bus.
// Cores never do I/O themselves; they only fill an Effects.
//
// Thread safety: a plain value.

#include <iterator>
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
 private:
  // Moves `from` to the end of `to` (taken whole when `to` is empty).
  template <class T>
  static void MoveInto(std::vector<T>& to, std::vector<T>& from) {
    if (to.empty()) {
      to.swap(from);
      return;
    }
    to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
  }

 public:
  std::vector<store::Write> writes;
  std::vector<store::EventAppend> events;
  std::vector<Push> pushes;
  std::vector<Notice> notices;

  void Append(Effects&& other) {
    MoveInto(writes, other.writes);
    MoveInto(events, other.events);
    MoveInto(pushes, other.pushes);
    MoveInto(notices, other.notices);
  }
  bool empty() const { return writes.empty() && events.empty() && pushes.empty() && notices.empty(); }
};

}  // namespace muster::core
