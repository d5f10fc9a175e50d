#include "fleet/fleet_core.h"

#include <algorithm>

#include "common/crypto.h"
#include "fleet/protocol.h"

namespace muster::fleet {

core::Endpoint EndpointOf(const GameSession& gs) {
  return {gs.game_session_id, gs.ip_address, gs.dns_name, gs.port, gs.location};
}

namespace {
core::GameSessionActivated ActivatedNotice(const GameSession& gs,
                                           const std::map<std::string, PlayerSession>& players) {
  core::GameSessionActivated n{gs.placement_id, EndpointOf(gs), {}};
  for (const auto& id : gs.player_session_ids) {
    auto it = players.find(id);
    if (it == players.end()) continue;
    n.player_sessions.push_back({it->second.player_id, id});
  }
  return n;
}
}  // namespace

FleetCore::FleetCore(const Env& env, FleetOptions options)
    : clock_(env.clock), random_(env.random), options_(std::move(options)) {}

void FleetCore::Save(core::Effects& fx, const Process& p) {
  ++capacity_epoch_;
  fx.writes.push_back(store::Write::Upsert(store::Table::kProcesses, ProcessRow(p, clock_.NowMillis())));
}
void FleetCore::Save(core::Effects& fx, const GameSession& g) const {
  fx.writes.push_back(store::Write::Upsert(store::Table::kGameSessions, GameSessionRow(g, clock_.NowMillis())));
}
void FleetCore::Save(core::Effects& fx, const PlayerSession& s) const {
  fx.writes.push_back(store::Write::Upsert(store::Table::kPlayerSessions, PlayerSessionRow(s, clock_.NowMillis())));
}

core::Effects FleetCore::PutCompute(Compute compute) {
  core::Effects fx;
  fx.writes.push_back(store::Write::Upsert(store::Table::kComputes, ComputeRow(compute, clock_.NowMillis())));
  computes_[compute.Key()] = std::move(compute);
  return fx;
}

void FleetCore::Restore(std::vector<Compute> computes, std::vector<Process> processes,
                        std::vector<GameSession> sessions, std::vector<PlayerSession> players) {
  for (auto& c : computes) computes_[c.Key()] = std::move(c);
  for (auto& p : processes) {
    if (p.status == ProcessStatus::kTerminated) continue;
    p.connection = 0;
    // Heartbeats are not written to the store; the stored last_seen is old. Give every restored
    // process a full heartbeat timeout to reconnect from now.
    p.last_seen = clock_.NowMillis();
    Schedule(p.last_seen + options_.heartbeat_timeout_ms, Due::kHeartbeat, p.Key());
    if (!p.healthy && p.unhealthy_since != 0) {
      Schedule(p.unhealthy_since + options_.heartbeat_timeout_ms, Due::kUnhealthy, p.Key());
    }
    by_location_[{p.fleet_id, p.location}].insert(p.Key());
    processes_[p.Key()] = std::move(p);
  }
  ++capacity_epoch_;
  for (auto& g : sessions) {
    if (g.status == GameSessionStatus::kTerminated || g.status == GameSessionStatus::kError) continue;
    if (g.status == GameSessionStatus::kActivating) Schedule(g.activation_deadline, Due::kActivation, g.game_session_id);
    sessions_[g.game_session_id] = std::move(g);
  }
  for (auto& s : players) {
    if (!sessions_.count(s.game_session_id)) continue;
    if (s.status == PlayerSessionStatus::kReserved) {
      Schedule(s.creation_time + options_.reserved_timeout_ms, Due::kReservation, s.player_session_id);
    }
    players_[s.player_session_id] = std::move(s);
  }
}

Status FleetCore::Authenticate(std::string_view fleet_id, std::string_view compute_name,
                               std::string_view token) const {
  auto it = computes_.find(std::string(fleet_id) + "/" + std::string(compute_name));
  return CheckComputeToken(it == computes_.end() ? nullptr : &it->second, fleet_id, compute_name, token,
                           clock_.NowMillis());
}

Result<core::Effects> FleetCore::Connect(std::uint64_t connection, const std::string& fleet_id,
                                         const std::string& compute_name,
                                         const std::string& process_id, std::string* key) {
  if (process_id.empty() || process_id.size() > 128) {
    return Error::InvalidArgument("pID must be 1 to 128 characters");
  }
  auto cit = computes_.find(fleet_id + "/" + compute_name);
  if (cit == computes_.end()) return Error::Forbidden("unknown compute '" + compute_name + "'");
  const Compute& compute = cit->second;
  std::string k = ProcessKey(fleet_id, compute_name, process_id);
  core::Effects fx;
  auto it = processes_.find(k);
  if (it == processes_.end()) {
    Process p;
    p.fleet_id = fleet_id;
    p.compute_name = compute_name;
    p.process_id = process_id;
    p.location = compute.location;
    p.ip_address = compute.ip_address;
    p.dns_name = compute.dns_name;
    p.status = ProcessStatus::kConnected;
    by_location_[{p.fleet_id, p.location}].insert(k);
    it = processes_.emplace(k, std::move(p)).first;
    Schedule(clock_.NowMillis() + options_.heartbeat_timeout_ms, Due::kHeartbeat, k);
  }
  Process& p = it->second;
  p.connection = connection;
  p.last_seen = clock_.NowMillis();
  Save(fx, p);
  if (!p.game_session_id.empty()) {
    auto g = sessions_.find(p.game_session_id);
    if (g != sessions_.end() && g->second.status == GameSessionStatus::kActivating) {
      fx.pushes.push_back({k, CreateGameSessionFrame(g->second)});
    }
  }
  *key = k;
  return fx;
}

void FleetCore::Reattach(std::uint64_t connection, const std::string& key) {
  auto it = processes_.find(key);
  if (it != processes_.end()) it->second.connection = connection;
  ++capacity_epoch_;
}

void FleetCore::Disconnect(std::uint64_t connection, const std::string& key) {
  auto it = processes_.find(key);
  if (it != processes_.end() && it->second.connection == connection) it->second.connection = 0;
}

Result<core::Effects> FleetCore::ActivateServerProcess(const std::string& key, int port,
                                                       const std::string& sdk_version,
                                                       const std::string& sdk_language) {
  auto it = processes_.find(key);
  if (it == processes_.end()) return Error::NotFound("process " + key + " is not connected");
  Process& p = it->second;
  if (port < 1 || port > 65535) return Error::InvalidArgument("Port must be between 1 and 65535");
  core::Effects fx;
  p.port = port;
  p.sdk_version = sdk_version;
  p.sdk_language = sdk_language;
  p.status = ProcessStatus::kActive;
  p.last_seen = clock_.NowMillis();
  Save(fx, p);
  return fx;
}

Result<core::Effects> FleetCore::Heartbeat(const std::string& key, bool healthy) {
  auto it = processes_.find(key);
  if (it == processes_.end()) return Error::NotFound("process " + key + " is not connected");
  Process& p = it->second;
  p.last_seen = clock_.NowMillis();
  core::Effects fx;
  if (p.healthy != healthy) {
    p.healthy = healthy;
    p.unhealthy_since = healthy ? 0 : clock_.NowMillis();
    if (!healthy) Schedule(p.unhealthy_since + options_.heartbeat_timeout_ms, Due::kUnhealthy, key);
    Save(fx, p);
  }
  return fx;
}

Result<GameSession*> FleetCore::HostedSession(const std::string& key, const std::string& gs_id) {
  auto it = processes_.find(key);
  if (it == processes_.end()) return Error::NotFound("process " + key + " is not connected");
  auto g = sessions_.find(gs_id);
  if (g == sessions_.end() || g->second.process_key != key) {
    return Error::Forbidden("game session " + gs_id + " is not hosted by this process");
  }
  return &g->second;
}

Result<core::Effects> FleetCore::ActivateGameSession(const std::string& key, const std::string& gs_id) {
  MUSTER_ASSIGN_OR_RETURN(GameSession * gs, HostedSession(key, gs_id));
  core::Effects fx;
  if (gs->status == GameSessionStatus::kActive) return fx;  // a re-sent request: idempotent
  if (gs->status != GameSessionStatus::kActivating) {
    return Error::Conflict("game session " + gs_id + " is " + GameSessionStatusName(gs->status));
  }
  Millis now = clock_.NowMillis();
  gs->status = GameSessionStatus::kActive;
  for (const auto& d : gs->desired_players) Reserve(fx, *gs, d, now);
  Save(fx, *gs);
  fx.notices.push_back(ActivatedNotice(*gs, players_));
  return fx;
}

std::string FleetCore::Reserve(core::Effects& fx, GameSession& gs, const DesiredPlayer& d, Millis now) {
  PlayerSession s;
  s.player_session_id = "psess-" + random_.Uuid7(clock_.NowMillis());
  s.player_id = d.player_id;
  s.player_data = d.player_data;
  s.game_session_id = gs.game_session_id;
  s.fleet_id = gs.fleet_id;
  s.status = PlayerSessionStatus::kReserved;
  s.creation_time = now;
  gs.player_session_ids.push_back(s.player_session_id);
  Save(fx, s);
  std::string id = s.player_session_id;
  Schedule(now + options_.reserved_timeout_ms, Due::kReservation, id);
  players_[id] = std::move(s);
  return id;
}

Result<core::Effects> FleetCore::AcceptPlayerSession(const std::string& key, const std::string& gs_id,
                                                     const std::string& ps_id) {
  MUSTER_ASSIGN_OR_RETURN(GameSession * gs, HostedSession(key, gs_id));
  if (gs->status != GameSessionStatus::kActive) {
    return Error::InvalidArgument("game session " + gs_id + " is not ACTIVE");
  }
  auto it = players_.find(ps_id);
  if (it == players_.end()) return Error::NotFound("player session " + ps_id + " does not exist");
  PlayerSession& s = it->second;
  if (s.game_session_id != gs_id) {
    return Error::InvalidArgument("player session " + ps_id + " belongs to another game session");
  }
  if (s.status != PlayerSessionStatus::kReserved) {
    return Error::InvalidArgument("player session " + ps_id + " is " + PlayerSessionStatusName(s.status) +
                                  "; only a RESERVED player session can be accepted");
  }
  core::Effects fx;
  if (clock_.NowMillis() - s.creation_time > options_.reserved_timeout_ms) {
    // Refused without changing state here: Tick times it out and stores that.
    return Error::InvalidArgument("player session " + ps_id + " timed out before it was accepted");
  }
  s.status = PlayerSessionStatus::kActive;
  Save(fx, s);
  return fx;
}

Result<core::Effects> FleetCore::RemovePlayerSession(const std::string& key, const std::string& gs_id,
                                                     const std::string& ps_id) {
  MUSTER_ASSIGN_OR_RETURN(GameSession * gs, HostedSession(key, gs_id));
  (void)gs;
  auto it = players_.find(ps_id);
  if (it == players_.end() || it->second.game_session_id != gs_id) {
    return Error::NotFound("player session " + ps_id + " is not in game session " + gs_id);
  }
  PlayerSession& s = it->second;
  core::Effects fx;
  if (s.status == PlayerSessionStatus::kCompleted) return fx;  // idempotent
  s.status = PlayerSessionStatus::kCompleted;
  s.termination_time = clock_.NowMillis();
  Save(fx, s);
  return fx;
}

core::Effects FleetCore::EndGameSession(GameSession& gs, GameSessionStatus status,
                                        const std::string& reason) {
  core::Effects fx;
  Millis now = clock_.NowMillis();
  bool was_activating = gs.status == GameSessionStatus::kActivating;
  gs.status = status;
  gs.status_reason = reason;
  gs.termination_time = now;
  for (const auto& id : gs.player_session_ids) {
    auto it = players_.find(id);
    if (it == players_.end()) continue;
    PlayerSession& s = it->second;
    if (HoldsSlot(s.status)) {
      s.status = s.status == PlayerSessionStatus::kReserved ? PlayerSessionStatus::kTimedOut
                                                            : PlayerSessionStatus::kCompleted;
      s.termination_time = now;
      Save(fx, s);
    }
    players_.erase(it);
  }
  Save(fx, gs);
  if (was_activating) {
    fx.notices.push_back(core::GameSessionFailed{gs.placement_id, gs.game_session_id, reason});
  } else {
    fx.notices.push_back(core::GameSessionEnded{gs.placement_id, gs.game_session_id, reason});
  }
  auto p = processes_.find(gs.process_key);
  if (p != processes_.end() && p->second.game_session_id == gs.game_session_id) {
    p->second.game_session_id.clear();
    Save(fx, p->second);
  }
  sessions_.erase(gs.game_session_id);
  return fx;
}

core::Effects FleetCore::TerminateProcess(Process& p, const std::string& reason) {
  core::Effects fx;
  if (!p.game_session_id.empty()) {
    auto g = sessions_.find(p.game_session_id);
    if (g != sessions_.end()) {
      GameSessionStatus end = g->second.status == GameSessionStatus::kActivating
                                  ? GameSessionStatus::kError
                                  : GameSessionStatus::kTerminated;
      fx.Append(EndGameSession(g->second, end, reason));
    }
  }
  p.status = ProcessStatus::kTerminated;
  p.game_session_id.clear();
  Save(fx, p);
  auto loc = by_location_.find({p.fleet_id, p.location});
  if (loc != by_location_.end()) {
    loc->second.erase(p.Key());
    if (loc->second.empty()) by_location_.erase(loc);
  }
  processes_.erase(p.Key());
  return fx;
}

Result<core::Effects> FleetCore::TerminateServerProcess(const std::string& key) {
  auto it = processes_.find(key);
  if (it == processes_.end()) return Error::NotFound("process " + key + " is not connected");
  return TerminateProcess(it->second, "process ended");
}

Result<core::Effects> FleetCore::UpdatePlayerSessionCreationPolicy(const std::string& key,
                                                                   const std::string& gs_id,
                                                                   const std::string& policy) {
  MUSTER_ASSIGN_OR_RETURN(GameSession * gs, HostedSession(key, gs_id));
  if (policy != "ACCEPT_ALL" && policy != "DENY_ALL") {
    return Error::InvalidArgument("PlayerSessionPolicy must be ACCEPT_ALL or DENY_ALL");
  }
  core::Effects fx;
  gs->player_session_policy = policy;
  Save(fx, *gs);
  return fx;
}

core::Effects FleetCore::Tick() {
  core::Effects fx;
  const Millis now = clock_.NowMillis();
  const Millis timeout = options_.heartbeat_timeout_ms;
  // Due means past the deadline (the conditions are strict: now - last_seen > timeout).
  while (!deadlines_.empty() && deadlines_.top().at < now) {
    Deadline d = deadlines_.top();
    deadlines_.pop();
    scheduled_.erase({d.kind, d.id});
    switch (d.kind) {
      case Due::kHeartbeat: {
        auto it = processes_.find(d.id);
        if (it == processes_.end()) break;
        const Millis at = it->second.last_seen + timeout;
        if (at < now) {
          fx.Append(TerminateProcess(it->second, "no heartbeat from the server process"));
        } else {
          Schedule(at, Due::kHeartbeat, d.id);  // heard from since: wait for the new deadline
        }
        break;
      }
      case Due::kUnhealthy: {
        auto it = processes_.find(d.id);
        if (it == processes_.end() || it->second.healthy || it->second.unhealthy_since == 0) break;
        const Millis at = it->second.unhealthy_since + timeout;
        if (at < now) {
          fx.Append(TerminateProcess(it->second, "the server process reported unhealthy for too long"));
        } else if (at != d.at) {
          Schedule(at, Due::kUnhealthy, d.id);
        }
        break;
      }
      case Due::kActivation: {
        auto it = sessions_.find(d.id);
        if (it == sessions_.end() || it->second.status != GameSessionStatus::kActivating) break;
        if (it->second.activation_deadline < now) {
          fx.Append(EndGameSession(it->second, GameSessionStatus::kError,
                                   "the server process did not activate the game session in time"));
        } else {
          Schedule(it->second.activation_deadline, Due::kActivation, d.id);
        }
        break;
      }
      case Due::kReservation: {
        auto it = players_.find(d.id);
        if (it == players_.end() || it->second.status != PlayerSessionStatus::kReserved) break;
        PlayerSession& s = it->second;
        if (s.creation_time + options_.reserved_timeout_ms < now) {
          s.status = PlayerSessionStatus::kTimedOut;
          s.termination_time = now;
          Save(fx, s);
        } else {
          Schedule(s.creation_time + options_.reserved_timeout_ms, Due::kReservation, d.id);
        }
        break;
      }
    }
  }
  return fx;
}

std::vector<const Process*> FleetCore::Available(const std::string& fleet_id,
                                                 const std::string& location) const {
  std::vector<const Process*> out;
  auto loc = by_location_.find({fleet_id, location});
  if (loc == by_location_.end()) return out;
  for (const auto& key : loc->second) {
    auto it = processes_.find(key);
    if (it != processes_.end() && it->second.Available()) out.push_back(&it->second);
  }
  std::sort(out.begin(), out.end(), [](const Process* a, const Process* b) {
    return a->last_seen < b->last_seen;
  });
  return out;
}

Result<core::Effects> FleetCore::StartGameSession(const std::string& process_key, GameSessionSpec spec,
                                                  std::string* game_session_id) {
  auto it = processes_.find(process_key);
  if (it == processes_.end() || !it->second.Available()) {
    return Error::Conflict("process " + process_key + " cannot take a game session");
  }
  if (spec.max_players < 1 || spec.max_players > options_.max_players_per_session) {
    return Error::InvalidArgument("MaximumPlayerSessionCount must be between 1 and " +
                                  std::to_string(options_.max_players_per_session));
  }
  if (static_cast<int>(spec.players.size()) > spec.max_players) {
    return Error::InvalidArgument("more players than MaximumPlayerSessionCount");
  }
  Process& p = it->second;
  Millis now = clock_.NowMillis();
  GameSession gs;
  gs.game_session_id = "arn:aws:gamelift:" + options_.region + "::gamesession/" + p.fleet_id + "/gsess-" + random_.Uuid7(clock_.NowMillis());
  gs.name = std::move(spec.name);
  gs.fleet_id = p.fleet_id;
  gs.location = p.location;
  gs.process_key = process_key;
  gs.ip_address = p.ip_address;
  gs.dns_name = p.dns_name;
  gs.port = p.port;
  gs.max_players = spec.max_players;
  gs.status = GameSessionStatus::kActivating;
  gs.creation_time = now;
  gs.activation_deadline = now + options_.activation_timeout_ms;
  gs.placement_id = std::move(spec.placement_id);
  gs.matchmaker_data = std::move(spec.matchmaker_data);
  gs.game_session_data = std::move(spec.game_session_data);
  gs.game_properties = std::move(spec.game_properties);
  gs.desired_players = std::move(spec.players);
  p.game_session_id = gs.game_session_id;
  core::Effects fx;
  Save(fx, gs);
  Save(fx, p);
  fx.pushes.push_back({process_key, CreateGameSessionFrame(gs)});
  *game_session_id = gs.game_session_id;
  Schedule(gs.activation_deadline, Due::kActivation, gs.game_session_id);
  sessions_[gs.game_session_id] = std::move(gs);
  return fx;
}

std::string FleetCore::CreateGameSessionFrame(const GameSession& gs) const {
  CreateGameSession push;
  push.game_session_id = gs.game_session_id;
  push.game_session_name = gs.name;
  push.maximum_player_session_count = gs.max_players;
  push.port = gs.port;
  push.ip_address = gs.ip_address;
  push.dns_name = gs.dns_name;
  push.game_session_data = gs.game_session_data;
  push.matchmaker_data = gs.matchmaker_data;
  for (const auto& [k, v] : gs.game_properties) push.game_properties[k] = v;
  ServerMessage m;
  m.action = "CreateGameSession";
  m.body = std::move(push);
  return Encode(m);
}

std::string FleetCore::UpdateGameSessionFrame(const GameSession& gs, const std::string& reason,
                                              const std::string& backfill_ticket_id) const {
  UpdateGameSession push;
  GameSessionInfo& info = push.game_session;
  info.game_session_id = gs.game_session_id;
  info.name = gs.name;
  info.fleet_id = gs.fleet_id;
  info.maximum_player_session_count = gs.max_players;
  info.port = gs.port;
  info.ip_address = gs.ip_address;
  info.dns_name = gs.dns_name;
  info.game_session_data = gs.game_session_data;
  info.matchmaker_data = gs.matchmaker_data;
  for (const auto& [k, v] : gs.game_properties) info.game_properties[k] = v;
  info.location = gs.location;
  info.status = GameSessionStatusName(gs.status);
  info.status_reason = gs.status_reason;
  push.update_reason = reason;
  push.backfill_ticket_id = backfill_ticket_id;
  ServerMessage m;
  m.action = "UpdateGameSession";
  m.body = std::move(push);
  return Encode(m);
}

core::Effects FleetCore::OnRequest(const core::Notice& request) const {
  const auto* status = std::get_if<core::BackfillStatus>(&request);
  if (!status) return {};
  return NotifyGameSession(status->game_session_arn, status->reason, status->backfill_ticket_id);
}

void FleetCore::Subscribe(bus::Bus& bus) const {
  bus.Subscribe("fleet-requests", [this](const core::Notice& n) { return OnRequest(n); });
}

int FleetCore::OccupiedSlots(const GameSession& gs) const {
  int n = 0;
  for (const auto& id : gs.player_session_ids) {
    auto it = players_.find(id);
    if (it != players_.end() && HoldsSlot(it->second.status)) ++n;
  }
  return n;
}

Result<core::Effects> FleetCore::AddPlayers(const std::string& gs_id,
                                            const std::vector<DesiredPlayer>& players,
                                            std::string matchmaker_data,
                                            const std::string& backfill_ticket_id,
                                            std::vector<std::pair<std::string, std::string>>* placed) {
  auto g = sessions_.find(gs_id);
  if (g == sessions_.end()) return Error::NotFound("game session " + gs_id + " does not exist");
  GameSession& gs = g->second;
  if (gs.status != GameSessionStatus::kActive) {
    return Error::InvalidArgument("game session " + gs_id + " is " + GameSessionStatusName(gs.status) +
                                  ", not ACTIVE");
  }
  if (gs.player_session_policy != "ACCEPT_ALL") {
    return Error::InvalidArgument("game session " + gs_id + " does not accept new players (DENY_ALL)");
  }
  int free = gs.max_players - OccupiedSlots(gs);
  if (static_cast<int>(players.size()) > free) {
    return Error::LimitExceeded("game session " + gs_id + " has " + std::to_string(free) +
                                " free slots; " + std::to_string(players.size()) + " players asked");
  }
  Millis now = clock_.NowMillis();
  core::Effects fx;
  for (const auto& d : players) placed->emplace_back(d.player_id, Reserve(fx, gs, d, now));
  gs.matchmaker_data = std::move(matchmaker_data);
  Save(fx, gs);
  fx.pushes.push_back({gs.process_key, UpdateGameSessionFrame(gs, "MATCHMAKING_DATA_UPDATED", backfill_ticket_id)});
  return fx;
}

core::Effects FleetCore::NotifyGameSession(const std::string& gs_id, const std::string& reason,
                                           const std::string& backfill_ticket_id) const {
  core::Effects fx;
  auto g = sessions_.find(gs_id);
  if (g == sessions_.end() || g->second.status != GameSessionStatus::kActive) return fx;
  fx.pushes.push_back({g->second.process_key, UpdateGameSessionFrame(g->second, reason, backfill_ticket_id)});
  return fx;
}

const Process* FleetCore::FindProcess(const std::string& key) const {
  auto it = processes_.find(key);
  return it == processes_.end() ? nullptr : &it->second;
}
const GameSession* FleetCore::FindGameSession(const std::string& id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}
const PlayerSession* FleetCore::FindPlayerSession(const std::string& id) const {
  auto it = players_.find(id);
  return it == players_.end() ? nullptr : &it->second;
}

std::vector<LocationEndpoint> FleetCore::LocationEndpoints() const {
  std::map<std::string, LocationEndpoint> by_loc;
  for (const auto& [key, p] : processes_) {
    if (p.status != ProcessStatus::kActive || p.connection == 0 || by_loc.count(p.location)) continue;
    by_loc[p.location] = {p.location, p.ip_address, p.port};
  }
  std::vector<LocationEndpoint> out;
  for (auto& [loc, e] : by_loc) out.push_back(e);
  return out;
}

}  // namespace muster::fleet
