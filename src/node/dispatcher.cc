#include "node/dispatcher.h"

#include <algorithm>
#include <limits>

#include "common/guarded.h"
#include "common/json.h"
#include "common/log.h"
#include "core/event_codec.h"

namespace muster::node {

namespace {

bool ValidName(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

}  // namespace

Dispatcher::Dispatcher(store::Store& store, const Clock& clock, DispatcherOptions options)
    : store_(store), clock_(clock), options_(options) {}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::SubscribeDurable(std::string name, Handler handler, std::function<Status()> sync) {
  if (!ValidName(name)) MLOG(kError) << "dispatcher: subscriber name '" << name << "' is not [a-z0-9-]{1,64}";
  subs_.push_back({std::move(name), std::move(handler), std::move(sync), true, 0, 0, -1});
}

void Dispatcher::SubscribeRecent(std::string name, Millis window_ms, Handler handler) {
  subs_.push_back({std::move(name), std::move(handler), {}, false, window_ms, 0, -1});
}

Result<std::int64_t> Dispatcher::LastSeq() { return store_.LastEventSeq(); }

// The outbox is in seq order and an event's time follows its commit order (one writer), so the
// first event at or after `time` is found by bisection over seq, one single-event read per step.
Result<std::int64_t> Dispatcher::FirstSeqAtOrAfter(Millis time, std::int64_t last) {
  MUSTER_ASSIGN_OR_RETURN(auto first, store_.ReadEvents(0, 1));
  if (first.empty()) return last + 1;
  std::int64_t lo = first[0].seq, hi = last + 1;  // the answer is in [lo, hi]
  if (first[0].time >= time) return lo;
  while (lo + 1 < hi) {
    std::int64_t mid = lo + (hi - lo) / 2;
    MUSTER_ASSIGN_OR_RETURN(auto ev, store_.ReadEvents(mid - 1, 1));  // first event with seq >= mid
    if (ev.empty() || ev[0].seq >= hi) {
      hi = mid;
    } else if (ev[0].time >= time) {
      hi = ev[0].seq;
    } else {
      lo = ev[0].seq;
    }
  }
  return hi;
}

Status Dispatcher::Start(bool thread) {
  MUSTER_ASSIGN_OR_RETURN(std::int64_t last, LastSeq());
  std::int64_t position = last;
  for (Subscriber& s : subs_) {
    if (s.durable) {
      MUSTER_ASSIGN_OR_RETURN(auto row, store_.Get(store::Table::kCursors, s.name));
      s.cursor = last;  // a new subscriber starts at the end
      if (row) {
        auto body = ParseStoredObject(row->body, "cursor");
        if (!body.ok()) return body.error();
        s.cursor = std::min(IntOr(*body, "seq", last), last);
      }
      s.saved = row ? s.cursor : -1;
      if (row) {
        MUSTER_ASSIGN_OR_RETURN(auto oldest, store_.ReadEvents(0, 1));
        const std::int64_t first = oldest.empty() ? last + 1 : oldest[0].seq;
        if (first > s.cursor + 1) {
          MLOG(kError) << "dispatcher: durable subscriber '" << s.name << "' was at event " << s.cursor
                       << " but the oldest stored event is " << first << ": " << first - s.cursor - 1
                       << " events were trimmed before it read them (raise event_retention)";
          std::lock_guard lock(mu_);
          stats_.gaps += static_cast<std::uint64_t>(first - s.cursor - 1);
        }
      }
    } else {
      MUSTER_ASSIGN_OR_RETURN(std::int64_t first, FirstSeqAtOrAfter(clock_.NowMillis() - s.window_ms, last));
      s.cursor = first - 1;
    }
    position = std::min(position, s.cursor);
  }
  position_ = position;
  {
    std::lock_guard lock(mu_);
    stats_.position = position_;
    stop_ = false;
    notified_ = true;  // the thread's first pass runs at once (what is due to trim, too)
  }
  MUSTER_RETURN_IF_ERROR(SaveCursors());  // new subscribers' rows: they hold trimming from now on
  if (thread) thread_ = std::thread([this] {
    log::NameThisThread("muster-dispatch");
    Run();
  });
  return OkStatus();
}

void Dispatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Dispatcher::Notify() {
  {
    std::lock_guard lock(mu_);
    notified_ = true;
  }
  cv_.notify_all();
}

Result<std::size_t> Dispatcher::Pump(std::size_t max_batches) {
  std::size_t delivered = 0, decoded = 0, undecodable = 0;
  for (std::size_t batch = 0; batch < max_batches; ++batch) {
    MUSTER_ASSIGN_OR_RETURN(auto events, store_.ReadEvents(position_, options_.batch));
    for (const store::Event& e : events) {
      core::LazyNotice event(e.topic, e.body);
      for (Subscriber& s : subs_) {
        if (s.cursor >= e.seq) continue;
        Guarded("an outbox subscriber", [&] { s.handler(e, event); });
        s.cursor = e.seq;
      }
      if (event.tried()) ++decoded;
      if (const Error* error = event.error()) {
        MLOG(kError) << "dispatcher: outbox event " << e.seq << " skipped: " << error->message;
        ++undecodable;
      }
      position_ = e.seq;
      ++delivered;
    }
    if (events.size() < options_.batch) break;
  }
  std::lock_guard lock(mu_);
  stats_.position = position_;
  stats_.delivered += delivered;
  stats_.decoded += decoded;
  stats_.undecodable += undecodable;
  return delivered;
}

Status Dispatcher::SaveCursors() {
  std::vector<store::Write> writes;
  std::vector<std::int64_t> saving(subs_.size(), -1);
  for (std::size_t i = 0; i < subs_.size(); ++i) {
    Subscriber& s = subs_[i];
    if (!s.durable || s.saved == s.cursor) continue;
    if (s.sync) {
      Status synced = s.sync();
      if (!synced.ok()) {
        MLOG(kError) << "dispatcher: subscriber '" << s.name << "' could not make its work durable: "
                     << synced.error().message << "; its cursor stays at " << s.saved;
        continue;
      }
    }
    saving[i] = s.cursor;
    store::Row row;
    row.id = s.name;
    row.body = ToJson(json::object{{"seq", s.cursor}});
    row.updated = clock_.NowMillis();
    writes.push_back(store::Write::Upsert(store::Table::kCursors, std::move(row)));
  }
  if (!writes.empty()) MUSTER_RETURN_IF_ERROR(store_.Commit(writes));
  std::int64_t slowest = position_;
  for (std::size_t i = 0; i < subs_.size(); ++i) {
    if (saving[i] >= 0) subs_[i].saved = saving[i];
    if (subs_[i].durable) slowest = std::min(slowest, subs_[i].saved);
  }
  std::lock_guard lock(mu_);
  stats_.slowest_cursor = slowest;
  return OkStatus();
}

Result<std::size_t> Dispatcher::Trim() {
  if (options_.retention_ms <= 0) return 0;
  // Never past what a durable subscriber has durably passed, nor past what was read at all.
  std::int64_t bound = position_;
  for (const Subscriber& s : subs_) {
    if (s.durable) bound = std::min(bound, s.saved);
  }
  const Millis cutoff = clock_.NowMillis() - options_.retention_ms;
  MUSTER_ASSIGN_OR_RETURN(auto events, store_.ReadEvents(0, options_.batch));
  std::int64_t up_to = 0;
  std::size_t n = 0;
  for (const store::Event& e : events) {
    if (e.seq > bound || e.time >= cutoff) break;
    up_to = e.seq;
    ++n;
  }
  if (up_to > 0) MUSTER_RETURN_IF_ERROR(store_.TrimEvents(up_to));
  std::lock_guard lock(mu_);
  stats_.trimmed += n;
  return n;
}

std::vector<std::string> Dispatcher::Laggards() const {
  std::vector<std::string> out;
  for (const Subscriber& s : subs_) {
    if (!s.durable) continue;
    std::int64_t behind = position_ - std::max<std::int64_t>(s.saved, 0);
    if (behind > options_.lag_warning) out.push_back(s.name + " (" + std::to_string(behind) + " events behind)");
  }
  return out;
}

DispatcherStats Dispatcher::Stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void Dispatcher::Run() {
  Millis next_save = 0, next_trim = 0, next_lag_check = 0;
  Millis backoff = 0;  // after a store error
  for (;;) {
    {
      std::unique_lock lock(mu_);
      Millis wait = backoff > 0 ? backoff : options_.poll_ms;
      cv_.wait_for(lock, std::chrono::milliseconds(wait), [&] { return notified_ || stop_; });
      notified_ = false;
      if (stop_) break;
    }
    Status st = OkStatus();
    bool more = false;
    Guarded("the dispatcher", [&] {
      auto pumped = Pump();
      if (!pumped.ok()) {
        st = pumped.error();
        return;
      }
      more = *pumped >= 100 * options_.batch;
      const Millis now = clock_.NowMillis();
      if (now >= next_save) {
        st = SaveCursors();
        next_save = now + options_.cursor_interval_ms;
      }
      if (now >= next_lag_check) {
        next_lag_check = now + 60'000;
        for (const auto& l : Laggards()) {
          MLOG(kWarn) << "dispatcher: durable subscriber " << l
                      << "; the outbox is not trimmed past it";
        }
      }
      if (st.ok() && now >= next_trim) {
        auto trimmed = Trim();
        if (!trimmed.ok()) {
          st = trimmed.error();
        } else {
          // A full batch: more is due; trim again at the next pass.
          next_trim = *trimmed >= options_.batch ? now : now + options_.trim_interval_ms;
        }
      }
    });
    if (!st.ok()) {
      MLOG(kError) << "dispatcher: " << st.error().message << " (retrying)";
      backoff = std::min<Millis>(std::max<Millis>(backoff * 2, 100), 5000);
    } else {
      backoff = 0;
      if (more) Notify();  // a long backlog: go on at once
    }
  }
  // Stopping: deliver what committed, keep the positions.
  Guarded("the dispatcher's last pass", [&] {
    auto pumped = Pump(std::numeric_limits<std::size_t>::max());
    Status saved = SaveCursors();
    if (!pumped.ok() || !saved.ok()) MLOG(kError) << "dispatcher: the last pass failed; durable subscribers resume from their last saved cursor";
  });
}

}  // namespace muster::node
