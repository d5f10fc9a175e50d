#include "node/shard.h"

#include <utility>

#include "common/guarded.h"
#include "common/log.h"
#include "core/events.h"

namespace muster::node {

struct Shard::InFlight {
  Committed committed;                 // published once the commit is durable
  Then then;
  std::uint64_t epoch = 0;
  bool fatal = true;
  bool delivered = false;              // owner thread: popped and answered
  bool published = false;              // published in the writer's completion
  bool done = false;                   // GUARDED_BY(done_mu_)
  Status status;                       // GUARDED_BY(done_mu_)
};

namespace {

// One answer for a batch that holds several changes: each change's, in order.
Shard::Then AnswerInOrder(std::vector<Shard::Then> thens) {
  return [thens = std::move(thens)](Status st) {
    for (const auto& then : thens) {
      if (then) Guarded("answering a commit", [&] { then(st); });
    }
  };
}

}  // namespace

Shard::Shard(std::string live, std::string definitions, store::Store& store, Hooks hooks)
    : live_(std::move(live)), definitions_(std::move(definitions)), store_(store), hooks_(std::move(hooks)) {}

void Shard::UseWriter(store::CommitWriter& writer, Post post) {
  writer_ = &writer;
  post_ = std::move(post);
}

void Shard::RunOnOwner(std::function<void()> f) const {
  if (post_) return post_(std::move(f));
  f();
}

void Shard::Publish(const Committed& c) const {
  if (hooks_.publish) Guarded("publishing a commit", [&] { hooks_.publish(c); });
}

Committed Shard::Tell(core::Effects& fx) const {
  Committed c;
  for (const auto& w : fx.writes) {
    for (auto t : hooks_.viewed) {
      if (w.table == t) {
        c.viewed.push_back(w);
        break;
      }
    }
  }
  if (!hooks_.foreign_topics.empty()) {
    for (auto& n : fx.notices) {
      const char* topic = core::TopicOf(n);
      for (const auto& f : hooks_.foreign_topics) {
        if (f == topic) {
          c.forwarded.push_back(std::move(n));
          break;
        }
      }
    }
  }
  c.pushes = std::move(fx.pushes);
  c.events = !fx.events.empty();
  return c;
}

bool Shard::Forwards(const core::Effects& fx) const {
  for (const auto& n : fx.notices) {
    const char* topic = core::TopicOf(n);
    for (const auto& f : hooks_.foreign_topics) {
      if (f == topic) return true;
    }
  }
  return false;
}

Status Shard::CommitNow(core::Effects fx) {
  fx = bus_.Cascade(std::move(fx));
  if (!fx.writes.empty() || !fx.events.empty()) MUSTER_RETURN_IF_ERROR(store_.Commit(fx.writes, fx.events));
  Publish(Tell(fx));
  return OkStatus();
}

Status Shard::Apply(core::Effects fx, bool fatal) {
  Status out = Error::Internal("the commit was not answered");
  Commit(std::move(fx), fatal, [&out](Status st) { out = std::move(st); }, /*wait=*/true);
  return out;
}

void Shard::Commit(core::Effects fx, bool fatal, Then then, bool wait) {
  fx = bus_.Cascade(std::move(fx));
  const bool writes = !fx.writes.empty() || !fx.events.empty();
  // Nothing to commit, tell or answer (an outcome handed to a matchmaking side that does not
  // hold its match): the turn's batch goes on undisturbed.
  if (!writes && !wait && !then && fx.pushes.empty() && !Forwards(fx)) return;
  if (writer_ && fatal && !wait && writes) {
    // Joins the turn's batch (see pending_); the first change of a turn posts its flush, which
    // runs after what is already queued on this thread (the matchmaking run included).
    if (pending_thens_.empty()) post_([this] { FlushTurn(); });
    pending_.Append(std::move(fx));
    pending_thens_.push_back(std::move(then));
    if (pending_thens_.size() >= kMaxTurnChanges) FlushTurn();
    return;
  }
  // The turn goes first (commits keep their order), and both are submitted before anything is
  // delivered: a delivered failure reloads the cores, and `fx` was built on the memory a reload
  // drops, so it must reach the writer under its epoch, where the failure fences it.
  FlushTurn();
  auto item = Enqueue(std::move(fx), fatal, std::move(then));
  Deliver();
  // Waiting: deliver in order until this item is delivered (its `then` may capture the caller's
  // frame). An item without writes, or refused by the writer, is done at once while batches
  // before it are still being committed: wait for those, one after the other.
  while (wait && !item->delivered) {
    {
      std::unique_lock lock(done_mu_);
      done_cv_.wait(lock, [&] { return !inflight_.empty() && inflight_.front()->done; });
    }
    Deliver();
  }
}

void Shard::FlushTurn() {
  if (pending_thens_.empty()) return;
  ++flushes_;
  flushed_changes_ += pending_thens_.size();
  core::Effects fx = std::exchange(pending_, {});
  Enqueue(std::move(fx), /*fatal=*/true, TakeTurnAnswers());
}

Shard::Then Shard::TakeTurnAnswers() { return AnswerInOrder(std::exchange(pending_thens_, {})); }

void Shard::DropPending(const Status& why) {
  if (pending_thens_.empty()) return;
  // Built on memory a reload is dropping: never committed. Answered in order, after the batches
  // submitted before them, with the epoch they were made in (so they do not reload again).
  auto item = std::make_shared<InFlight>();
  pending_ = {};
  item->then = TakeTurnAnswers();
  item->epoch = epoch_;
  item->done = true;
  item->status = why;
  inflight_.push_back(std::move(item));
}

std::shared_ptr<Shard::InFlight> Shard::Enqueue(core::Effects fx, bool fatal, Then then) {
  store::CoalesceWrites(&fx.writes);  // e.g. a ticket started, entered the search and was matched in one turn
  auto item = std::make_shared<InFlight>();
  item->committed = Tell(fx);
  item->then = std::move(then);
  item->epoch = epoch_;
  item->fatal = fatal;
  inflight_.push_back(item);
  const bool writes = !fx.writes.empty() || !fx.events.empty();
  if (!writes || !writer_) {
    // Published in Deliver, after the commits before it. (Every push comes with the writes it
    // announces, so an item without writes carries none that a later commit's could overtake;
    // its forwarded notices, if any, go out then, after those of the commits before it.)
    Status st = writes ? store_.Commit(fx.writes, fx.events) : OkStatus();
    std::lock_guard lock(done_mu_);
    item->done = true;
    item->status = std::move(st);
    return item;
  }
  store::Batch batch{std::move(fx.writes), std::move(fx.events), fatal ? live_ : definitions_};
  Status submitted = writer_->Submit(std::move(batch), [this, item](Status st) {
    // Published here, on the writer's thread, in commit order: a status read and a game
    // server's push need not wait for the owner thread to wake up (a thread hop fewer on the
    // way from a commit to a client; the publish hook is safe from any thread).
    const bool published = st.ok();
    if (published) Publish(item->committed);
    {
      std::lock_guard lock(done_mu_);
      item->done = true;
      item->published = published;
      item->status = std::move(st);
    }
    done_cv_.notify_all();
    post_([this] { Deliver(); });
  });
  if (!submitted.ok()) {
    std::lock_guard lock(done_mu_);
    item->done = true;
    item->status = std::move(submitted);
  }
  return item;
}

void Shard::Deliver() {
  for (;;) {
    std::shared_ptr<InFlight> item;
    {
      std::lock_guard lock(done_mu_);
      if (inflight_.empty() || !inflight_.front()->done) return;
      item = std::move(inflight_.front());
    }
    inflight_.pop_front();
    item->delivered = true;
    if (item->status.ok()) {
      if (!item->published) Publish(item->committed);
    } else if (item->fatal && item->epoch == epoch_) {
      // The cores moved on and the store did not: memory is ahead of it, and so is every batch
      // built on it (the writer fenced them). Drop memory and read back what committed.
      MLOG(kError) << "store commit failed: " << item->status.error().message << "; reloading shard '" << live_
                   << "' from the store";
      if (hooks_.reload) hooks_.reload();
    } else if (!item->fatal && writer_) {
      writer_->Unfence(definitions_);  // nothing was staged in memory
    }
    if (item->then) Guarded("answering a commit", [&] { item->then(item->status); });
  }
}

Status Shard::Serving() const {
  if (stopped_) return Error::Unavailable("musterd is stopping; retry shortly");
  if (fenced_) {
    return Error::Unavailable("the node is reloading its state from the store after a failed commit; retry shortly");
  }
  // The turn not yet flushed takes a slot of the writer's queue before anything staged now.
  if (writer_) return writer_->Room(live_, pending_thens_.empty() ? 0 : 1);
  return OkStatus();
}

void Shard::BeginReload() {
  DropPending(Error::Unavailable("not committed: the node is reloading its state after a failed commit"));
  ++epoch_;
  ++reloads_;
  fenced_ = true;
}

void Shard::EndReload() {
  if (writer_) writer_->Unfence(live_);
  fenced_ = false;
}

}  // namespace muster::node
