#include "node/server_view.h"

#include <mutex>

namespace muster::node {

namespace {

bool Live(fleet::GameSessionStatus s) {
  return s == fleet::GameSessionStatus::kActivating || s == fleet::GameSessionStatus::kActive;
}

}  // namespace

void ServerView::ReplaceQueues(std::map<std::string, core::QueueInfo> queues) {
  std::unique_lock lock(mu_);
  queues_.swap(queues);
}

void ServerView::PutSessionLocked(const fleet::GameSession& g) {
  if (!Live(g.status)) {
    sessions_.erase(g.game_session_id);
    return;
  }
  Session& s = sessions_[g.game_session_id];
  s.active = g.status == fleet::GameSessionStatus::kActive;
  s.status = fleet::GameSessionStatusName(g.status);
  s.max_players = g.max_players;
  if (s.configuration_arn.empty()) s.configuration_arn = core::MatchmakerDataConfigurationArn(g.matchmaker_data);
}

void ServerView::PutPlayerLocked(const fleet::PlayerSession& p) {
  auto it = sessions_.find(p.game_session_id);
  if (it == sessions_.end()) return;  // its game session ended (or is not live)
  if (fleet::HoldsSlot(p.status)) {
    it->second.holding[p.player_session_id] = p.player_id;
  } else {
    it->second.holding.erase(p.player_session_id);
  }
}

void ServerView::Replace(const std::vector<placement::Placement>& pending,
                         const std::vector<fleet::GameSession>& sessions,
                         const std::vector<fleet::PlayerSession>& players) {
  std::unique_lock lock(mu_);
  pending_.clear();
  for (const auto& p : pending) {
    if (p.status == placement::PlacementStatus::kPending) {
      pending_[p.request.placement_id] = Origin(p.request);
    }
  }
  sessions_.clear();
  for (const auto& g : sessions) PutSessionLocked(g);
  for (const auto& p : players) PutPlayerLocked(p);
}

void ServerView::Apply(const std::vector<store::Write>& writes) {
  bool any = false;
  for (const auto& w : writes) {
    any = any || w.table == store::Table::kPlacements || w.table == store::Table::kGameSessions ||
          w.table == store::Table::kPlayerSessions;
  }
  if (!any) return;
  static const std::string kPending = placement::PlacementStatusName(placement::PlacementStatus::kPending);
  std::unique_lock lock(mu_);
  for (const auto& w : writes) {
    const bool gone = w.op == store::Write::Op::kDelete;
    if (w.table == store::Table::kPlacements) {
      if (!gone && w.row.status == kPending) {
        if (!pending_.count(w.row.id)) {  // its origin is read once, when it starts
          auto p = placement::PlacementCore::FromRow(w.row);
          pending_[w.row.id] = p.ok() ? Origin(p->request) : Asker{};
        }
      } else {
        pending_.erase(w.row.id);
      }
    } else if (w.table == store::Table::kGameSessions) {
      if (gone) {
        sessions_.erase(w.row.id);
      } else if (auto g = fleet::GameSessionFromRow(w.row); g.ok()) {
        PutSessionLocked(*g);
      }
    }
  }
  for (const auto& w : writes) {
    if (w.table != store::Table::kPlayerSessions || w.op == store::Write::Op::kDelete) continue;
    if (auto p = fleet::PlayerSessionFromRow(w.row); p.ok()) PutPlayerLocked(*p);
  }
}

std::optional<core::QueueInfo> ServerView::Queue(const std::string& name) const {
  std::shared_lock lock(mu_);
  auto it = queues_.find(name);
  if (it == queues_.end()) return std::nullopt;
  return it->second;
}

bool ServerView::PlacementPending(const std::string& placement_id) const {
  std::shared_lock lock(mu_);
  return pending_.count(placement_id) > 0;
}

ServerView::Asker ServerView::Origin(const core::PlacementRequest& r) {
  if (r.matchmaker_data.empty()) return {};
  return {true, core::MatchmakerDataConfigurationArn(r.matchmaker_data)};
}

std::vector<core::MatchPlacement> ServerView::MatchPlacementsPending() const {
  std::shared_lock lock(mu_);
  std::vector<core::MatchPlacement> out;
  for (const auto& [id, asker] : pending_) {
    if (asker.matchmaking) out.push_back({id, asker.configuration_arn});
  }
  return out;
}

std::optional<core::RunningSession> ServerView::GameSession(const std::string& arn) const {
  std::shared_lock lock(mu_);
  auto it = sessions_.find(arn);
  if (it == sessions_.end()) return std::nullopt;
  const Session& s = it->second;
  core::RunningSession out;
  out.active = s.active;
  out.status = s.status;
  out.max_players = s.max_players;
  out.configuration_arn = s.configuration_arn;
  for (const auto& [psid, player] : s.holding) out.present_players.push_back(player);
  return out;
}

}  // namespace muster::node
