#pragma once
// Guarded(what, f): runs one step of a job (a timer tick, a posted task, one delivery of a
// completion); an exception is logged with `what` and the job goes on with its next step.
//
// Thread safety: as `f`.

#include <exception>

#include "common/log.h"

namespace muster {

template <class F>
void Guarded(const char* what, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    MLOG(kError) << what << " threw: " << e.what();
  } catch (...) {
    MLOG(kError) << what << " threw a non-standard exception";
  }
}

}  // namespace muster
