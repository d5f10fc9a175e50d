#include "node/game_servers.h"

#include "common/log.h"
#include "node/node.h"

namespace muster::node {

Status GameServers::Authenticate(const std::string& fleet_id, const std::string& compute_name,
                                 const std::string& token) const {
  return node_.fleet_view_.Authenticate(fleet_id, compute_name, token);
}

bool GameServers::ProcessLive(const std::string& key) const { return node_.fleet_view_.ProcessLive(key); }

std::vector<fleet::LocationEndpoint> GameServers::LocationEndpoints() const {
  return node_.fleet_->LocationEndpoints();
}

void GameServers::Reattach() {
  for (const auto& [key, connection] : connections_) node_.fleet_->Reattach(connection, key);
}

Result<std::string> GameServers::Connect(std::uint64_t connection, const std::string& fleet_id,
                                         const std::string& compute_name, const std::string& process_id) {
  MUSTER_RETURN_IF_ERROR(node_.live_.Serving());
  std::string key = fleet::ProcessKey(fleet_id, compute_name, process_id);
  // A process Muster already terminated (e.g. silent past its heartbeat timeout) that comes back
  // with the same pID would otherwise linger: the SDK never activates it again. Tell it to end.
  bool ended_before = false;
  if (!node_.fleet_->FindProcess(key)) {
    MUSTER_ASSIGN_OR_RETURN(auto row, node_.store_.Get(store::Table::kProcesses, key));
    ended_before = row && row->status == fleet::ProcessStatusName(fleet::ProcessStatus::kTerminated);
  }
  MUSTER_ASSIGN_OR_RETURN(auto fx, node_.fleet_->Connect(connection, fleet_id, compute_name, process_id, &key));
  if (ended_before) {
    fleet::ServerMessage m;
    m.action = "TerminateProcess";
    m.body = fleet::TerminateProcess{node_.clock_.NowMillis() / 1000};
    fx.pushes.push_back({key, fleet::Encode(m)});
    MLOG(kWarn) << "process " << key << " reconnected after it was terminated; asking it to end";
  }
  MUSTER_RETURN_IF_ERROR(node_.live_.Apply(std::move(fx)));
  connections_[key] = connection;
  return key;
}

void GameServers::Disconnect(std::uint64_t connection, const std::string& process_key) {
  node_.fleet_->Disconnect(connection, process_key);
  auto it = connections_.find(process_key);
  if (it != connections_.end() && it->second == connection) connections_.erase(it);
}

Status GameServers::Request(const std::string& key, const fleet::ClientMessage& message, json::object* reply) {
  Status out = Error::Internal("the request was not answered");
  Handle(key, message,
         [&](Status st, json::object fields) {
           out = std::move(st);
           *reply = std::move(fields);
         },
         /*wait=*/true);
  return out;
}

void GameServers::RequestAsync(const std::string& key, const fleet::ClientMessage& message, Replied done) {
  Handle(key, message, std::move(done), /*wait=*/false);
}

void GameServers::Handle(const std::string& key, const fleet::ClientMessage& message, Replied done, bool wait) {
  const auto& body = message.body;
  if (std::holds_alternative<fleet::GetFleetRoleCredentials>(body)) {
    // No fleet roles here: the SDK reads an empty AccessKeyId as "not available".
    json::object reply;
    for (const char* f : {"AccessKeyId", "SecretAccessKey", "SessionToken", "AssumedRoleUserArn", "AssumedRoleId"}) {
      reply[f] = "";
    }
    reply["Expiration"] = 0;
    return done(OkStatus(), std::move(reply));
  }
  if (Status serving = node_.live_.Serving(); !serving.ok()) return done(std::move(serving), {});
  Result<core::Effects> fx = core::Effects{};
  if (auto* m = std::get_if<fleet::ActivateServerProcess>(&body)) {
    fx = node_.fleet_->ActivateServerProcess(key, m->port, m->sdk_version, m->sdk_language);
  } else if (auto* m = std::get_if<fleet::HeartbeatServerProcess>(&body)) {
    fx = node_.fleet_->Heartbeat(key, m->health_status);
  } else if (auto* m = std::get_if<fleet::ActivateGameSession>(&body)) {
    fx = node_.fleet_->ActivateGameSession(key, m->game_session_id);
  } else if (auto* m = std::get_if<fleet::AcceptPlayerSession>(&body)) {
    fx = node_.fleet_->AcceptPlayerSession(key, m->game_session_id, m->player_session_id);
  } else if (auto* m = std::get_if<fleet::RemovePlayerSession>(&body)) {
    fx = node_.fleet_->RemovePlayerSession(key, m->game_session_id, m->player_session_id);
  } else if (std::holds_alternative<fleet::TerminateServerProcess>(body)) {
    fx = node_.fleet_->TerminateServerProcess(key);
  } else if (auto* m = std::get_if<fleet::UpdatePlayerSessionCreationPolicy>(&body)) {
    fx = node_.fleet_->UpdatePlayerSessionCreationPolicy(key, m->game_session_id, m->player_session_policy);
  } else if (auto* m = std::get_if<fleet::StartMatchBackfill>(&body)) {
    return StartBackfill(key, *m, std::move(done), wait);
  } else if (auto* m = std::get_if<fleet::StopMatchBackfill>(&body)) {
    return StopBackfill(key, *m, std::move(done), wait);
  } else {
    return done(Error::InvalidArgument(std::string(message.action()) + " is not supported by this Muster version yet"),
                {});
  }
  if (!fx.ok()) return done(fx.take_error(), {});
  // A process that became free may serve a waiting placement right away (in the same commit).
  if (std::holds_alternative<fleet::ActivateServerProcess>(body) ||
      std::holds_alternative<fleet::TerminateServerProcess>(body)) {
    fx->Append(node_.placement_->Pump());
  }
  // Answered once durable, without holding the node's thread meanwhile (unless `wait`).
  node_.live_.Commit(std::move(fx).value(), /*fatal=*/true,
               [done = std::move(done)](Status st) { done(std::move(st), {}); }, wait);
}

void GameServers::OnMatchmaking(const Route& route, std::function<Status(json::object*)> work, Replied done,
                                bool wait) {
  if (wait || !node_.split()) {  // one shard: matchmaking is on this thread
    json::object reply;
    Status st = work(&reply);
    return done(std::move(st), std::move(reply));
  }
  auto run = [this, work = std::move(work), done = std::move(done)]() mutable {
    json::object reply;
    Status st = work(&reply);
    node_.RunOnOwner([done = std::move(done), st = std::move(st), reply = std::move(reply)]() mutable {
      done(std::move(st), std::move(reply));
    });
  };
  if (!route.configuration.empty()) return node_.RunOnConfiguration(route.configuration, std::move(run));
  node_.RunOnTicket(route.ticket_id, std::move(run));
}

Status GameServers::CheckHosts(const std::string& key, const std::string& game_session_arn) const {
  const fleet::GameSession* gs = node_.fleet_->FindGameSession(game_session_arn);
  if (!gs || gs->process_key != key) {
    return Error::Forbidden("game session " + game_session_arn + " is not hosted by this process");
  }
  return OkStatus();
}

void GameServers::StopBackfill(const std::string& key, const fleet::StopMatchBackfill& m, Replied done, bool wait) {
  if (Status hosts = CheckHosts(key, m.game_session_arn); !hosts.ok()) return done(std::move(hosts), {});
  OnMatchmaking(
      Route{"", m.ticket_id},
      [this, m](json::object*) -> Status {
        const auto* t = node_.core(node_.HereForTicket(m.ticket_id)).Find(m.ticket_id);
        if (t && t->backfill_game_session_arn != m.game_session_arn) {
          return Error::Forbidden("ticket " + m.ticket_id + " does not backfill this game session");
        }
        auto stopped = node_.tickets_.StopMatchBackfill(m.ticket_id);
        return stopped.ok() ? OkStatus() : Status(stopped.take_error());
      },
      std::move(done), wait);
}

void GameServers::StartBackfill(const std::string& key, const fleet::StartMatchBackfill& m, Replied done,
                                bool wait) {
  if (Status hosts = CheckHosts(key, m.game_session_arn); !hosts.ok()) return done(std::move(hosts), {});
  std::string configuration = m.matchmaking_configuration_arn;
  if (auto slash = configuration.rfind('/'); slash != std::string::npos) configuration.erase(0, slash + 1);
  std::vector<matchmaking::PlayerInput> players;
  for (std::size_t i = 0; i < m.players.size(); ++i) {
    const auto& bp = m.players[i];
    matchmaking::PlayerInput p;
    p.player_id = bp.player_id;
    p.team = bp.team.value_or("");
    for (const auto& [name, a] : bp.player_attributes) {
      std::string path = "Players[" + std::to_string(i) + "].PlayerAttributes." + name;
      if (a.s) {
        p.attributes[name] = matchmaking::AttributeValue::String(*a.s);
      } else if (a.n) {
        p.attributes[name] = matchmaking::AttributeValue::Number(*a.n);
      } else if (a.sl) {
        p.attributes[name] = matchmaking::AttributeValue::StringList(*a.sl);
      } else if (a.sdm) {
        p.attributes[name] = matchmaking::AttributeValue::StringNumberMap({a.sdm->begin(), a.sdm->end()});
      } else {
        return done(Error::InvalidArgument(path + ": no S, N, SL or SDM value"), {});
      }
    }
    for (const auto& [loc, ms] : bp.latency_in_ms) {
      if (ms < 0 || ms > 1'000'000) {
        return done(Error::InvalidArgument("Players[" + std::to_string(i) + "].LatencyInMs." + loc + " is out of range"),
                    {});
      }
      p.latency_ms[loc] = static_cast<int>(ms);
    }
    players.push_back(std::move(p));
  }
  Route route{configuration, ""};
  OnMatchmaking(
      route,
      [this, configuration = std::move(configuration), arn = m.game_session_arn, players = std::move(players),
       ticket_id = m.ticket_id.value_or("")](json::object* reply) mutable -> Status {
        MUSTER_ASSIGN_OR_RETURN(auto t, node_.tickets_.StartMatchBackfill(configuration, arn, std::move(players),
                                                                          std::move(ticket_id)));
        (*reply)["TicketId"] = t.ticket_id;
        return OkStatus();
      },
      std::move(done), wait);
}

Result<std::string> GameServers::ComputeToken(const std::string& fleet_id, const std::string& compute_name) const {
  auto it = node_.computes_.find(fleet_id + "/" + compute_name);
  if (it == node_.computes_.end()) return Error::NotFound("compute " + compute_name + " is not registered");
  return it->second.auth_token;
}


}  // namespace muster::node
