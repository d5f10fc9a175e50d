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

ServerState::Admission ServerState::Admit(const std::string& address_key, std::uint64_t* id) {
  std::lock_guard lock(mu_);
  if (stopping_.load(std::memory_order_relaxed)) return Admission::kStopping;
  // No reference into per_address_ is held across EvictOneLocked: evicting the address's own
  // last connection erases its entry.
  auto found = per_address_.find(address_key);
  std::size_t from_address = found == per_address_.end() ? 0 : found->second;
  if (limits_.max_connections_per_address > 0 &&
      from_address >= limits_.max_connections_per_address) {
    return Admission::kAddressFull;
  }
  if (sessions_.size() >= limits_.max_connections && !EvictOneLocked()) return Admission::kFull;
  ++per_address_[address_key];
  *id = NextConnectionId();
  sessions_.emplace(*id, Entry{{}, address_key});
  count_.store(sessions_.size(), std::memory_order_relaxed);
  return Admission::kAdmitted;
}

bool ServerState::Attach(std::uint64_t id, const std::shared_ptr<SessionBase>& session) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return false;  // evicted before it started
  if (stopping_.load(std::memory_order_relaxed)) {
    EraseLocked(it);
    return false;
  }
  if (auto old = it->second.session.lock()) Unlink(old.get());
  it->second.session = session;
  session->slot_ = id;
  return true;
}

void ServerState::SetIdle(std::uint64_t id, SessionBase* session, bool idle) {
  std::lock_guard lock(mu_);
  if (!sessions_.count(id)) return;  // evicted or released
  if (idle) {
    Unlink(session);  // moves to the back: idle since now
    Link(session);
  } else {
    Unlink(session);
  }
}

void ServerState::Release(std::uint64_t id, SessionBase* session) {
  std::lock_guard lock(mu_);
  Unlink(session);
  auto it = sessions_.find(id);
  if (it != sessions_.end()) EraseLocked(it);
}

void ServerState::EraseLocked(std::unordered_map<std::uint64_t, Entry>::iterator it) {
  auto a = per_address_.find(it->second.address_key);
  if (a != per_address_.end() && --a->second == 0) per_address_.erase(a);
  sessions_.erase(it);
  count_.store(sessions_.size(), std::memory_order_relaxed);
}

bool ServerState::ReserveBody(SessionBase* session, std::size_t bytes) {
  std::lock_guard lock(mu_);
  const std::size_t cap = limits_.max_body_bytes_in_flight;
  if (bytes > cap) return false;
  // The body reserved longest ago makes room: stalled bodies cannot hold the budget.
  while (body_bytes_ > cap - bytes && body_head_ && body_head_ != session) {
    SessionBase* victim = body_head_;
    ReleaseBodyLocked(victim);
    Unlink(victim);
    auto it = sessions_.find(victim->slot_);
    if (it == sessions_.end()) continue;  // already evicted or released; its body is freed now
    std::shared_ptr<SessionBase> s = it->second.session.lock();
    EraseLocked(it);
    if (s) s->PostEvict();
  }
  if (body_bytes_ > cap - bytes) return false;
  ReleaseBodyLocked(session);  // at most one body per connection
  body_bytes_ += bytes;
  session->body_bytes_ = bytes;
  session->body_prev_ = body_tail_;
  session->body_next_ = nullptr;
  if (body_tail_) body_tail_->body_next_ = session;
  else body_head_ = session;
  body_tail_ = session;
  return true;
}

void ServerState::ReleaseBody(SessionBase* session) {
  std::lock_guard lock(mu_);
  ReleaseBodyLocked(session);
}

void ServerState::ReleaseBodyLocked(SessionBase* s) {
  if (s->body_bytes_ == 0) return;
  body_bytes_ -= s->body_bytes_;
  s->body_bytes_ = 0;
  if (s->body_prev_) s->body_prev_->body_next_ = s->body_next_;
  else body_head_ = s->body_next_;
  if (s->body_next_) s->body_next_->body_prev_ = s->body_prev_;
  else body_tail_ = s->body_prev_;
  s->body_prev_ = s->body_next_ = nullptr;
}

std::vector<std::shared_ptr<SessionBase>> ServerState::BeginStop() {
  std::lock_guard lock(mu_);
  stopping_.store(true, std::memory_order_release);
  std::vector<std::shared_ptr<SessionBase>> out;
  out.reserve(sessions_.size());
  for (auto& [id, entry] : sessions_) {
    if (auto s = entry.session.lock()) out.push_back(std::move(s));
  }
  return out;
}

bool ServerState::EvictOneLocked() {
  while (idle_head_) {
    SessionBase* victim = idle_head_;
    Unlink(victim);
    auto it = sessions_.find(victim->slot_);
    if (it == sessions_.end()) continue;
    // A victim whose last reference is going away (its destructor waits for mu_ to release the
    // slot) frees the slot all the same; only a live one is told.
    std::shared_ptr<SessionBase> s = it->second.session.lock();
    EraseLocked(it);
    if (s) s->PostEvict();
    return true;
  }
  return false;
}

void ServerState::Link(SessionBase* s) {
  if (s->idle_linked_) return;
  s->idle_prev_ = idle_tail_;
  s->idle_next_ = nullptr;
  if (idle_tail_) idle_tail_->idle_next_ = s;
  else idle_head_ = s;
  idle_tail_ = s;
  s->idle_linked_ = true;
}

void ServerState::Unlink(SessionBase* s) {
  if (!s->idle_linked_) return;
  if (s->idle_prev_) s->idle_prev_->idle_next_ = s->idle_next_;
  else idle_head_ = s->idle_next_;
  if (s->idle_next_) s->idle_next_->idle_prev_ = s->idle_prev_;
  else idle_tail_ = s->idle_prev_;
  s->idle_prev_ = s->idle_next_ = nullptr;
  s->idle_linked_ = false;
}

}  // namespace muster::net::internal
