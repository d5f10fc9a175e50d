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
  std::size_t& from_address = per_address_[address_key];
  if (limits_.max_connections_per_address > 0 &&
      from_address >= limits_.max_connections_per_address) {
    if (from_address == 0) per_address_.erase(address_key);
    return Admission::kAddressFull;
  }
  if (sessions_.size() >= limits_.max_connections && !EvictOneLocked()) {
    if (from_address == 0) per_address_.erase(address_key);
    return Admission::kFull;
  }
  ++from_address;
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

bool ServerState::ReserveBody(std::size_t bytes) {
  std::size_t now = body_bytes_.load(std::memory_order_relaxed);
  do {
    if (bytes > limits_.max_body_bytes_in_flight || now > limits_.max_body_bytes_in_flight - bytes) {
      return false;
    }
  } while (!body_bytes_.compare_exchange_weak(now, now + bytes, std::memory_order_relaxed));
  return true;
}

void ServerState::ReleaseBody(std::size_t bytes) {
  body_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
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
