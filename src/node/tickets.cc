#include "node/tickets.h"

#include "node/node.h"

namespace muster::node {

Status Tickets::Reserve(const std::string& ticket_id, std::size_t side) {
  if (ticket_id.empty()) return OkStatus();  // the core draws a fresh one
  // An id taken by an ended ticket, or by one whose insert is still on its way to the store (on
  // any side), is refused here, not by the commit (a failed commit of staged memory reloads the
  // side). Reserved first, then looked up: a start of the same id on another side either finds
  // it reserved or, once that insert is durable and released, finds its row.
  {
    std::lock_guard lock(inserting_mu_);
    if (!inserting_.emplace(ticket_id, side).second) return Error::Conflict("ticket " + ticket_id + " already exists");
  }
  auto row = node_.store_.Get(store::Table::kTickets, ticket_id);
  if (row.ok() && !*row) return OkStatus();
  Release(ticket_id);
  if (!row.ok()) return row.take_error();
  return Error::Conflict("ticket " + ticket_id + " already exists");
}

void Tickets::Release(const std::string& ticket_id) {
  std::lock_guard lock(inserting_mu_);
  inserting_.erase(ticket_id);
}

std::optional<std::size_t> Tickets::StagedSide(const std::string& ticket_id) const {
  std::lock_guard lock(inserting_mu_);
  auto it = inserting_.find(ticket_id);
  if (it == inserting_.end()) return std::nullopt;
  return it->second;
}

Result<core::Effects> Tickets::Stage(std::size_t side, const std::string& configuration,
                                     std::vector<matchmaking::PlayerInput> players, const std::string& owner,
                                     const std::string& ticket_id) {
  MUSTER_RETURN_IF_ERROR(node_.match_shard(side).Serving());
  MUSTER_RETURN_IF_ERROR(Reserve(ticket_id, side));
  auto fx = node_.core(side).StartTicket(configuration, ticket_id, std::move(players), owner);
  if (!fx.ok()) Release(ticket_id);
  return fx;
}

Result<matchmaking::Ticket> Tickets::StartMatchmaking(const std::string& configuration,
                                                      std::vector<matchmaking::PlayerInput> players,
                                                      const std::string& owner, std::string ticket_id) {
  Result<matchmaking::Ticket> out = Error::Internal("StartMatchmaking was not answered");
  Start(configuration, std::move(players), owner, std::move(ticket_id),
        [&out](Result<matchmaking::Ticket> r) { out = std::move(r); }, /*wait=*/true);
  return out;
}

void Tickets::StartMatchmakingAsync(const std::string& configuration, std::vector<matchmaking::PlayerInput> players,
                                    const std::string& owner, std::string ticket_id, TicketDone done) {
  Start(configuration, std::move(players), owner, std::move(ticket_id), std::move(done), /*wait=*/false);
}

void Tickets::Start(const std::string& configuration, std::vector<matchmaking::PlayerInput> players,
                    const std::string& owner, std::string ticket_id, TicketDone done, bool wait) {
  const std::size_t side = node_.Here(configuration);
  auto fx = Stage(side, configuration, std::move(players), owner, ticket_id);
  if (!fx.ok()) return done(fx.take_error());
  std::string id = fx->writes.front().row.id;
  // The answer is the ticket as staged: its row is what commits.
  matchmaking::Ticket staged = *node_.core(side).Find(id);
  if (ticket_id.empty()) {  // drawn by the core: reserved now, for a client that would reuse it
    std::lock_guard lock(inserting_mu_);
    inserting_.emplace(id, side);
  }
  // The run is scheduled before the commit: posted ahead of the turn's flush, it matches the
  // ticket in the same batch as its start (Node::Commit).
  if (node_.schedule_run_) node_.schedule_run_(side);
  node_.match_shard(side).Commit(std::move(fx).value(), /*fatal=*/true,
               [this, staged = std::move(staged), done = std::move(done)](Status st) {
                 Release(staged.ticket_id);
                 if (!st.ok()) {
                   return done(Error::Unavailable("the ticket could not be stored (" + st.error().message +
                                                  "); nothing was accepted, retry shortly"));
                 }
                 done(staged);
               },
               wait);
}

Result<matchmaking::Ticket> Tickets::GetTicket(const std::string& ticket_id) const {
  if (auto viewed = node_.ticket_view_.Find(ticket_id)) return std::move(*viewed);
  MUSTER_ASSIGN_OR_RETURN(auto row, node_.store_.Get(store::Table::kTickets, ticket_id));
  if (!row) return Error::NotFound("ticket " + ticket_id + " does not exist");
  return matchmaking::MatchmakingCore::FromRow(*row);
}

Result<matchmaking::Ticket> Tickets::StopMatchmaking(const std::string& ticket_id) {
  const std::size_t side = node_.HereForTicket(ticket_id);
  MUSTER_RETURN_IF_ERROR(node_.match_shard(side).Serving());
  MUSTER_ASSIGN_OR_RETURN(auto fx, node_.core(side).StopTicket(ticket_id));
  MUSTER_RETURN_IF_ERROR(node_.match_shard(side).Apply(std::move(fx)));
  return GetTicket(ticket_id);
}

Status Tickets::AcceptMatch(const std::string& ticket_id, const std::vector<std::string>& player_ids,
                            bool accept) {
  const std::size_t side = node_.HereForTicket(ticket_id);
  MUSTER_RETURN_IF_ERROR(node_.match_shard(side).Serving());
  MUSTER_ASSIGN_OR_RETURN(auto fx, node_.core(side).AcceptMatch(ticket_id, player_ids, accept));
  // A match every player accepted asks for its placement, which is tried at once (PlacementCore::OnRequest).
  return node_.match_shard(side).Apply(std::move(fx));
}

Result<matchmaking::Ticket> Tickets::StartMatchBackfill(const std::string& configuration,
                                                        const std::string& game_session_arn,
                                                        std::vector<matchmaking::PlayerInput> players,
                                                        std::string ticket_id) {
  const std::size_t side = node_.Here(configuration);
  MUSTER_RETURN_IF_ERROR(node_.match_shard(side).Serving());
  MUSTER_RETURN_IF_ERROR(Reserve(ticket_id, side));
  auto fx = node_.core(side).StartBackfill(configuration, ticket_id, game_session_arn, std::move(players));
  if (!fx.ok()) {
    Release(ticket_id);
    return fx.take_error();
  }
  std::string id = fx->writes.front().row.id;
  // A failed commit reloads the side, which drops the staged ticket.
  auto st = node_.match_shard(side).Apply(std::move(fx).value());
  Release(ticket_id);
  if (!st.ok()) {
    return Error::Unavailable("the backfill ticket could not be stored (" + st.error().message +
                              "); nothing was accepted, retry shortly");
  }
  auto& core = node_.core(side);  // after the commit: a failed one (above) rebuilds it
  core.CommitStart(id);
  if (node_.schedule_run_) node_.schedule_run_(side);
  return *core.Find(id);
}

Result<matchmaking::Ticket> Tickets::StopMatchBackfill(const std::string& ticket_id) {
  const auto* t = node_.core(node_.HereForTicket(ticket_id)).Find(ticket_id);
  if (t && !t->backfill) {
    return Error::InvalidArgument("ticket " + ticket_id + " is not a backfill ticket; use StopMatchmaking");
  }
  return StopMatchmaking(ticket_id);
}

Result<std::vector<std::string>> Tickets::ConfigurationLocations(const std::string& configuration) const {
  auto spec = node_.definitions_.FindConfiguration(configuration);
  if (!spec) return Error::NotFound("matchmaking configuration '" + configuration + "' does not exist");
  auto queue = node_.server_reads().Queue(spec->queue_name);
  if (!queue) return std::vector<std::string>{};
  return std::move(queue->locations);
}

}  // namespace muster::node
