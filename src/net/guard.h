#pragma once
// Internal to muster_net: completion handlers that cannot let an exception escape into the event
// loop. GuardedHandler(self, what, f) calls f with the completion's arguments; if f throws, the
// connection `self` is told through self->OnException(what, reason) (it logs and closes itself)
// and the loop carries on with every other connection.
//
// The wrapper keeps `self` alive until the handler has run, like the usual
// `[self = shared_from_this()]` capture it replaces.
//
// Thread safety: as the handler it wraps (it runs on the connection's executor).

#include <exception>
#include <memory>
#include <utility>

#include "common/log.h"

namespace muster::net::internal {

template <class Session, class F>
auto GuardedHandler(std::shared_ptr<Session> self, const char* what, F&& f) {
  return [self = std::move(self), what, f = std::forward<F>(f)](auto&&... args) mutable {
    try {
      f(std::forward<decltype(args)>(args)...);
    } catch (const std::exception& e) {
      self->OnException(what, e.what());
    } catch (...) {
      self->OnException(what, "an exception of unknown type");
    }
  };
}

// Runs an application callback of a WebSocket connection (on_open, on_message, on_close): an
// exception from it is logged and ends only that callback, not the connection.
template <class F>
void CallApplication(const char* what, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    MLOG(kError) << "net: websocket " << what << " threw: " << e.what();
  } catch (...) {
    MLOG(kError) << "net: websocket " << what << " threw an exception of unknown type";
  }
}

}  // namespace muster::net::internal
