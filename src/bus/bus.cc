#include "bus/bus.h"

namespace muster::bus {

void Bus::Subscribe(const std::string& topic, Handler handler) {
  handlers_[topic].push_back(std::move(handler));
}

core::Effects Bus::Cascade(core::Effects fx) {
  // Guards against a subscriber loop: a real cascade is a handful of steps.
  constexpr std::size_t kMaxNotices = 100000;
  for (std::size_t i = 0; i < fx.notices.size() && i < kMaxNotices; ++i) {
    auto it = handlers_.find(core::TopicOf(fx.notices[i]));
    if (it == handlers_.end()) continue;
    for (auto& h : it->second) {
      core::Effects more = h(fx.notices[i]);
      fx.Append(std::move(more));  // may reallocate notices: index, not reference, above
    }
  }
  return fx;
}

}  // namespace muster::bus
