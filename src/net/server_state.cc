#include "net/server_state.h"

namespace muster::net::internal {

std::uint64_t NextConnectionId() {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

ServerState::ServerState(Limits limits, HttpHandler handler, WsUpgradeHandler ws_handler,
                         std::unique_ptr<asio::ssl::context> tls)
    : limits_(std::move(limits)),
      handler_(std::move(handler)),
      ws_handler_(std::move(ws_handler)),
      tls_(std::move(tls)) {}

bool ServerState::Register(std::uint64_t id, std::weak_ptr<SessionBase> session) {
  std::lock_guard lock(mu_);
  if (stopping_.load(std::memory_order_relaxed)) return false;
  sessions_.emplace(id, std::move(session));
  count_.store(sessions_.size(), std::memory_order_relaxed);
  return true;
}

void ServerState::Unregister(std::uint64_t id) {
  std::lock_guard lock(mu_);
  sessions_.erase(id);
  count_.store(sessions_.size(), std::memory_order_relaxed);
}

std::vector<std::shared_ptr<SessionBase>> ServerState::BeginStop() {
  std::lock_guard lock(mu_);
  stopping_.store(true, std::memory_order_release);
  std::vector<std::shared_ptr<SessionBase>> out;
  out.reserve(sessions_.size());
  for (auto& [id, weak] : sessions_) {
    if (auto s = weak.lock()) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace muster::net::internal
