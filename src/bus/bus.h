#pragma once
// The in-process event bus: cores publish notices (placement fulfilled, ticket succeeded, ...),
// subscribers react and may return further effects, which are published in turn. The shell runs
// a whole cascade on its loop thread and commits every write it produced in one transaction, so
// a crash never leaves half of a cascade in the store (e.g. a placement FULFILLED whose tickets
// are still PLACING).
//
// With several nodes, notices also travel through the store's outbox (a later PostgreSQL bus);
// subscribers must therefore be idempotent.
//
// Thread safety: none; one owner thread.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/effects.h"

namespace muster::bus {

class Bus {
 public:
  using Handler = std::function<core::Effects(const core::Notice&)>;

  void Subscribe(const std::string& topic, Handler handler);

  // Delivers every notice of `fx` (and those its handlers produce, breadth first) to the
  // subscribers of its topic. Returns `fx` with all handler effects appended; its `notices`
  // then list every notice that was delivered, in delivery order.
  core::Effects Cascade(core::Effects fx);

 private:
  std::map<std::string, std::vector<Handler>> handlers_;
};

}  // namespace muster::bus
