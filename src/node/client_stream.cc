#include "node/client_stream.h"

#include <algorithm>
#include <set>
#include <vector>

namespace muster::node {

ClientStream::ClientStream(const Clock& clock, ClientStreamOptions options) : clock_(clock), options_(options) {}

void ClientStream::OnEvent(const store::Event& raw, core::LazyNotice& event) {
  if (raw.topic != "matchmaking") return;
  const Millis now = clock_.NowMillis();
  std::lock_guard lock(mu_);
  SweepLocked(now);
  if (players_.empty()) return;  // watching nobody: no need to decode
  const core::Notice* notice = event.get();
  const auto* m = notice ? std::get_if<core::MatchmakingEvent>(notice) : nullptr;
  if (!m) return;
  std::shared_ptr<const std::string> json;
  std::set<std::string> seen;  // a player named twice in one event gets it once
  for (const std::string& id : m->player_ids) {
    if (!seen.insert(id).second) continue;
    auto it = players_.find(id);
    if (it == players_.end()) continue;  // not watched
    Player& p = it->second;
    if (!json) json = std::make_shared<const std::string>(raw.body);
    p.kept.push_back({raw.seq, raw.time, json});
    ++kept_;
    if (p.kept.size() > options_.max_events_per_player) {
      p.kept.erase(p.kept.begin());
      --kept_;
    }
    if (!p.listeners.empty()) {
      for (auto& [lid, listener] : p.listeners) listener(raw.seq, json);
      p.handed = raw.seq;
    }
  }
}

std::uint64_t ClientStream::Attach(const std::string& player_id, Listener listener) {
  const Millis now = clock_.NowMillis();
  std::lock_guard lock(mu_);
  SweepLocked(now);
  const std::uint64_t id = next_id_++;
  Player& p = players_[player_id];
  for (const Kept& k : p.kept) {
    if (k.seq > p.handed) listener(k.seq, k.json);
  }
  if (!p.kept.empty()) p.handed = std::max(p.handed, p.kept.back().seq);
  p.listeners.emplace(id, std::move(listener));
  p.detached_at = 0;
  listener_player_.emplace(id, player_id);
  return id;
}

void ClientStream::Detach(std::uint64_t listener_id) {
  std::lock_guard lock(mu_);
  auto it = listener_player_.find(listener_id);
  if (it == listener_player_.end()) return;
  auto p = players_.find(it->second);
  listener_player_.erase(it);
  if (p == players_.end()) return;
  p->second.listeners.erase(listener_id);
  if (p->second.listeners.empty()) p->second.detached_at = std::max<Millis>(clock_.NowMillis(), 1);
}

void ClientStream::SweepLocked(Millis now) {
  if (now < next_sweep_ && players_.size() <= options_.max_players) return;
  next_sweep_ = now + 1000;
  std::vector<std::pair<Millis, std::string>> detached;  // for the cap: oldest-detached first
  for (auto it = players_.begin(); it != players_.end();) {
    Player& p = it->second;
    std::size_t stale = 0;
    while (stale < p.kept.size() && now - p.kept[stale].time > options_.replay_ms) ++stale;
    p.kept.erase(p.kept.begin(), p.kept.begin() + static_cast<std::ptrdiff_t>(stale));
    kept_ -= stale;
    if (p.listeners.empty() && now - p.detached_at > options_.replay_ms) {
      kept_ -= p.kept.size();
      it = players_.erase(it);
      continue;
    }
    if (p.listeners.empty()) detached.emplace_back(p.detached_at, it->first);
    ++it;
  }
  if (players_.size() <= options_.max_players) return;
  std::sort(detached.begin(), detached.end());
  for (const auto& [at, id] : detached) {
    if (players_.size() <= options_.max_players) break;
    auto it = players_.find(id);
    kept_ -= it->second.kept.size();
    players_.erase(it);
  }
}

std::size_t ClientStream::WatchedPlayers() const {
  std::lock_guard lock(mu_);
  return players_.size();
}

std::size_t ClientStream::KeptEvents() const {
  std::lock_guard lock(mu_);
  return kept_;
}

}  // namespace muster::node
