#include "node/node.h"

#include "node/repeats.h"

#include "common/crypto.h"
#include "common/guarded.h"
#include "common/log.h"

#include <cstdlib>
#include <map>
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

// Shards of the writer: the node's live state (one shard), or its server side and its matchmaking
// side (two); and definitions (committed before memory changes, so their failure fences nothing
// that needs a reload).
constexpr const char* kLiveShard = "node";
constexpr const char* kServerShard = "server";
constexpr const char* kMatchmakingShard = "matchmaking";
constexpr const char* kDefinitionsShard = "definitions";

namespace {

using store::Table;

// What each side's commits show the views, and the topics of the notices it makes for the other.
Shard::Hooks Hooks(std::function<void(const Committed&)> publish, std::function<void()> reload,
                   std::vector<Table> viewed, std::vector<std::string> foreign) {
  Shard::Hooks h;
  h.publish = std::move(publish);
  h.reload = std::move(reload);
  h.viewed = std::move(viewed);
  h.foreign_topics = std::move(foreign);
  return h;
}

}  // namespace

Node::Node(store::Store& store, const Env& env, NodeOptions options)
    : store_(store),
      env_(env),
      clock_(env.clock),
      fleet_view_(env.clock),
      live_(options.matchmaking_shard ? kServerShard : kLiveShard, kDefinitionsShard, store,
            options.matchmaking_shard
                ? Hooks([this](const Committed& c) { Publish(c, match_.get()); }, [this] { ReloadServer(); },
                        {Table::kProcesses, Table::kPlacements, Table::kGameSessions, Table::kPlayerSessions},
                        {"placement", "fleet"})
                : Hooks([this](const Committed& c) { Publish(c, nullptr); }, [this] { Reload(); },
                        {Table::kTickets, Table::kProcesses}, {})) {
  if (options.matchmaking_shard) {
    match_ = std::make_unique<Shard>(
        kMatchmakingShard, kDefinitionsShard, store,
        Hooks([this](const Committed& c) { Publish(c, &live_); }, [this] { ReloadMatchmaking(); }, {Table::kTickets},
              {"placement-requests", "fleet-requests", "placement-repeats"}));
  }
}

void Node::UseWriter(store::CommitWriter& writer, Post post, Post matchmaking) {
  if (match_) match_->UseWriter(writer, matchmaking ? std::move(matchmaking) : post);
  live_.UseWriter(writer, std::move(post));
}

const core::ServerReads& Node::server_reads() const {
  if (match_) return server_view_;
  return *placement_;
}

void Node::ApplyToViews(const std::vector<store::Write>& writes) {
  ticket_view_.Apply(writes);
  fleet_view_.Apply(writes);
  if (match_) server_view_.Apply(writes);
}

Status Node::Start(const NodeSetup& setup) {
  setup_ = setup;
  region_ = setup.region;  // read from other threads (ConfigurationArn): set once, here
  account_ = setup.account;
  MUSTER_RETURN_IF_ERROR(Build(setup, /*reload=*/false));
  return Restore();
}

Status Node::Build(const NodeSetup& setup, bool reload) {
  if (match_) {
    core::Effects server, matchmaking;
    MUSTER_RETURN_IF_ERROR(BuildServer(setup, &server));
    MUSTER_RETURN_IF_ERROR(live_.CommitNow(std::move(server)));
    MUSTER_RETURN_IF_ERROR(BuildMatchmaking(setup, reload, &matchmaking));
    return match_->CommitNow(std::move(matchmaking));
  }
  core::Effects fx;
  matchmaking_.reset();  // it reads the placement core
  MUSTER_RETURN_IF_ERROR(BuildServer(setup, &fx));
  MUSTER_RETURN_IF_ERROR(BuildMatchmaking(setup, reload, &fx));
  return live_.CommitNow(std::move(fx));
}

Status Node::BuildServer(const NodeSetup& setup, core::Effects* fx) {
  fleet::FleetOptions fo = setup.fleet_options;
  fo.region = region_;
  live_.bus() = bus::Bus();
  placement_.reset();
  fleet_ = std::make_unique<fleet::FleetCore>(env_, fo);
  placement_ = std::make_unique<placement::PlacementCore>(env_, *fleet_);
  fleet_->Subscribe(live_.bus());
  placement_->Subscribe(live_.bus());
  live_.bus().Subscribe("placement-repeats", [this](const core::Notice& n) {
    const auto* repeat = std::get_if<core::PlacementRepeated>(&n);
    return repeat ? AnswerRepeat(*repeat, *placement_, store_, clock_.NowMillis()) : core::Effects{};
  });
  computes_.clear();

  // Fleets and computes. A compute keeps the auth token it was given in an earlier run, so game
  // servers still running from before a restart can reconnect.
  for (const auto& f : setup.fleets) {
    placement_->PutFleet(f.fleet_id, f.locations);
    for (fleet::Compute c : f.computes) {
      if (c.auth_token.empty()) {
        MUSTER_ASSIGN_OR_RETURN(auto row, store_.Get(Table::kComputes, c.Key()));
        if (row) {
          auto old = fleet::ComputeFromRow(*row);
          if (old.ok()) c.auth_token = old->auth_token;
        }
        if (c.auth_token.empty()) c.auth_token = Base64UrlEncode(env_.random.Bytes(32));
      }
      computes_[c.Key()] = c;
      fx->Append(fleet_->PutCompute(std::move(c)));
    }
  }
  std::map<std::string, core::QueueInfo> queues;
  for (const auto& q : setup.queues) {
    fx->Append(placement_->PutQueue(q));
    if (auto info = placement_->Queue(q.name)) queues[q.name] = std::move(*info);
  }
  server_view_.ReplaceQueues(std::move(queues));
  return OkStatus();
}

Status Node::BuildMatchmaking(const NodeSetup& setup, bool reload, core::Effects* fx) {
  if (match_) match_->bus() = bus::Bus();
  matchmaking_ = std::make_unique<matchmaking::MatchmakingCore>(env_, server_reads(), region_, account_);
  matchmaking_->Subscribe(match_shard().bus());
  if (reload) {
    // What the management API changed since the start is in the store; the set-up's own rule
    // sets and configurations were stored at Start and may have been updated since.
    NodeSetup stored_only = setup;
    stored_only.rule_sets.clear();
    stored_only.configurations.clear();
    return definitions_.SetUp(stored_only, fx);
  }
  return definitions_.SetUp(setup, fx);
}

void Node::Publish(const Committed& c, Shard* to) {
  Guarded("updating the views", [&] { ApplyToViews(c.viewed); });
  if (c.events && events_committed_) Guarded("waking the dispatcher", events_committed_);
  Guarded("announcing a commit", [&] { Announce(c.pushes); });
  if (to && !c.forwarded.empty()) Forward(*to, c.forwarded);
}

void Node::Forward(Shard& to, std::vector<core::Notice> notices) {
  auto handle = [this, &to, notices = std::move(notices)]() mutable {
    if (stopping_) return;  // the next start asks again and reconciles (MatchmakingCore::Restore)
    if (to.fenced()) {
      // Its reload failed and is tried again on every tick; the reload that succeeds asks
      // again for the placements these notices concerned and reconciles (docs/shell.md).
      MLOG(kWarn) << notices.size() << " notices for shard '" << to.name()
                  << "' were dropped while it is fenced; its reload asks again for the placements they concerned";
      return;
    }
    core::Effects fx;
    fx.notices = std::move(notices);
    to.Commit(std::move(fx), /*fatal=*/true, nullptr, /*wait=*/false);
  };
  if (to.posts()) return to.RunOnOwner(std::move(handle));
  // Without a writer: in order, by the outermost Forward (see forwards_).
  forwards_.push_back(std::move(handle));
  if (forwarding_) return;
  forwarding_ = true;
  while (!forwards_.empty()) {
    auto next = std::move(forwards_.front());
    forwards_.pop_front();
    Guarded("handing notices to another shard", next);
  }
  forwarding_ = false;
}

void Node::Announce(const std::vector<core::Push>& pushes) {
  if (!push_) return;
  for (const auto& p : pushes) push_(p.process_key, p.frame);
}

Status Node::Restore() {
  MUSTER_RETURN_IF_ERROR(RestoreServer());
  return RestoreMatchmaking();
}

Status Node::RestoreServer() {
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

  MUSTER_ASSIGN_OR_RETURN(auto placement_rows, AllWithStatus(store_, Table::kPlacements, "PENDING"));
  std::vector<placement::Placement> pending;
  for (const auto& r : placement_rows) {
    auto p = Readable(placement::PlacementCore::FromRow(r), "placement", r, &skipped);
    if (p) pending.push_back(std::move(*p));
  }
  if (match_) server_view_.Replace(pending, sessions, players);
  std::size_t n_proc = processes.size(), n_gs = sessions.size(), n_pl = pending.size();
  fleet_->Restore(std::move(computes), std::move(processes), std::move(sessions), std::move(players));
  placement_->Restore(std::move(pending));
  if (n_proc + n_gs + n_pl > 0) {
    MLOG(kInfo) << "restored from " << store_.Engine() << ": " << n_pl << " placements, " << n_gs
                << " game sessions, " << n_proc << " processes";
  }
  if (skipped > 0) {
    MLOG(kError) << skipped << " stored rows of the server side could not be read and were skipped (see above); "
                 << "they are left in the store for inspection";
  }
  return OkStatus();
}

Status Node::RestoreMatchmaking() {
  std::size_t skipped = 0;
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
  MUSTER_RETURN_IF_ERROR(match_shard().CommitNow(matchmaking_->Restore(std::move(tickets))));
  if (n_t > 0) MLOG(kInfo) << "restored from " << store_.Engine() << ": " << n_t << " tickets";
  if (skipped > 0) {
    MLOG(kError) << skipped << " stored tickets could not be read and were skipped (see above); they are left "
                 << "in the store for inspection";
  }
  return OkStatus();
}

bool Node::ReloadShard(Shard& shard, const char* what, const std::function<Status()>& rebuild) {
  shard.BeginReload();
  Status st = rebuild();
  if (!st.ok()) {
    MLOG(kError) << "reload of " << what << " from the store failed (" << st.error().message
                 << "); it refuses changes and tries again on the next tick";
    return false;
  }
  shard.EndReload();
  MLOG(kInfo) << what << " reloaded from the store; serving again";
  return true;
}

void Node::Reload() {
  bool reloaded = ReloadShard(live_, "the node", [this]() -> Status {
    MUSTER_RETURN_IF_ERROR(Build(setup_, /*reload=*/true));
    MUSTER_RETURN_IF_ERROR(Restore());
    game_servers_.Reattach();
    return OkStatus();
  });
  if (reloaded && schedule_run_) schedule_run_();
}

void Node::ReloadServer() {
  bool reloaded = ReloadShard(live_, "the server side", [this]() -> Status {
    core::Effects fx;
    MUSTER_RETURN_IF_ERROR(BuildServer(setup_, &fx));
    MUSTER_RETURN_IF_ERROR(live_.CommitNow(std::move(fx)));
    MUSTER_RETURN_IF_ERROR(RestoreServer());
    game_servers_.Reattach();
    return OkStatus();
  });
  if (!reloaded) return;
  // A request matchmaking made, or an answer it was due, may have been in the failed batch:
  // matchmaking asks again for every match it is placing (answered from what committed).
  match_->RunOnOwner([this] {
    // Fenced, its own reload asks again; a full writer refuses the batch, which fences it too.
    if (stopping_ || match_->fenced()) return;
    match_->Commit(matchmaking_->RepeatPlacements(), /*fatal=*/true, nullptr, /*wait=*/false);
  });
}

void Node::ReloadMatchmaking() {
  bool reloaded = ReloadShard(*match_, "matchmaking", [this]() -> Status {
    core::Effects fx;
    MUSTER_RETURN_IF_ERROR(BuildMatchmaking(setup_, /*reload=*/true, &fx));
    MUSTER_RETURN_IF_ERROR(match_->CommitNow(std::move(fx)));
    return RestoreMatchmaking();  // asks again for the matches it is placing
  });
  if (reloaded && schedule_run_) schedule_run_();
}

void Node::RunMatchmaking() {
  Shard& shard = match_shard();
  if (!shard.Serving().ok()) return;  // the next tick or run tries again
  core::Effects fx;
  // Waiting placements first: capacity freed since the last pump goes to the oldest of them.
  // (With two shards the server side pumps on its own: requests, processes, ticks.)
  if (!match_) fx = placement_->Pump();
  fx.Append(matchmaking_->Run());
  shard.Commit(std::move(fx), /*fatal=*/true, nullptr, /*wait=*/false);  // nobody waits for an answer
}

void Node::Tick() {
  live_.ReloadIfFenced();
  if (match_ && !match_tick_pending_.exchange(true)) {
    match_->RunOnOwner([this] {
      match_tick_pending_ = false;
      TickMatchmaking();
    });
  }
  if (!live_.Serving().ok()) return;
  core::Effects fx = fleet_->Tick();
  fx.Append(placement_->Pump());
  if (!match_) fx.Append(matchmaking_->Run());
  live_.Commit(std::move(fx), /*fatal=*/true, nullptr, /*wait=*/false);
}

void Node::TickMatchmaking() {
  match_->ReloadIfFenced();
  if (!match_->Serving().ok()) return;
  match_->Commit(matchmaking_->Run(), /*fatal=*/true, nullptr, /*wait=*/false);
}

}  // namespace muster::node
