#include "node/node.h"

#include "node/repeats.h"

#include "common/crypto.h"
#include "common/guarded.h"
#include "common/log.h"

#include <algorithm>
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

namespace {

// The matchmaking side a RunOn* closure runs for, on this thread (-1: none).
thread_local long t_side = -1;

class SideScope {
 public:
  explicit SideScope(std::size_t side) : outer_(t_side) { t_side = static_cast<long>(side); }
  ~SideScope() { t_side = outer_; }
  SideScope(const SideScope&) = delete;
  SideScope& operator=(const SideScope&) = delete;

 private:
  long outer_;
};

}  // namespace

Node::Node(store::Store& store, const Env& env, NodeOptions options)
    : store_(store),
      env_(env),
      clock_(env.clock),
      fleet_view_(env.clock),
      live_(options.matchmaking_shard ? kServerShard : kLiveShard, kDefinitionsShard, store,
            options.matchmaking_shard
                ? Hooks([this](const Committed& c) { Publish(c, /*from_server=*/true); }, [this] { ReloadServer(); },
                        {Table::kProcesses, Table::kPlacements, Table::kGameSessions, Table::kPlayerSessions},
                        {"placement", "fleet"})
                : Hooks([this](const Committed& c) { Publish(c, /*from_server=*/false); }, [this] { Reload(); },
                        {Table::kTickets, Table::kProcesses}, {})) {
  const std::size_t sides = options.matchmaking_shard ? std::max<std::size_t>(1, options.matchmaking_sides) : 1;
  for (std::size_t i = 0; i < sides; ++i) {
    auto side = std::make_unique<Side>();
    if (options.matchmaking_shard) {
      std::string name = i == 0 ? std::string(kMatchmakingShard) : kMatchmakingShard + ("-" + std::to_string(i));
      side->shard = std::make_unique<Shard>(
          std::move(name), kDefinitionsShard, store,
          Hooks([this](const Committed& c) { Publish(c, /*from_server=*/false); }, [this, i] { ReloadMatchmaking(i); },
                {Table::kTickets}, {"placement-requests", "fleet-requests", "placement-repeats"}));
    }
    sides_.push_back(std::move(side));
  }
}

void Node::UseWriter(store::CommitWriter& writer, Post post, std::vector<Post> matchmaking) {
  if (split()) {
    for (std::size_t i = 0; i < sides_.size(); ++i) {
      sides_[i]->shard->UseWriter(writer, i < matchmaking.size() && matchmaking[i] ? matchmaking[i] : post);
    }
  }
  live_.UseWriter(writer, std::move(post));
}

std::size_t Node::MatchmakingSideOf(const std::string& configuration) const {
  if (sides_.size() == 1) return 0;
  std::string_view name = configuration;
  if (name.rfind("arn:", 0) == 0) {
    if (auto slash = name.rfind('/'); slash != std::string_view::npos) name.remove_prefix(slash + 1);
  }
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a: the same side in every run and build
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ULL;
  return static_cast<std::size_t>(h % sides_.size());
}

void Node::RunOnSide(std::size_t side, std::function<void()> f) const {
  // One side needs no scope (Here answers 0): no wrapper on the intake path.
  if (sides_.size() == 1) return match_shard(0).RunOnOwner(std::move(f));
  match_shard(side).RunOnOwner([side, f = std::move(f)] {
    SideScope scope(side);
    f();
  });
}

void Node::RunOnTicket(const std::string& ticket_id, std::function<void()> f) const {
  RunOnSide(SideOfTicket(ticket_id), std::move(f));
}

std::size_t Node::SideOfTicket(const std::string& ticket_id) const {
  if (sides_.size() == 1) return 0;
  // Staged first, then committed (a start that reuses a committed ticket's id on another side
  // holds the id for a moment before it is refused: the committed ticket's side wins).
  auto staged = tickets_.StagedSide(ticket_id);
  auto t = ticket_view_.Find(ticket_id);
  if (t && t->ok()) return MatchmakingSideOf((*t)->configuration_name);
  return staged.value_or(0);
}

std::size_t Node::Here(const std::string& configuration) const {
  return t_side >= 0 ? static_cast<std::size_t>(t_side) : MatchmakingSideOf(configuration);
}

std::size_t Node::HereForTicket(const std::string& ticket_id) const {
  return t_side >= 0 ? static_cast<std::size_t>(t_side) : SideOfTicket(ticket_id);
}

void Node::BeginStop() {
  stopping_ = true;
  live_.Stop();
  if (split()) {
    for (auto& side : sides_) side->shard->Stop();
  }
}

std::uint64_t Node::matchmaking_reloads() const {
  std::uint64_t n = 0;
  if (split()) {
    for (const auto& side : sides_) n += side->shard->reloads();
  }
  return n;
}

bool Node::fenced() const {
  if (live_.fenced()) return true;
  if (split()) {
    for (const auto& side : sides_) {
      if (side->shard->fenced()) return true;
    }
  }
  return false;
}

std::uint64_t Node::flushes() const {
  std::uint64_t n = live_.flushes();
  if (split()) {
    for (const auto& side : sides_) n += side->shard->flushes();
  }
  return n;
}

std::uint64_t Node::flushed_changes() const {
  std::uint64_t n = live_.flushed_changes();
  if (split()) {
    for (const auto& side : sides_) n += side->shard->flushed_changes();
  }
  return n;
}

const core::ServerReads& Node::server_reads() const {
  if (split()) return server_view_;
  return *placement_;
}

void Node::ApplyToViews(const std::vector<store::Write>& writes) {
  ticket_view_.Apply(writes);
  fleet_view_.Apply(writes);
  if (split()) server_view_.Apply(writes);
}

Status Node::Start(const NodeSetup& setup) {
  setup_ = setup;
  region_ = setup.region;  // read from other threads (ConfigurationArn): set once, here
  account_ = setup.account;
  MUSTER_RETURN_IF_ERROR(Build(setup, /*reload=*/false));
  return Restore();
}

Status Node::Build(const NodeSetup& setup, bool reload) {
  if (split()) {
    core::Effects server;
    MUSTER_RETURN_IF_ERROR(BuildServer(setup, &server));
    MUSTER_RETURN_IF_ERROR(live_.CommitNow(std::move(server)));
    for (std::size_t i = 0; i < sides_.size(); ++i) {
      core::Effects matchmaking;
      MUSTER_RETURN_IF_ERROR(BuildMatchmaking(i, setup, reload, &matchmaking));
      MUSTER_RETURN_IF_ERROR(sides_[i]->shard->CommitNow(std::move(matchmaking)));
    }
    return OkStatus();
  }
  core::Effects fx;
  sides_.front()->core.reset();  // it reads the placement core
  MUSTER_RETURN_IF_ERROR(BuildServer(setup, &fx));
  MUSTER_RETURN_IF_ERROR(BuildMatchmaking(0, setup, reload, &fx));
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

Status Node::BuildMatchmaking(std::size_t i, const NodeSetup& setup, bool reload, core::Effects* fx) {
  Side& side = *sides_.at(i);
  if (side.shard) side.shard->bus() = bus::Bus();
  side.core = std::make_unique<matchmaking::MatchmakingCore>(env_, server_reads(), region_, account_);
  if (sides_.size() > 1) {
    side.core->SetOwns([this, i](const std::string& configuration) { return MatchmakingSideOf(configuration) == i; });
  }
  side.core->Subscribe(match_shard(i).bus());
  if (reload) {
    // What the management API changed since the start is in the store; the set-up's own rule
    // sets and configurations were stored at Start and may have been updated since.
    NodeSetup stored_only = setup;
    stored_only.rule_sets.clear();
    stored_only.configurations.clear();
    return definitions_.SetUp(i, stored_only, fx);
  }
  return definitions_.SetUp(i, setup, fx);
}

void Node::Publish(const Committed& c, bool from_server) {
  Guarded("updating the views", [&] { ApplyToViews(c.viewed); });
  if (c.events && events_committed_) Guarded("waking the dispatcher", events_committed_);
  Guarded("announcing a commit", [&] { Announce(c.pushes); });
  if (!split() || c.forwarded.empty()) return;
  if (!from_server) return Forward(live_, c.forwarded);
  // An outcome names a placement only: every side gets it and ignores the matches it does not hold.
  for (auto& side : sides_) Forward(*side->shard, c.forwarded);
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
  return RestoreMatchmaking(std::nullopt);
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
  if (split()) server_view_.Replace(pending, sessions, players);
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

Status Node::RestoreMatchmaking(std::optional<std::size_t> only) {
  // The live tickets are read once and handed to the sides that own their configurations.
  std::size_t skipped = 0;
  std::vector<std::vector<matchmaking::Ticket>> tickets(sides_.size());
  for (const char* st : {"QUEUED", "SEARCHING", "REQUIRES_ACCEPTANCE", "PLACING"}) {
    MUSTER_ASSIGN_OR_RETURN(auto rows, AllWithStatus(store_, Table::kTickets, st));
    for (const auto& r : rows) {
      auto t = Readable(matchmaking::MatchmakingCore::FromRow(r), "matchmaking ticket", r, &skipped);
      if (!t) continue;
      const std::size_t side = MatchmakingSideOf(t->configuration_name);
      if (only && side != *only) continue;
      tickets[side].push_back(std::move(*t));
      ticket_view_.Put(r);
    }
  }
  for (std::size_t side = 0; side < sides_.size(); ++side) {
    if (only && side != *only) continue;
    std::size_t n_t = tickets[side].size();
    MUSTER_RETURN_IF_ERROR(match_shard(side).CommitNow(core(side).Restore(std::move(tickets[side]))));
    if (n_t > 0) {
      MLOG(kInfo) << "restored from " << store_.Engine() << ": " << n_t << " tickets"
                  << (sides_.size() > 1 ? " of matchmaking side " + std::to_string(side) : std::string());
    }
  }
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
  if (reloaded && schedule_run_) schedule_run_(0);
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
  // each matchmaking side asks again for every match it is placing (answered from what committed).
  for (std::size_t i = 0; i < sides_.size(); ++i) {
    RunOnSide(i, [this, i] {
      // Fenced, its own reload asks again; a full writer refuses the batch, which fences it too.
      Shard& shard = *sides_[i]->shard;
      if (stopping_ || shard.fenced()) return;
      shard.Commit(core(i).RepeatPlacements(), /*fatal=*/true, nullptr, /*wait=*/false);
    });
  }
}

void Node::ReloadMatchmaking(std::size_t side) {
  Shard& shard = *sides_.at(side)->shard;
  const std::string what = sides_.size() > 1 ? "matchmaking side " + std::to_string(side) : "matchmaking";
  bool reloaded = ReloadShard(shard, what.c_str(), [this, side, &shard]() -> Status {
    core::Effects fx;
    MUSTER_RETURN_IF_ERROR(BuildMatchmaking(side, setup_, /*reload=*/true, &fx));
    MUSTER_RETURN_IF_ERROR(shard.CommitNow(std::move(fx)));
    return RestoreMatchmaking(side);  // asks again for the matches it is placing
  });
  if (reloaded && schedule_run_) schedule_run_(side);
}

void Node::RunMatchmaking(std::size_t side) {
  Shard& shard = match_shard(side);
  if (!shard.Serving().ok()) return;  // the next tick or run tries again
  core::Effects fx;
  // Waiting placements first: capacity freed since the last pump goes to the oldest of them.
  // (Split, the server side pumps on its own: requests, processes, ticks.)
  if (!split()) fx = placement_->Pump();
  fx.Append(core(side).Run());
  shard.Commit(std::move(fx), /*fatal=*/true, nullptr, /*wait=*/false);  // nobody waits for an answer
}

void Node::Tick() {
  live_.ReloadIfFenced();
  if (split()) {
    for (std::size_t i = 0; i < sides_.size(); ++i) {
      if (sides_[i]->tick_pending.exchange(true)) continue;
      RunOnSide(i, [this, i] {
        sides_[i]->tick_pending = false;
        TickMatchmaking(i);
      });
    }
  }
  if (!live_.Serving().ok()) return;
  core::Effects fx = fleet_->Tick();
  fx.Append(placement_->Pump());
  if (!split()) fx.Append(core(0).Run());
  live_.Commit(std::move(fx), /*fatal=*/true, nullptr, /*wait=*/false);
}

void Node::TickMatchmaking(std::size_t side) {
  Shard& shard = *sides_.at(side)->shard;
  shard.ReloadIfFenced();
  if (!shard.Serving().ok()) return;
  shard.Commit(core(side).Run(), /*fatal=*/true, nullptr, /*wait=*/false);
}

}  // namespace muster::node
