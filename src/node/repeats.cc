#include "node/repeats.h"

#include <map>

#include "fleet/fleet_core.h"

namespace muster::node {

namespace {

core::Effects Ended(core::PlacementEnded::Kind kind, const std::string& id, std::string reason) {
  core::Effects fx;
  fx.notices.push_back(core::PlacementEnded{kind, id, std::move(reason)});
  return fx;
}

core::Effects Failed(const std::string& id, std::string reason) {
  return Ended(core::PlacementEnded::Kind::kFailed, id, std::move(reason));
}

// PlacementFulfilled of a placement that ended FULFILLED, from its game session's rows: the
// session must still be ACTIVE (its players are told where to connect), and each player's
// session is the first one made for that player in it (the placement's; a backfill may have
// added a later one after the player left).
core::Effects FulfilledAgain(const core::PlacementRequest& request, const placement::Placement& p,
                             store::Store& store) {
  const std::string& id = request.placement_id;
  auto gs_row = store.Get(store::Table::kGameSessions, p.game_session_arn);
  if (!gs_row.ok()) return Failed(id, "its game session could not be read: " + gs_row.error().message);
  if (!*gs_row) return Failed(id, "its game session " + p.game_session_arn + " is not in the store");
  auto gs = fleet::GameSessionFromRow(**gs_row);
  if (!gs.ok()) return Failed(id, "its game session could not be read: " + gs.error().message);
  if (gs->status != fleet::GameSessionStatus::kActive) {
    return Failed(id, "its game session " + p.game_session_arn + " is " + fleet::GameSessionStatusName(gs->status) +
                          " (it ended before the match heard of it)");
  }
  auto ps_rows = store.ListByIndex(store::Table::kPlayerSessions, p.game_session_arn, 1000);
  if (!ps_rows.ok()) return Failed(id, "its player sessions could not be read: " + ps_rows.error().message);
  std::map<std::string, fleet::PlayerSession> first;  // player → their first session in it
  for (const auto& r : *ps_rows) {
    auto ps = fleet::PlayerSessionFromRow(r);
    if (!ps.ok()) continue;
    auto [it, inserted] = first.emplace(ps->player_id, *ps);
    if (!inserted && ps->creation_time < it->second.creation_time) it->second = std::move(ps).value();
  }
  core::PlacementFulfilled done{id, fleet::EndpointOf(*gs), {}};
  for (const auto& player : request.players) {
    auto it = first.find(player.player_id);
    if (it == first.end()) return Failed(id, "the player session of " + player.player_id + " is not in the store");
    done.placed_player_sessions.push_back({player.player_id, it->second.player_session_id});
  }
  core::Effects fx;
  fx.notices.push_back(std::move(done));
  return fx;
}

}  // namespace

core::Effects AnswerRepeat(const core::PlacementRepeated& repeat, placement::PlacementCore& placement,
                           store::Store& store, Millis now) {
  const core::PlacementRequest& request = repeat.request;
  const std::string& id = request.placement_id;
  if (placement.PlacementPending(id)) return {};
  auto row = store.Get(store::Table::kPlacements, id);
  if (!row.ok()) return Failed(id, "placement " + id + " could not be read: " + row.error().message);
  if (!*row) return placement.OnRequest(core::PlacementRequested{request});
  auto p = placement::PlacementCore::FromRow(**row);
  if (!p.ok()) return Failed(id, "placement " + id + " could not be read: " + p.error().message);
  using Kind = core::PlacementEnded::Kind;
  switch (p->status) {
    case placement::PlacementStatus::kFulfilled:
      return FulfilledAgain(request, *p, store);
    case placement::PlacementStatus::kCancelled:
      return Ended(Kind::kCancelled, id, "the placement was cancelled");
    case placement::PlacementStatus::kTimedOut:
      return Ended(Kind::kTimedOut, id, "no game server process was available in time");
    case placement::PlacementStatus::kFailed:
      return Failed(id, "the placement failed");
    case placement::PlacementStatus::kPending:
      break;
  }
  // PENDING in the store, yet not pending in memory. With its queue defined, it ended in a batch
  // not yet durable (a repeat sent while the server side runs, after it reloaded alone): that
  // batch's outcome is on its way to matchmaking, and this store row is older than it.
  if (placement.FindQueue(p->request.queue_name)) return {};
  // Its queue is gone, so the placement core did not resume it. It ends FAILED now, so that a
  // later start with the queue back does not place it for failed tickets.
  core::Effects fx = Failed(id, "placement " + id + " could not be resumed: its queue " + p->request.queue_name +
                                    " is not defined");
  p->status = placement::PlacementStatus::kFailed;
  p->end_time = now;
  fx.writes.push_back(store::Write::Upsert(store::Table::kPlacements, placement::PlacementCore::ToRow(*p, now)));
  return fx;
}

}  // namespace muster::node
