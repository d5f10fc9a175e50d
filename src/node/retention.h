#pragma once
// Retention: what has ended is deleted from the store once it is old enough, so that a node that
// runs for months holds what is live plus a bounded window of history, not everything it ever
// did. Per kind (docs/configuration.md, "Retention"):
//   tickets        COMPLETED, FAILED, CANCELLED, TIMED_OUT      ticket_ms after they ended
//   game sessions  TERMINATED, ERROR                            session_ms
//   player sessions COMPLETED, TIMEDOUT                         session_ms
//   placements     FULFILLED, CANCELLED, TIMED_OUT, FAILED      session_ms
//   processes      TERMINATED                                   process_ms
//   credentials    every row issued longer ago than the longest credential lifetime (they have
//                  all expired)
// Outbox events are trimmed by the dispatcher (dispatcher.h), once every durable subscriber read
// them.
// "Ended" is the row's `updated` time: the last write of a row in a terminal status is the one
// that ended it. Zero for a kind keeps it forever.
//
// Each Run deletes at most `batch` rows per kind and status, so one run is short; call it again
// soon when it reports a full batch.
//
// Thread safety: none; call from one thread (the daemon's loop). The store serialises.

#include <cstddef>

#include "common/clock.h"
#include "common/result.h"
#include "store/store.h"

namespace muster::node {

struct RetentionOptions {
  Millis ticket_ms = 24LL * 3600 * 1000;
  Millis session_ms = 30LL * 24 * 3600 * 1000;  // the managed service keeps ended sessions 30 days
  Millis process_ms = 24LL * 3600 * 1000;
  Millis credential_lifetime_ms = 3600LL * 1000;  // identity::kMaxCredentialsTtlMs
  std::size_t batch = 1000;
};

struct RetentionReport {
  std::size_t rows = 0;     // rows deleted
  bool more = false;        // a batch was full: run again soon
};

class Retention {
 public:
  Retention(store::Store& store, const Clock& clock, RetentionOptions options);
  Result<RetentionReport> Run();

 private:
  store::Store& store_;
  const Clock& clock_;
  RetentionOptions options_;
};

}  // namespace muster::node
