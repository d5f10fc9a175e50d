#include "placement/placement_core.h"

#include "core/event_codec.h"

#include <algorithm>
#include <limits>
#include <map>

namespace muster::placement {

const char* PlacementStatusName(PlacementStatus s) {
  switch (s) {
    case PlacementStatus::kPending: return "PENDING";
    case PlacementStatus::kFulfilled: return "FULFILLED";
    case PlacementStatus::kCancelled: return "CANCELLED";
    case PlacementStatus::kTimedOut: return "TIMED_OUT";
    case PlacementStatus::kFailed: return "FAILED";
  }
  return "?";
}

PlacementCore::PlacementCore(const Env& env, fleet::FleetCore& fleets)
    : clock_(env.clock), fleets_(fleets) {}

void PlacementCore::PutFleet(const std::string& fleet_id, std::vector<std::string> locations) {
  fleet_locations_[fleet_id] = std::move(locations);
  ++definitions_epoch_;
}

core::Effects PlacementCore::PutQueue(QueueConfig queue) {
  ++definitions_epoch_;
  std::stable_sort(queue.policies.begin(), queue.policies.end(),
                   [](const LatencyPolicy& a, const LatencyPolicy& b) {
                     return a.max_latency_ms < b.max_latency_ms;
                   });
  core::Effects fx;
  json::array fleets, locs, pols;
  for (const auto& f : queue.fleets) fleets.push_back(json::value(f));
  for (const auto& l : queue.allowed_locations) locs.push_back(json::value(l));
  for (const auto& p : queue.policies) {
    pols.push_back(json::object{{"MaximumIndividualPlayerLatencyMilliseconds", p.max_latency_ms},
                                {"PolicyDurationSeconds", p.duration_ms / 1000}});
  }
  store::Row row;
  row.id = queue.name;
  row.body = ToJson(json::object{{"Name", queue.name},
                                 {"GameSessionQueueArn", queue.arn},
                                 {"TimeoutInSeconds", queue.timeout_ms / 1000},
                                 {"Destinations", std::move(fleets)},
                                 {"AllowedLocations", std::move(locs)},
                                 {"PlayerLatencyPolicies", std::move(pols)}});
  row.updated = clock_.NowMillis();
  fx.writes.push_back(store::Write::Upsert(store::Table::kQueues, std::move(row)));
  queues_[queue.name] = std::move(queue);
  return fx;
}

const QueueConfig* PlacementCore::FindQueue(const std::string& name) const {
  auto it = queues_.find(name);
  return it == queues_.end() ? nullptr : &it->second;
}

std::vector<std::string> PlacementCore::QueueLocations(const std::string& name) const {
  std::vector<std::string> out;
  const QueueConfig* q = FindQueue(name);
  if (!q) return out;
  for (const auto& f : q->fleets) {
    auto it = fleet_locations_.find(f);
    if (it == fleet_locations_.end()) continue;
    for (const auto& l : it->second) {
      bool allowed = q->allowed_locations.empty() ||
                     std::find(q->allowed_locations.begin(), q->allowed_locations.end(), l) !=
                         q->allowed_locations.end();
      if (allowed && std::find(out.begin(), out.end(), l) == out.end()) out.push_back(l);
    }
  }
  return out;
}

std::vector<core::MatchPlacement> PlacementCore::MatchPlacementsPending() const {
  std::vector<core::MatchPlacement> out;
  for (const auto& [id, p] : placements_) {
    if (!p.request.matchmaker_data.empty()) {
      out.push_back({id, core::MatchmakerDataConfigurationArn(p.request.matchmaker_data)});
    }
  }
  return out;
}

std::optional<core::QueueInfo> PlacementCore::Queue(const std::string& name) const {
  const QueueConfig* q = FindQueue(name);
  if (!q) return std::nullopt;
  return core::QueueInfo{q->arn, QueueLocations(name)};
}

void PlacementCore::Save(core::Effects& fx, const Placement& p) const {
  fx.writes.push_back(store::Write::Upsert(store::Table::kPlacements, ToRow(p, clock_.NowMillis())));
}

Result<core::Effects> PlacementCore::Start(PlacementRequest request) {
  if (!queues_.count(request.queue_name)) {
    return Error::NotFound("game session queue '" + request.queue_name + "' does not exist");
  }
  if (request.placement_id.empty() || placements_.count(request.placement_id)) {
    return Error::Conflict("placement id '" + request.placement_id + "' is empty or in use");
  }
  Placement p;
  p.request = std::move(request);
  p.start_time = clock_.NowMillis();
  core::Effects fx;
  Save(fx, p);
  Placement& tracked = Track(std::move(p));
  // While older placements wait for capacity, a new one waits its turn (the next Pump serves
  // them in arrival order), so it cannot take a process that freed up for them.
  const bool older_waiting = waiting_.size() > 1;  // the new one waits too
  if (!older_waiting) fx.Append(TryPlace(tracked));
  return fx;
}

Placement& PlacementCore::Track(Placement p) {
  const std::string id = p.request.placement_id;
  arrival_of_[id] = next_arrival_++;
  Placement& tracked = placements_[id] = std::move(p);
  UpdateWaiting(tracked);
  return tracked;
}

void PlacementCore::Untrack(std::string placement_id) {
  auto it = arrival_of_.find(placement_id);
  if (it != arrival_of_.end()) {
    waiting_.erase(it->second);
    arrival_of_.erase(it);
  }
  placements_.erase(placement_id);
}

void PlacementCore::UpdateWaiting(Placement& p) {
  auto it = arrival_of_.find(p.request.placement_id);
  if (it == arrival_of_.end()) return;
  if (p.game_session_arn.empty()) {
    waiting_[it->second] = &p;
  } else {
    waiting_.erase(it->second);
  }
}

int PlacementCore::CapInForce(const Placement& p, const QueueConfig& q) const {
  // Policies apply one after another for their durations.
  Millis elapsed = clock_.NowMillis() - p.start_time;
  int cap = std::numeric_limits<int>::max();
  bool has_latency = false;
  for (const auto& pl : p.request.players) has_latency = has_latency || !pl.latency_ms.empty();
  if (has_latency && !q.policies.empty()) {
    Millis t = 0;
    for (const auto& pol : q.policies) {
      if (pol.duration_ms == 0 || elapsed < t + pol.duration_ms) {
        cap = pol.max_latency_ms;
        break;
      }
      t += pol.duration_ms;
    }
  }
  return cap;
}

std::vector<PlacementCore::Candidate> PlacementCore::Candidates(const Placement& p,
                                                                const QueueConfig& q) const {
  const int cap = CapInForce(p, q);
  std::vector<Candidate> out;
  int order = 0;
  for (const auto& fleet_id : q.fleets) {
    auto it = fleet_locations_.find(fleet_id);
    if (it == fleet_locations_.end()) continue;
    for (const auto& loc : it->second) {
      ++order;
      if (!q.allowed_locations.empty() &&
          std::find(q.allowed_locations.begin(), q.allowed_locations.end(), loc) ==
              q.allowed_locations.end()) {
        continue;
      }
      double sum = 0;
      int n = 0;
      bool ok = true;
      for (const auto& pl : p.request.players) {
        if (pl.latency_ms.empty()) continue;
        auto l = pl.latency_ms.find(loc);
        // A player who reported latencies but none for this location cannot be judged there.
        if (l == pl.latency_ms.end() || l->second > cap) {
          ok = false;
          break;
        }
        sum += l->second;
        ++n;
      }
      if (!ok) continue;
      out.push_back({fleet_id, loc, n ? sum / n : 0.0, order});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
    if (a.avg_latency != b.avg_latency) return a.avg_latency < b.avg_latency;
    return a.order < b.order;
  });
  return out;
}

core::Effects PlacementCore::TryPlace(Placement& p) {
  core::Effects fx;
  if (!p.game_session_arn.empty()) return fx;  // a game session is activating for it
  const QueueConfig& q = queues_.at(p.request.queue_name);
  p.tried_capacity = fleets_.capacity_epoch();
  p.tried_definitions = definitions_epoch_;
  p.tried_cap = CapInForce(p, q);
  ++tries_;
  for (const auto& c : Candidates(p, q)) {
    auto procs = fleets_.Available(c.fleet_id, c.location);
    if (procs.empty()) continue;
    fleet::GameSessionSpec spec;
    spec.placement_id = p.request.placement_id;
    spec.name = p.request.game_session_name;
    spec.max_players = p.request.max_players;
    for (const auto& pl : p.request.players) spec.players.push_back({pl.player_id, pl.player_data});
    spec.matchmaker_data = p.request.matchmaker_data;
    spec.game_session_data = p.request.game_session_data;
    spec.game_properties = p.request.game_properties;
    std::string gs;
    auto started = fleets_.StartGameSession(procs.front()->Key(), std::move(spec), &gs);
    if (!started.ok()) {
      // Bad request shapes (too many players) cannot succeed anywhere.
      if (started.error().code == ErrorCode::kInvalidArgument) {
        fx.Append(Finish(p, PlacementStatus::kFailed, started.error().message));
        return fx;
      }
      continue;
    }
    p.game_session_arn = gs;
    p.location = c.location;
    UpdateWaiting(p);
    fx.Append(std::move(started).value());
    Save(fx, p);
    return fx;
  }
  return fx;
}

core::Effects PlacementCore::Finish(Placement& p, PlacementStatus status, const std::string& reason) {
  core::Effects fx;
  p.status = status;
  p.end_time = clock_.NowMillis();
  Save(fx, p);
  using Kind = core::PlacementEnded::Kind;
  core::PlacementEnded ended{status == PlacementStatus::kTimedOut   ? Kind::kTimedOut
                             : status == PlacementStatus::kCancelled ? Kind::kCancelled
                                                                     : Kind::kFailed,
                             p.request.placement_id, reason};
  fx.events.push_back({"placement", ToJson(core::PlacementDetail(ended)), clock_.NowMillis()});
  fx.notices.push_back(std::move(ended));
  Untrack(p.request.placement_id);  // last: `p` refers into placements_
  return fx;
}

Result<core::Effects> PlacementCore::Stop(const std::string& placement_id) {
  auto it = placements_.find(placement_id);
  if (it == placements_.end()) return Error::NotFound("no pending placement '" + placement_id + "'");
  return Finish(it->second, PlacementStatus::kCancelled, "stopped");
}

core::Effects PlacementCore::Pump() {
  core::Effects fx;
  Millis now = clock_.NowMillis();
  // Only waiting placements can time out or be placed; walk them in arrival order. Finish and
  // TryPlace change waiting_, so the walk goes by arrival number, looking up the next each time.
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    const std::uint64_t arrival = it->first;
    Placement& p = *it->second;
    const QueueConfig& q = queues_.at(p.request.queue_name);
    if (now - p.start_time >= q.timeout_ms) {
      fx.Append(Finish(p, PlacementStatus::kTimedOut, "no game server process was available in time"));
    } else if (p.tried_capacity != fleets_.capacity_epoch() || p.tried_definitions != definitions_epoch_ ||
               p.tried_cap != CapInForce(p, q)) {
      fx.Append(TryPlace(p));
    }  // else nothing that could change the answer moved since its last try
    it = waiting_.upper_bound(arrival);
  }
  return fx;
}

Result<core::Effects> PlacementCore::Backfill(const std::string& placement_id,
                                              const std::string& game_session_arn,
                                              const std::vector<PlayerRequest>& players,
                                              std::string matchmaker_data,
                                              const std::string& backfill_ticket_id) {
  std::vector<fleet::DesiredPlayer> desired;
  for (const auto& p : players) desired.push_back({p.player_id, p.player_data});
  std::vector<std::pair<std::string, std::string>> placed;
  MUSTER_ASSIGN_OR_RETURN(auto fx, fleets_.AddPlayers(game_session_arn, desired, std::move(matchmaker_data),
                                                      backfill_ticket_id, &placed));
  const fleet::GameSession* gs = fleets_.FindGameSession(game_session_arn);
  core::PlacementFulfilled done{placement_id, fleet::EndpointOf(*gs), {}};
  for (const auto& [player, psess] : placed) done.placed_player_sessions.push_back({player, psess});
  fx.notices.push_back(std::move(done));
  return fx;
}

std::optional<Result<core::Effects>> PlacementCore::BackfillPlaced(const core::BackfillRequested& b) const {
  const fleet::GameSession* gs = fleets_.FindGameSession(b.game_session_arn);
  if (!gs) return std::nullopt;  // Backfill says why
  // The session carries the matchmaker data of the last match put into it: this backfill was
  // carried out when that match is this one (one backfill of a session runs at a time). A new
  // backfill's id is not in it at all: no parse then.
  if (gs->matchmaker_data.find(b.placement_id) == std::string::npos) return std::nullopt;
  auto data = ParseJson(gs->matchmaker_data);
  const json::value* match_id = data.ok() && data->is_object() ? data->as_object().if_contains("matchId") : nullptr;
  if (!match_id || !match_id->is_string() || match_id->get_string() != b.placement_id) return std::nullopt;
  std::map<std::string, std::string> holding;  // player → their session holding a slot in it
  for (const auto& psid : gs->player_session_ids) {
    const fleet::PlayerSession* ps = fleets_.FindPlayerSession(psid);
    if (ps && fleet::HoldsSlot(ps->status)) {
      holding[ps->player_id] = psid;
    }
  }
  core::PlacementFulfilled done{b.placement_id, fleet::EndpointOf(*gs), {}};
  for (const auto& p : b.players) {
    auto it = holding.find(p.player_id);
    if (it == holding.end()) {
      return Result<core::Effects>(Error::Conflict(
          "the backfill was carried out, but player " + p.player_id + " no longer holds a slot in game session " +
          b.game_session_arn + " (its reservation ended)"));
    }
    done.placed_player_sessions.push_back({p.player_id, it->second});
  }
  core::Effects fx;
  fx.notices.push_back(std::move(done));
  return Result<core::Effects>(std::move(fx));
}

void PlacementCore::Subscribe(bus::Bus& bus) {
  bus.Subscribe("fleet", [this](const core::Notice& n) { return OnFleetNotice(n); });
  bus.Subscribe("placement-requests", [this](const core::Notice& n) { return OnRequest(n); });
}

core::Effects PlacementCore::OnRequest(const core::Notice& request) {
  Result<core::Effects> fx = core::Effects{};
  std::string placement_id;
  if (const auto* r = std::get_if<core::PlacementRequested>(&request)) {
    placement_id = r->request.placement_id;
    if (Find(placement_id)) return {};  // asked twice while pending: its outcome comes once
    fx = Start(r->request);
    // A new placement waiting behind older ones is tried in arrival order now, with them, rather
    // than at the next Pump: it may fit capacity they cannot use.
    const Placement* started = fx.ok() ? Find(placement_id) : nullptr;
    if (started && started->game_session_arn.empty() && waiting_.size() > 1) fx->Append(Pump());
  } else if (const auto* b = std::get_if<core::BackfillRequested>(&request)) {
    placement_id = b->placement_id;
    if (auto again = BackfillPlaced(*b)) {
      fx = std::move(*again);
    } else {
      fx = Backfill(b->placement_id, b->game_session_arn, b->players, b->matchmaker_data, b->backfill_ticket_id);
    }
  } else if (const auto* s = std::get_if<core::PlacementStopRequested>(&request)) {
    // Nothing to stop once the placement ended (its outcome is on its way or already handled).
    if (Find(s->placement_id)) fx = Stop(s->placement_id);
    return fx.ok() ? std::move(fx).value() : core::Effects{};
  }
  if (fx.ok()) return std::move(fx).value();
  core::Effects refused;
  refused.notices.push_back(core::PlacementEnded{core::PlacementEnded::Kind::kFailed, placement_id, fx.error().message});
  return refused;
}

std::optional<core::RunningSession> PlacementCore::GameSession(const std::string& arn) const {
  const fleet::GameSession* gs = fleets_.FindGameSession(arn);
  if (!gs) return std::nullopt;
  core::RunningSession out;
  out.active = gs->status == fleet::GameSessionStatus::kActive;
  out.status = fleet::GameSessionStatusName(gs->status);
  out.max_players = gs->max_players;
  out.configuration_arn = core::MatchmakerDataConfigurationArn(gs->matchmaker_data);
  for (const auto& psid : gs->player_session_ids) {
    const fleet::PlayerSession* ps = fleets_.FindPlayerSession(psid);
    if (ps && fleet::HoldsSlot(ps->status)) {
      out.present_players.push_back(ps->player_id);
    }
  }
  return out;
}

core::Effects PlacementCore::OnFleetNotice(const core::Notice& notice) {
  core::Effects fx;
  if (const auto* activated = std::get_if<core::GameSessionActivated>(&notice)) {
    auto it = placements_.find(activated->placement_id);
    if (it == placements_.end()) return fx;
    Placement& p = it->second;
    p.status = PlacementStatus::kFulfilled;
    p.end_time = clock_.NowMillis();
    Save(fx, p);
    core::PlacementFulfilled done{p.request.placement_id, activated->endpoint, activated->player_sessions};
    fx.events.push_back({"placement", ToJson(core::PlacementDetail(done)), clock_.NowMillis()});
    fx.notices.push_back(std::move(done));
    Untrack(p.request.placement_id);
  } else if (const auto* failed = std::get_if<core::GameSessionFailed>(&notice)) {
    auto it = placements_.find(failed->placement_id);
    if (it == placements_.end()) return fx;
    Placement& p = it->second;
    // The chosen process failed to activate: try again elsewhere until the queue times out.
    p.game_session_arn.clear();
    p.location.clear();
    UpdateWaiting(p);
    Save(fx, p);
    fx.Append(TryPlace(p));
  }
  return fx;
}

void PlacementCore::Restore(std::vector<Placement> pending) {
  std::stable_sort(pending.begin(), pending.end(), [](const Placement& a, const Placement& b) {
    if (a.start_time != b.start_time) return a.start_time < b.start_time;
    return a.request.placement_id < b.request.placement_id;
  });
  for (auto& p : pending) {
    if (p.status == PlacementStatus::kPending && queues_.count(p.request.queue_name) &&
        !placements_.count(p.request.placement_id)) {
      Track(std::move(p));
    }
  }
}

const Placement* PlacementCore::Find(const std::string& placement_id) const {
  auto it = placements_.find(placement_id);
  return it == placements_.end() ? nullptr : &it->second;
}

store::Row PlacementCore::ToRow(const Placement& p, Millis now) {
  json::array players;
  for (const auto& pl : p.request.players) {
    json::object lat;
    for (const auto& [loc, ms] : pl.latency_ms) lat[loc] = ms;
    players.push_back(json::object{{"PlayerId", pl.player_id}, {"PlayerData", pl.player_data},
                                   {"LatencyInMs", std::move(lat)}});
  }
  json::array props;
  for (const auto& [k, v] : p.request.game_properties) props.push_back(json::object{{"Key", k}, {"Value", v}});
  store::Row row;
  row.id = p.request.placement_id;
  row.index = p.request.queue_name;
  row.status = PlacementStatusName(p.status);
  row.updated = now;
  row.body = ToJson(json::object{{"PlacementId", p.request.placement_id},
                                 {"GameSessionQueueName", p.request.queue_name},
                                 {"GameSessionName", p.request.game_session_name},
                                 {"MaximumPlayerSessionCount", p.request.max_players},
                                 {"Players", std::move(players)},
                                 {"MatchmakerData", p.request.matchmaker_data},
                                 {"GameSessionData", p.request.game_session_data},
                                 {"GameProperties", std::move(props)},
                                 {"StartTime", p.start_time},
                                 {"EndTime", p.end_time},
                                 {"GameSessionArn", p.game_session_arn},
                                 {"Location", p.location}});
  return row;
}

Result<Placement> PlacementCore::FromRow(const store::Row& row) {
  MUSTER_ASSIGN_OR_RETURN(json::object o, ParseStoredObject(row.body, "placement row " + row.id));
  Placement p;
  p.request.placement_id = StringOr(o, "PlacementId");
  p.request.queue_name = StringOr(o, "GameSessionQueueName");
  p.request.game_session_name = StringOr(o, "GameSessionName");
  p.request.max_players = static_cast<int>(IntOr(o, "MaximumPlayerSessionCount"));
  p.request.matchmaker_data = StringOr(o, "MatchmakerData");
  p.request.game_session_data = StringOr(o, "GameSessionData");
  if (auto* a = o.if_contains("Players"); a && a->is_array()) {
    for (const auto& x : a->get_array()) {
      if (!x.is_object()) continue;
      PlayerRequest pr;
      pr.player_id = StringOr(x.get_object(), "PlayerId");
      pr.player_data = StringOr(x.get_object(), "PlayerData");
      if (auto* l = x.get_object().if_contains("LatencyInMs"); l && l->is_object()) {
        for (const auto& kv : l->get_object()) {
          if (kv.value().is_int64()) pr.latency_ms[std::string(kv.key())] = static_cast<int>(kv.value().get_int64());
        }
      }
      p.request.players.push_back(std::move(pr));
    }
  }
  if (auto* a = o.if_contains("GameProperties"); a && a->is_array()) {
    for (const auto& x : a->get_array()) {
      if (x.is_object()) p.request.game_properties.emplace_back(StringOr(x.get_object(), "Key"), StringOr(x.get_object(), "Value"));
    }
  }
  p.start_time = IntOr(o, "StartTime");
  p.end_time = IntOr(o, "EndTime");
  p.game_session_arn = StringOr(o, "GameSessionArn");
  p.location = StringOr(o, "Location");
  for (auto s : {PlacementStatus::kPending, PlacementStatus::kFulfilled, PlacementStatus::kCancelled,
                 PlacementStatus::kTimedOut, PlacementStatus::kFailed}) {
    if (row.status == PlacementStatusName(s)) p.status = s;
  }
  return p;
}

}  // namespace muster::placement
