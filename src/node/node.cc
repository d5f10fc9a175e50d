#include "node/node.h"

#include "common/crypto.h"
#include "common/guarded.h"
#include "common/log.h"

#include <cstdlib>
#include <optional>
#include <utility>

namespace muster::node {

namespace {

constexpr std::size_t kPage = 1000;

Result<std::vector<store::Row>> AllWithStatus(store::Store& s, store::Table t, const std::string& status) {
  std::vector<store::Row> out;
  std::string after;
  for (;;) {
    MUSTER_ASSIGN_OR_RETURN(auto page, s.ListByStatus(t, status, after, kPage));
    for (auto& r : page) out.push_back(std::move(r));
    if (page.size() < kPage) break;
    after = out.back().id;
  }
  return out;
}

Result<std::vector<store::Row>> All(store::Store& s, store::Table t) {
  std::vector<store::Row> out;
  std::string after;
  for (;;) {
    MUSTER_ASSIGN_OR_RETURN(auto page, s.List(t, after, kPage));
    for (auto& r : page) out.push_back(std::move(r));
    if (page.size() < kPage) break;
    after = out.back().id;
  }
  return out;
}

// A row this version cannot read is logged and skipped (it stays in the store as it is), so one
// damaged row does not keep the node from starting.
template <class T>
std::optional<T> Readable(Result<T> r, const char* what, const store::Row& row, std::size_t* skipped) {
  if (r.ok()) return std::move(r).value();
  MLOG(kError) << what << " row '" << row.id << "' is unreadable and was skipped (left in the store): "
               << r.error().message;
  ++*skipped;
  return std::nullopt;
}

}  // namespace

// Shards of the writer: the node's live state, and definitions (committed before memory changes,
// so their failure fences nothing that needs a reload).
constexpr const char* kLiveShard = "node";
constexpr const char* kDefinitionsShard = "definitions";

struct Node::InFlight {
  std::vector<store::Write> viewed;    // the batch's ticket and process writes, for the views once durable
  std::vector<core::Push> pushes;      // announced once the commit is durable
  bool events = false;                 // the batch appended outbox events
  std::function<void(Status)> then;
  std::uint64_t epoch = 0;
  bool fatal = true;
  bool delivered = false;              // loop thread: popped and answered
  bool published = false;              // views, dispatcher and pushes done in the writer's completion
  bool done = false;                   // GUARDED_BY(done_mu_)
  Status status;                       // GUARDED_BY(done_mu_)
};

Node::Node(store::Store& store, const Env& env)
    : store_(store), env_(env), clock_(env.clock), fleet_view_(env.clock) {}

void Node::UseWriter(store::CommitWriter& writer, Post post) {
  writer_ = &writer;
  post_ = std::move(post);
}

void Node::RunOnOwner(std::function<void()> f) const {
  if (post_) return post_(std::move(f));
  f();
}

void Node::ApplyToViews(const std::vector<store::Write>& writes) {
  ticket_view_.Apply(writes);
  fleet_view_.Apply(writes);
}

Status Node::Start(const NodeSetup& setup) {
  setup_ = setup;
  region_ = setup.region;  // read from other threads (ConfigurationArn): set once, here
  account_ = setup.account;
  MUSTER_RETURN_IF_ERROR(Build(setup, /*reload=*/false));
  return Restore();
}

Status Node::Build(const NodeSetup& setup, bool reload) {
  fleet::FleetOptions fo = setup.fleet_options;
  fo.region = region_;
  bus_ = bus::Bus();
  matchmaking_.reset();
  placement_.reset();
  fleet_ = std::make_unique<fleet::FleetCore>(env_, fo);
  placement_ = std::make_unique<placement::PlacementCore>(env_, *fleet_);
  matchmaking_ = std::make_unique<matchmaking::MatchmakingCore>(env_, *placement_, region_, account_);
  fleet_->Subscribe(bus_);
  placement_->Subscribe(bus_);
  matchmaking_->Subscribe(bus_);
  computes_.clear();

  core::Effects fx;
  // Fleets and computes. A compute keeps the auth token it was given in an earlier run, so game
  // servers still running from before a restart can reconnect.
  for (const auto& f : setup.fleets) {
    placement_->PutFleet(f.fleet_id, f.locations);
    for (fleet::Compute c : f.computes) {
      if (c.auth_token.empty()) {
        MUSTER_ASSIGN_OR_RETURN(auto row, store_.Get(store::Table::kComputes, c.Key()));
        if (row) {
          auto old = fleet::ComputeFromRow(*row);
          if (old.ok()) c.auth_token = old->auth_token;
        }
        if (c.auth_token.empty()) c.auth_token = Base64UrlEncode(env_.random.Bytes(32));
      }
      computes_[c.Key()] = c;
      fx.Append(fleet_->PutCompute(std::move(c)));
    }
  }
  for (const auto& q : setup.queues) fx.Append(placement_->PutQueue(q));
  if (reload) {
    // What the management API changed since the start is in the store; the set-up's own rule
    // sets and configurations were stored at Start and may have been updated since.
    NodeSetup stored_only = setup;
    stored_only.rule_sets.clear();
    stored_only.configurations.clear();
    MUSTER_RETURN_IF_ERROR(definitions_.SetUp(stored_only, &fx));
  } else {
    MUSTER_RETURN_IF_ERROR(definitions_.SetUp(setup, &fx));
  }
  return CommitNow(std::move(fx));
}

Status Node::CommitNow(core::Effects fx) {
  fx = bus_.Cascade(std::move(fx));
  if (!fx.writes.empty() || !fx.events.empty()) MUSTER_RETURN_IF_ERROR(store_.Commit(fx.writes, fx.events));
  ApplyToViews(fx.writes);
  if (!fx.events.empty() && events_committed_) Guarded("waking the dispatcher", events_committed_);
  Announce(fx.pushes);
  return OkStatus();
}

void Node::Announce(const std::vector<core::Push>& pushes) {
  if (!push_) return;
  for (const auto& p : pushes) push_(p.process_key, p.frame);
}

Status Node::Restore() {
  using store::Table;
  std::size_t skipped = 0;
  std::vector<fleet::Process> processes;
  for (const char* st : {"CONNECTED", "ACTIVE"}) {
    MUSTER_ASSIGN_OR_RETURN(auto rows, AllWithStatus(store_, Table::kProcesses, st));
    for (const auto& r : rows) {
      auto p = Readable(fleet::ProcessFromRow(r), "process", r, &skipped);
      if (p) processes.push_back(std::move(*p));
    }
  }
  std::vector<fleet::GameSession> sessions;
  std::vector<fleet::PlayerSession> players;
  for (const char* st : {"ACTIVATING", "ACTIVE"}) {
    MUSTER_ASSIGN_OR_RETURN(auto rows, AllWithStatus(store_, Table::kGameSessions, st));
    for (const auto& r : rows) {
      auto g = Readable(fleet::GameSessionFromRow(r), "game session", r, &skipped);
      if (!g) continue;
      MUSTER_ASSIGN_OR_RETURN(auto ps_rows, store_.ListByIndex(Table::kPlayerSessions, g->game_session_id, 1000));
      for (const auto& pr : ps_rows) {
        auto ps = Readable(fleet::PlayerSessionFromRow(pr), "player session", pr, &skipped);
        if (ps) players.push_back(std::move(*ps));
      }
      sessions.push_back(std::move(*g));
    }
  }
  std::vector<fleet::Compute> computes;  // already registered by Start; stored extras are kept
  MUSTER_ASSIGN_OR_RETURN(auto compute_rows, All(store_, Table::kComputes));
  for (const auto& r : compute_rows) {
    auto c = Readable(fleet::ComputeFromRow(r), "compute", r, &skipped);
    if (c && !computes_.count(c->Key())) {
      computes_[c->Key()] = *c;
      computes.push_back(std::move(*c));
    }
  }
  fleet_view_.ReplaceComputes(computes_);
  std::unordered_set<std::string> live;
  for (const auto& p : processes) live.insert(p.Key());
  fleet_view_.ReplaceLiveProcesses(std::move(live));
  std::size_t n_proc = processes.size(), n_gs = sessions.size();
  fleet_->Restore(std::move(computes), std::move(processes), std::move(sessions), std::move(players));

  MUSTER_ASSIGN_OR_RETURN(auto placement_rows, AllWithStatus(store_, Table::kPlacements, "PENDING"));
  std::vector<placement::Placement> pending;
  for (const auto& r : placement_rows) {
    auto p = Readable(placement::PlacementCore::FromRow(r), "placement", r, &skipped);
    if (p) pending.push_back(std::move(*p));
  }
  std::size_t n_pl = pending.size();
  placement_->Restore(std::move(pending));

  std::vector<matchmaking::Ticket> tickets;
  for (const char* st : {"QUEUED", "SEARCHING", "REQUIRES_ACCEPTANCE", "PLACING"}) {
    MUSTER_ASSIGN_OR_RETURN(auto rows, AllWithStatus(store_, Table::kTickets, st));
    for (const auto& r : rows) {
      auto t = Readable(matchmaking::MatchmakingCore::FromRow(r), "matchmaking ticket", r, &skipped);
      if (!t) continue;
      tickets.push_back(std::move(*t));
      ticket_view_.Put(r);
    }
  }
  std::size_t n_t = tickets.size();
  MUSTER_RETURN_IF_ERROR(CommitNow(matchmaking_->Restore(std::move(tickets))));
  if (n_proc + n_gs + n_pl + n_t > 0) {
    MLOG(kInfo) << "restored from " << store_.Engine() << ": " << n_t << " tickets, " << n_pl
                << " placements, " << n_gs << " game sessions, " << n_proc << " processes";
  }
  if (skipped > 0) {
    MLOG(kError) << skipped << " stored rows could not be read and were skipped (see above); they are "
                 << "left in the store for inspection";
  }
  return OkStatus();
}

Status Node::Apply(core::Effects fx, bool fatal) {
  Status out = Error::Internal("the commit was not answered");
  Commit(std::move(fx), fatal, [&out](Status st) { out = std::move(st); }, /*wait=*/true);
  return out;
}

namespace {

// One answer for a batch that holds several changes: each change's, in order.
std::function<void(Status)> AnswerInOrder(std::vector<std::function<void(Status)>> thens) {
  return [thens = std::move(thens)](Status st) {
    for (const auto& then : thens) {
      if (then) Guarded("answering a commit", [&] { then(st); });
    }
  };
}

}  // namespace

void Node::Commit(core::Effects fx, bool fatal, std::function<void(Status)> then, bool wait) {
  fx = bus_.Cascade(std::move(fx));
  const bool writes = !fx.writes.empty() || !fx.events.empty();
  if (writer_ && fatal && !wait && writes) {
    // Joins the turn's batch (see pending_ in node.h); the first change of a turn posts its flush,
    // which runs after what is already queued on this thread (the matchmaking run included).
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

void Node::FlushTurn() {
  if (pending_thens_.empty()) return;
  ++flushes_;
  flushed_changes_ += pending_thens_.size();
  core::Effects fx = std::exchange(pending_, {});
  Enqueue(std::move(fx), /*fatal=*/true, TakeTurnAnswers());
}

std::function<void(Status)> Node::TakeTurnAnswers() {
  return AnswerInOrder(std::exchange(pending_thens_, {}));
}

void Node::DropPending(const Status& why) {
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

std::shared_ptr<Node::InFlight> Node::Enqueue(core::Effects fx, bool fatal, std::function<void(Status)> then) {
  store::CoalesceWrites(&fx.writes);  // e.g. a ticket started, entered the search and was matched in one turn
  auto item = std::make_shared<InFlight>();
  for (const auto& w : fx.writes) {
    if (w.table == store::Table::kTickets || w.table == store::Table::kProcesses) item->viewed.push_back(w);
  }
  item->pushes = std::move(fx.pushes);
  item->events = !fx.events.empty();
  item->then = std::move(then);
  item->epoch = epoch_;
  item->fatal = fatal;
  inflight_.push_back(item);
  const bool writes = !fx.writes.empty() || !fx.events.empty();
  if (!writes || !writer_) {
    // Published in Deliver, after the commits before it. (Every push comes with the writes it
    // announces, so an item without writes carries none that a later commit's could overtake.)
    Status st = writes ? store_.Commit(fx.writes, fx.events) : OkStatus();
    std::lock_guard lock(done_mu_);
    item->done = true;
    item->status = std::move(st);
    return item;
  }
  store::Batch batch{std::move(fx.writes), std::move(fx.events), fatal ? kLiveShard : kDefinitionsShard};
  Status submitted = writer_->Submit(std::move(batch), [this, item](Status st) {
    // Published here, on the writer's thread, in commit order: a status read and a game
    // server's push need not wait for the node's thread to wake up (a thread hop fewer on the
    // way from a commit to a client; the views and the push sink are safe from any thread).
    const bool published = st.ok();
    if (published) Publish(*item);
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

void Node::Publish(const InFlight& item) {
  Guarded("updating the views", [&] { ApplyToViews(item.viewed); });
  if (item.events && events_committed_) Guarded("waking the dispatcher", events_committed_);
  Guarded("announcing a commit", [&] { Announce(item.pushes); });
}

void Node::Deliver() {
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
      if (!item->published) Publish(*item);
    } else if (item->fatal && item->epoch == epoch_) {
      // The cores moved on and the store did not: memory is ahead of it, and so is every batch
      // built on it (the writer fenced them). Drop memory and read back what committed.
      MLOG(kError) << "store commit failed: " << item->status.error().message
                   << "; reloading the node from the store";
      Reload();
    } else if (!item->fatal && writer_) {
      writer_->Unfence(kDefinitionsShard);  // nothing was staged in memory
    }
    if (item->then) Guarded("answering a commit", [&] { item->then(item->status); });
  }
}

Status Node::Serving() const {
  if (fenced_) {
    return Error::Unavailable("the node is reloading its state from the store after a failed commit; retry shortly");
  }
  // The turn not yet flushed takes a slot of the writer's queue before anything staged now.
  if (writer_) return writer_->Room(kLiveShard, pending_thens_.empty() ? 0 : 1);
  return OkStatus();
}

void Node::Reload() {
  DropPending(Error::Unavailable("not committed: the node is reloading its state after a failed commit"));
  ++epoch_;
  ++reloads_;
  fenced_ = true;
  Status st = Build(setup_, /*reload=*/true);
  if (st.ok()) st = Restore();
  if (!st.ok()) {
    MLOG(kError) << "reload from the store failed (" << st.error().message
                 << "); the node refuses changes and tries again on the next tick";
    return;
  }
  game_servers_.Reattach();
  if (writer_) writer_->Unfence(kLiveShard);
  fenced_ = false;
  MLOG(kInfo) << "node reloaded from the store; serving again";
  if (schedule_run_) schedule_run_();
}

void Node::RunMatchmaking() {
  if (!Serving().ok()) return;  // the next tick or run tries again
  // Waiting placements first: capacity freed since the last pump goes to the oldest of them.
  core::Effects fx = placement_->Pump();
  fx.Append(matchmaking_->Run());
  Commit(std::move(fx), /*fatal=*/true, nullptr, /*wait=*/false);  // nobody waits for an answer
}

void Node::Tick() {
  if (fenced_) Reload();  // a reload that failed is tried again
  if (!Serving().ok()) return;
  core::Effects fx = fleet_->Tick();
  fx.Append(placement_->Pump());
  fx.Append(matchmaking_->Run());
  Commit(std::move(fx), /*fatal=*/true, nullptr, /*wait=*/false);
}

}  // namespace muster::node
