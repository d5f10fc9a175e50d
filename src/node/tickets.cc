#include "node/tickets.h"

#include "node/node.h"

namespace muster::node {

Status Tickets::CheckNewId(const std::string& ticket_id) const {
  if (ticket_id.empty()) return OkStatus();
  // An id taken by an ended ticket, or by one whose insert is still on its way to the store, is
  // refused here, not by the commit (a failed commit of staged memory reloads the node).
  MUSTER_ASSIGN_OR_RETURN(auto row, node_.store_.Get(store::Table::kTickets, ticket_id));
  if (row || inserting_.count(ticket_id)) return Error::Conflict("ticket " + ticket_id + " already exists");
  return OkStatus();
}

Result<core::Effects> Tickets::Stage(const std::string& configuration, std::vector<matchmaking::PlayerInput> players,
                                     const std::string& owner, const std::string& ticket_id) {
  MUSTER_RETURN_IF_ERROR(node_.match_shard().Serving());
  MUSTER_RETURN_IF_ERROR(CheckNewId(ticket_id));
  return node_.matchmaking_->StartTicket(configuration, ticket_id, std::move(players), owner);
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
  auto fx = Stage(configuration, std::move(players), owner, ticket_id);
  if (!fx.ok()) return done(fx.take_error());
  std::string id = fx->writes.front().row.id;
  // The answer is the ticket as staged: its row is what commits.
  matchmaking::Ticket staged = *node_.matchmaking_->Find(id);
  inserting_.insert(id);
  // The run is scheduled before the commit: posted ahead of the turn's flush, it matches the
  // ticket in the same batch as its start (Node::Commit).
  if (node_.schedule_run_) node_.schedule_run_();
  node_.match_shard().Commit(std::move(fx).value(), /*fatal=*/true,
               [this, staged = std::move(staged), done = std::move(done)](Status st) {
                 inserting_.erase(staged.ticket_id);
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
  MUSTER_RETURN_IF_ERROR(node_.match_shard().Serving());
  MUSTER_ASSIGN_OR_RETURN(auto fx, node_.matchmaking_->StopTicket(ticket_id));
  MUSTER_RETURN_IF_ERROR(node_.match_shard().Apply(std::move(fx)));
  return GetTicket(ticket_id);
}

Status Tickets::AcceptMatch(const std::string& ticket_id, const std::vector<std::string>& player_ids,
                            bool accept) {
  MUSTER_RETURN_IF_ERROR(node_.match_shard().Serving());
  MUSTER_ASSIGN_OR_RETURN(auto fx, node_.matchmaking_->AcceptMatch(ticket_id, player_ids, accept));
  // A match every player accepted asks for its placement, which is tried at once (PlacementCore::OnRequest).
  return node_.match_shard().Apply(std::move(fx));
}

Result<matchmaking::Ticket> Tickets::StartMatchBackfill(const std::string& configuration,
                                                        const std::string& game_session_arn,
                                                        std::vector<matchmaking::PlayerInput> players,
                                                        std::string ticket_id) {
  MUSTER_RETURN_IF_ERROR(node_.match_shard().Serving());
  MUSTER_RETURN_IF_ERROR(CheckNewId(ticket_id));
  MUSTER_ASSIGN_OR_RETURN(auto fx, node_.matchmaking_->StartBackfill(configuration, std::move(ticket_id),
                                                                     game_session_arn, std::move(players)));
  std::string id = fx.writes.front().row.id;
  // A failed commit reloads the node, which drops the staged ticket.
  auto st = node_.match_shard().Apply(std::move(fx));
  if (!st.ok()) {
    return Error::Unavailable("the backfill ticket could not be stored (" + st.error().message +
                              "); nothing was accepted, retry shortly");
  }
  node_.matchmaking_->CommitStart(id);
  if (node_.schedule_run_) node_.schedule_run_();
  return *node_.matchmaking_->Find(id);
}

Result<matchmaking::Ticket> Tickets::StopMatchBackfill(const std::string& ticket_id) {
  const auto* t = node_.matchmaking_->Find(ticket_id);
  if (t && !t->backfill) {
    return Error::InvalidArgument("ticket " + ticket_id + " is not a backfill ticket; use StopMatchmaking");
  }
  return StopMatchmaking(ticket_id);
}

Result<std::vector<std::string>> Tickets::ConfigurationLocations(const std::string& configuration) const {
  const auto* spec = node_.matchmaking_->FindConfiguration(configuration);
  if (!spec) return Error::NotFound("matchmaking configuration '" + configuration + "' does not exist");
  auto queue = node_.server_reads().Queue(spec->queue_name);
  if (!queue) return std::vector<std::string>{};
  return std::move(queue->locations);
}

}  // namespace muster::node
