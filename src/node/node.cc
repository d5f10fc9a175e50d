#include "node/node.h"

#include "node/repeats.h"

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

Node::Node(store::Store& store, const Env& env)
    : store_(store),
      env_(env),
      clock_(env.clock),
      fleet_view_(env.clock),
      live_(kLiveShard, kDefinitionsShard, store,
            Shard::Hooks{[this](const Committed& c) { Publish(c); }, [this] { Reload(); }}) {}

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
  live_.bus() = bus::Bus();
  matchmaking_.reset();
  placement_.reset();
  fleet_ = std::make_unique<fleet::FleetCore>(env_, fo);
  placement_ = std::make_unique<placement::PlacementCore>(env_, *fleet_);
  matchmaking_ = std::make_unique<matchmaking::MatchmakingCore>(env_, *placement_, region_, account_);
  fleet_->Subscribe(live_.bus());
  placement_->Subscribe(live_.bus());
  matchmaking_->Subscribe(live_.bus());
  live_.bus().Subscribe("placement-repeats", [this](const core::Notice& n) {
    const auto* repeat = std::get_if<core::PlacementRepeated>(&n);
    return repeat ? AnswerRepeat(*repeat, *placement_, store_, clock_.NowMillis()) : core::Effects{};
  });
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
  return live_.CommitNow(std::move(fx));
}

void Node::Publish(const Committed& c) {
  Guarded("updating the views", [&] { ApplyToViews(c.viewed); });
  if (c.events && events_committed_) Guarded("waking the dispatcher", events_committed_);
  Guarded("announcing a commit", [&] { Announce(c.pushes); });
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
  MUSTER_RETURN_IF_ERROR(live_.CommitNow(matchmaking_->Restore(std::move(tickets))));
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

void Node::Reload() {
  live_.BeginReload();
  Status st = Build(setup_, /*reload=*/true);
  if (st.ok()) st = Restore();
  if (!st.ok()) {
    MLOG(kError) << "reload from the store failed (" << st.error().message
                 << "); the node refuses changes and tries again on the next tick";
    return;
  }
  game_servers_.Reattach();
  live_.EndReload();
  MLOG(kInfo) << "node reloaded from the store; serving again";
  if (schedule_run_) schedule_run_();
}

void Node::RunMatchmaking() {
  if (!live_.Serving().ok()) return;  // the next tick or run tries again
  // Waiting placements first: capacity freed since the last pump goes to the oldest of them.
  core::Effects fx = placement_->Pump();
  fx.Append(matchmaking_->Run());
  live_.Commit(std::move(fx), /*fatal=*/true, nullptr, /*wait=*/false);  // nobody waits for an answer
}

void Node::Tick() {
  if (live_.fenced()) Reload();  // a reload that failed is tried again
  if (!live_.Serving().ok()) return;
  core::Effects fx = fleet_->Tick();
  fx.Append(placement_->Pump());
  fx.Append(matchmaking_->Run());
  live_.Commit(std::move(fx), /*fatal=*/true, nullptr, /*wait=*/false);
}

}  // namespace muster::node
