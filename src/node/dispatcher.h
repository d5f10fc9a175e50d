#pragma once
// The dispatcher: the one reader of the store's outbox. It reads the events in seq order, decodes
// each into its typed event (core/event_codec.h) and hands it to every subscriber, then trims
// what every durable subscriber has passed once it is older than the retention window.
//
// Subscribers.
//   Durable: its position (the seq of the last event it handled) is a row of the `cursors` table,
//     written at most every `cursor_interval_ms` and at Stop. After a restart it gets every
//     event after that row, so it may see an event twice (after a crash) but never misses one;
//     handlers must be idempotent. A new durable subscriber starts at the end of the outbox. The
//     outbox is not trimmed past a durable cursor, so a durable subscriber that stops moving holds
//     the outbox: Stats reports the slowest cursor, and the thread logs a warning (at most once a
//     minute) naming a subscriber that is more than `lag_warning` events behind.
//   Recent: in memory only; at start it gets the events of the last `window_ms` (found by time),
//     then everything new. It never holds back trimming. For views such as the client stream.
// Each subscriber gets the raw row and the event decoded on first use (core::LazyNotice): an event
// no subscriber asks for is never parsed (intake's events while no push connection watches).
// An event that does not decode is logged and counted (once a subscriber asked for it);
// subscribers get a null event for it (the event log writes the row as it is, the others skip it).
// A handler that throws is logged; the event counts as handled (the cursor moves past it).
// A durable cursor that points before the oldest event still stored (the subscriber was off for
// longer than the retention window) is reported at Start as a gap, with the number of events
// lost to it.
//
// Latency: Notify() (called when a commit with events completed) wakes the thread, which reads
// at once; with no notification it looks every `poll_ms` (events committed by another process).
//
// Thread rules: Subscribe before Start. Start, Stop and the destructor from the owner's thread.
// Handlers run on the dispatcher's own thread, one event at a time, in seq order; they must not
// block for long (post to a loop instead). Pump, SaveCursors, Trim and Laggards belong to the
// dispatcher's thread (to the caller when started without one). Notify and Stats are safe from
// any thread.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "core/event_codec.h"
#include "core/events.h"
#include "store/store.h"

namespace muster::node {

struct DispatcherOptions {
  Millis retention_ms = 24LL * 3600 * 1000;  // event_retention; 0 keeps events forever
  Millis cursor_interval_ms = 1000;          // how often durable cursors are written
  Millis poll_ms = 1000;                     // read even without Notify
  Millis trim_interval_ms = 60'000;
  std::size_t batch = 1000;                  // events per read, and per trim
  std::int64_t lag_warning = 100'000;        // events a durable cursor may lag before a warning
};

struct DispatcherStats {
  std::int64_t position = 0;     // seq of the last event read
  std::uint64_t delivered = 0;   // events handed to subscribers (each event once)
  std::uint64_t decoded = 0;     // of those, the events a subscriber asked to decode
  std::uint64_t undecodable = 0;
  std::uint64_t trimmed = 0;
  std::uint64_t gaps = 0;        // events durable subscribers missed because they were trimmed
  std::int64_t slowest_cursor = 0;  // lowest durable cursor (what trimming waits for)
};

class Dispatcher {
 public:
  // `event.get()` decodes the row on first use: the event, or null when it does not decode.
  using Handler = std::function<void(const store::Event& raw, core::LazyNotice& event)>;

  Dispatcher(store::Store& store, const Clock& clock, DispatcherOptions options = {});
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // `name` is the subscriber's cursor id: [a-z0-9-], at most 64 characters. `sync`, when given,
  // runs before the subscriber's cursor is written: it makes what the handler did so far durable
  // (an error keeps the cursor where it was).
  void SubscribeDurable(std::string name, Handler handler, std::function<Status()> sync = {});
  void SubscribeRecent(std::string name, Millis window_ms, Handler handler);

  // Reads the cursors and positions the recent subscribers; with `thread`, starts the reading
  // thread (without it, the caller drives Pump, SaveCursors and Trim: tests).
  Status Start(bool thread = true);
  // Stops the thread after a last pass that delivers what is committed and writes the cursors
  // (without a thread: nothing to do).
  void Stop();

  void Notify();

  // One pass: reads and delivers what is committed, at most `max_batches` reads of `batch`
  // events (so cursors are saved and Stop is heard during a long backlog). Returns how many
  // events it delivered.
  Result<std::size_t> Pump(std::size_t max_batches = 100);
  // Writes the durable cursors that moved, and trims what may be trimmed (now).
  Status SaveCursors();
  Result<std::size_t> Trim();
  // Durable subscribers whose written cursor is more than `lag_warning` events behind what the
  // dispatcher has read, as "name (N events behind)".
  std::vector<std::string> Laggards() const;

  DispatcherStats Stats() const;

 private:
  struct Subscriber {
    std::string name;
    Handler handler;
    std::function<Status()> sync;
    bool durable = false;
    Millis window_ms = 0;
    std::int64_t cursor = 0;  // last seq handled
    std::int64_t saved = -1;  // last seq written to the store (durable)
  };
  Result<std::int64_t> LastSeq();
  Result<std::int64_t> FirstSeqAtOrAfter(Millis time, std::int64_t last);
  void Run();

  store::Store& store_;
  const Clock& clock_;
  const DispatcherOptions options_;
  std::vector<Subscriber> subs_;  // dispatcher thread after Start
  std::int64_t position_ = 0;     // dispatcher thread after Start

  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;  // GUARDED_BY(mu_)
  bool stop_ = false;      // GUARDED_BY(mu_)
  DispatcherStats stats_;  // GUARDED_BY(mu_)
};

}  // namespace muster::node
