#include "sdk/server/server_sdk.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/time_util.h"
#include "sdk/server/callback_queue.h"
#include "sdk/server/endpoint.h"
#include "sdk/server/link.h"

namespace muster::sdk {

namespace asio = boost::asio;
using asio::awaitable;
using fleet::ClientRequest;
using fleet::ServerMessage;
using Reply = Result<ServerMessage>;

class ServerSdk::Impl {
 public:
  ~Impl() { (void)Destroy(); }

  Status InitSDK(const ServerParameters& in, const SdkOptions& options);
  Status Destroy() {
    std::lock_guard life(lifecycle_mu_);
    return DestroyLocked();
  }

  // Sends a request and blocks until its reply (or final failure).
  Reply Call(ClientRequest body);
  Status CallStatus(ClientRequest body) {
    auto r = Call(std::move(body));
    if (!r.ok()) return r.take_error();
    return OkStatus();
  }

  Status ProcessReady(const ProcessParameters& params);
  Status ProcessEnding();

  Result<std::string> GameSessionId() const {
    std::lock_guard lock(mu_);
    if (game_session_id_.empty()) return Error::NotFound("no game session has been started on this process");
    return game_session_id_;
  }
  Result<std::int64_t> TerminationTime() const {
    std::lock_guard lock(mu_);
    if (!termination_time_) return Error::NotFound("no termination time has been set");
    return *termination_time_;
  }
  std::string process_id() const {
    std::lock_guard lock(mu_);
    return process_id_;
  }
  bool connected() const {
    std::lock_guard lock(mu_);
    return connected_;
  }

 private:
  struct Pending {
    std::string action;
    std::string frame;
    int attempts = 1;
    int max_attempts = 1;
    std::unique_ptr<asio::steady_timer> timer;
    std::function<void(Reply)> done;
  };

  // ---- I/O thread only ----
  void StartRequest(ClientRequest body, std::function<void(Reply)> done, int max_attempts);
  void ArmRequestTimer(const std::string& id);
  void OnRequestTimeout(const std::string& id);
  void OnFrame(const std::string& frame);
  void HandlePush(ServerMessage msg);
  void Adopt(std::shared_ptr<Link> link);
  awaitable<void> WatchLink(std::shared_ptr<Link> link);
  awaitable<void> Supervise(std::shared_ptr<std::promise<Status>> first_connect);
  awaitable<void> Refresh(std::string endpoint, std::string token);
  Result<Endpoint> MakeEndpoint(const ServerParameters& p) const;
  void ScheduleHeartbeat();
  void SendHeartbeat();
  void Shutdown();
  Status DestroyLocked();  // REQUIRES: lifecycle_mu_ held

  // ---- guarded by mu_ ----
  mutable std::mutex mu_;
  bool running_ = false;
  bool connected_ = false;
  std::string game_session_id_;
  std::optional<std::int64_t> termination_time_;
  std::string process_id_;

  std::mutex lifecycle_mu_;  // serialises InitSDK / Destroy

  // Created by InitSDK, destroyed by Destroy.
  std::unique_ptr<asio::io_context> io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread io_thread_;
  std::future<void> io_done_;
  std::unique_ptr<CallbackQueue> callbacks_;
  std::unique_ptr<asio::ssl::context> ssl_;

  // ---- I/O thread state ----
  ServerParameters params_;
  SdkOptions options_;
  std::string idempotency_token_;
  std::shared_ptr<Link> current_;
  std::unique_ptr<asio::steady_timer> wake_;
  std::unique_ptr<asio::steady_timer> heartbeat_;
  std::map<std::string, Pending> pending_;
  ProcessParameters process_;
  bool ready_ = false;
  bool closing_ = false;
  std::mt19937_64 rng_{std::random_device{}()};
};

// ---------------- lifecycle ----------------

Status ServerSdk::Impl::InitSDK(const ServerParameters& in, const SdkOptions& options) {
  std::lock_guard life(lifecycle_mu_);
  {
    std::lock_guard lock(mu_);
    if (running_) return Error::Conflict("the SDK is already initialised; call Destroy first");
  }
  params_ = ApplyEnvironment(in);
  options_ = options;
  idempotency_token_ = Uuid4();
  MUSTER_RETURN_IF_ERROR(MakeEndpoint(params_));
  closing_ = false;
  ready_ = false;
  current_.reset();
  pending_.clear();
  process_ = {};
  {
    std::lock_guard lock(mu_);
    game_session_id_.clear();
    termination_time_.reset();
    connected_ = false;
    process_id_ = params_.process_id;
  }
  io_ = std::make_unique<asio::io_context>(1);
  work_.emplace(io_->get_executor());
  wake_ = std::make_unique<asio::steady_timer>(*io_);
  heartbeat_ = std::make_unique<asio::steady_timer>(*io_);
  ssl_ = MakeClientTlsContext(options_.verify_tls_certificate, options_.ca_file);
  callbacks_ = std::make_unique<CallbackQueue>();
  std::promise<void> io_done;
  io_done_ = io_done.get_future();
  io_thread_ = std::thread([this, p = std::move(io_done)]() mutable {
    io_->run();
    p.set_value();
  });
  auto first = std::make_shared<std::promise<Status>>();
  auto first_result = first->get_future();
  asio::co_spawn(*io_, Supervise(first), asio::detached);
  Status st = first_result.get();
  {
    std::lock_guard lock(mu_);
    running_ = true;  // so Destroy tears down even on failure
  }
  if (!st.ok()) {
    (void)DestroyLocked();
    return st;
  }
  MLOG(kInfo) << "sdk: connected to " << params_.web_socket_url << " as process " << params_.process_id;
  return OkStatus();
}

Status ServerSdk::Impl::DestroyLocked() {
  {
    std::lock_guard lock(mu_);
    if (!running_) return OkStatus();
    running_ = false;
  }
  const bool from_callback = callbacks_ && callbacks_->on_worker();
  asio::post(*io_, [this] { Shutdown(); });
  work_.reset();
  if (io_done_.wait_for(options_.destroy_close_wait) != std::future_status::ready) {
    io_->stop();
  }
  io_thread_.join();
  callbacks_->Stop();
  if (from_callback) {
    // The queue's thread is the caller; it detached and must keep its object alive.
    (void)callbacks_.release();
  }
  callbacks_.reset();
  // Handlers that never ran must not outlive the context they reference.
  wake_.reset();
  heartbeat_.reset();
  pending_.clear();
  current_.reset();
  io_.reset();
  ssl_.reset();
  {
    std::lock_guard lock(mu_);
    connected_ = false;
  }
  return OkStatus();
}

void ServerSdk::Impl::Shutdown() {
  closing_ = true;
  ready_ = false;
  heartbeat_->cancel();
  wake_->cancel();
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [id, p] : pending) {
    p.timer->cancel();
    p.done(Error::Unavailable(p.action + " abandoned: the SDK was destroyed"));
  }
  if (current_) current_->Close(1001);
}

// ---------------- requests ----------------

Reply ServerSdk::Impl::Call(ClientRequest body) {
  auto promise = std::make_shared<std::promise<Reply>>();
  auto future = promise->get_future();
  {
    std::lock_guard lock(mu_);
    if (!running_) return Error::Unavailable("the SDK is not initialised; call InitSDK first");
    asio::post(*io_, [this, body = std::move(body), promise]() mutable {
      StartRequest(std::move(body), [promise](Reply r) { promise->set_value(std::move(r)); },
                   options_.max_request_attempts);
    });
  }
  return future.get();
}

void ServerSdk::Impl::StartRequest(ClientRequest body, std::function<void(Reply)> done,
                                   int max_attempts) {
  fleet::ClientMessage msg{Uuid4(), std::move(body)};
  if (closing_) {
    done(Error::Unavailable(std::string(msg.action()) + " refused: the SDK is shutting down"));
    return;
  }
  Pending p;
  p.action = std::string(msg.action());
  p.frame = fleet::Encode(msg);
  p.max_attempts = std::max(1, max_attempts);
  p.timer = std::make_unique<asio::steady_timer>(*io_);
  p.done = std::move(done);
  if (current_) current_->Send(p.frame);
  pending_.emplace(msg.request_id, std::move(p));
  ArmRequestTimer(msg.request_id);
}

void ServerSdk::Impl::ArmRequestTimer(const std::string& id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  it->second.timer->expires_after(options_.request_timeout);
  it->second.timer->async_wait([this, id](boost::system::error_code ec) {
    if (!ec) OnRequestTimeout(id);
  });
}

void ServerSdk::Impl::OnRequestTimeout(const std::string& id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Pending& p = it->second;
  if (p.attempts >= p.max_attempts) {
    auto done = std::move(p.done);
    std::string what = p.action + " (RequestId " + id + ") got no reply after " +
                       std::to_string(p.attempts) + " attempt(s)";
    pending_.erase(it);
    done(Error::Unavailable(what));
    return;
  }
  ++p.attempts;
  MLOG(kInfo) << "sdk: no reply to " << p.action << " " << id << "; re-sending (attempt "
              << p.attempts << ")";
  if (current_) current_->Send(p.frame);
  ArmRequestTimer(id);
}

void ServerSdk::Impl::OnFrame(const std::string& frame) {
  auto decoded = fleet::DecodeServerMessage(frame);
  if (!decoded.ok()) {
    MLOG(kWarn) << "sdk: dropping a bad frame from the backend: " << decoded.error().message;
    return;
  }
  ServerMessage msg = std::move(decoded).value();
  if (msg.is_push()) {
    HandlePush(std::move(msg));
    return;
  }
  auto it = pending_.find(msg.request_id);
  if (it == pending_.end()) {
    MLOG(kDebug) << "sdk: reply to an unknown or finished request " << msg.request_id;
    return;
  }
  it->second.timer->cancel();
  auto done = std::move(it->second.done);
  pending_.erase(it);
  if (msg.ok()) {
    done(std::move(msg));
  } else {
    done(fleet::ErrorFromStatus(msg.status_code, msg.error_message));
  }
}

void ServerSdk::Impl::HandlePush(ServerMessage msg) {
  if (auto* c = std::get_if<fleet::CreateGameSession>(&msg.body)) {
    GameSession gs;
    gs.game_session_id = c->game_session_id;
    gs.name = c->game_session_name;
    gs.fleet_id = params_.fleet_id;
    gs.maximum_player_session_count = c->maximum_player_session_count;
    gs.port = c->port;
    gs.ip_address = c->ip_address;
    gs.dns_name = c->dns_name;
    gs.game_session_data = c->game_session_data;
    gs.matchmaker_data = c->matchmaker_data;
    gs.game_properties = c->game_properties;
    gs.status = "ACTIVATING";
    {
      std::lock_guard lock(mu_);
      game_session_id_ = gs.game_session_id;
    }
    MLOG(kInfo) << "sdk: CreateGameSession " << gs.game_session_id;
    if (process_.on_start_game_session) {
      callbacks_->Post([cb = process_.on_start_game_session, gs = std::move(gs)] { cb(gs); });
    }
  } else if (auto* u = std::get_if<fleet::UpdateGameSession>(&msg.body)) {
    if (process_.on_update_game_session) {
      callbacks_->Post([cb = process_.on_update_game_session, u = std::move(*u)] { cb(u); });
    }
  } else if (auto* t = std::get_if<fleet::TerminateProcess>(&msg.body)) {
    {
      std::lock_guard lock(mu_);
      termination_time_ = t->termination_time;
    }
    MLOG(kInfo) << "sdk: TerminateProcess at " << t->termination_time;
    if (process_.on_process_terminate) callbacks_->Post(process_.on_process_terminate);
  } else if (auto* r = std::get_if<fleet::RefreshConnection>(&msg.body)) {
    MLOG(kInfo) << "sdk: RefreshConnection to " << r->refresh_connection_endpoint;
    asio::co_spawn(*io_, Refresh(r->refresh_connection_endpoint, r->auth_token), asio::detached);
  }
}

// ---------------- connection management ----------------

Result<Endpoint> ServerSdk::Impl::MakeEndpoint(const ServerParameters& p) const {
  return BuildEndpoint(p, idempotency_token_, options_.sdk_version,
                       FormatAmzDate(SystemClock::Instance().NowMillis()));
}

void ServerSdk::Impl::Adopt(std::shared_ptr<Link> link) {
  current_ = link;
  {
    std::lock_guard lock(mu_);
    connected_ = true;
  }
  asio::co_spawn(*io_, WatchLink(link), asio::detached);
  // Requests in flight go out again on the new socket, with their RequestIds.
  for (auto& [id, p] : pending_) link->Send(p.frame);
}

awaitable<void> ServerSdk::Impl::WatchLink(std::shared_ptr<Link> link) {
  co_await link->ReadLoop([this](std::string frame) { OnFrame(frame); });
  if (current_ != link) co_return;  // replaced by RefreshConnection, or shutting down
  current_.reset();
  {
    std::lock_guard lock(mu_);
    connected_ = false;
  }
  if (!closing_) {
    MLOG(kWarn) << "sdk: connection to the backend lost; reconnecting";
    wake_->cancel();
  }
}

awaitable<void> ServerSdk::Impl::Supervise(std::shared_ptr<std::promise<Status>> first_connect) {
  auto backoff = options_.reconnect_initial_backoff;
  bool first = true;
  while (!closing_) {
    if (!current_) {
      auto endpoint = MakeEndpoint(params_);
      // (No co_await inside ?: — GCC 12 miscompiles it.)
      Result<std::shared_ptr<Link>> link = Error::Internal("not connected");
      if (endpoint.ok()) {
        link = co_await Link::Open(*endpoint, *ssl_, options_.handshake_timeout);
      } else {
        link = endpoint.error();
      }
      if (closing_) {
        if (link.ok()) (*link)->Close(1001);
        break;
      }
      if (!link.ok()) {
        if (first) {
          first_connect->set_value(link.take_error());
          co_return;
        }
        MLOG(kWarn) << "sdk: reconnect failed (" << link.error().message << "); retrying in "
                    << backoff.count() << " ms";
        wake_->expires_after(backoff);
        boost::system::error_code ec;
        co_await wake_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
        backoff = std::min(backoff * 2, options_.reconnect_max_backoff);
        continue;
      }
      backoff = options_.reconnect_initial_backoff;
      Adopt(std::move(link).value());
      if (first) {
        first = false;
        first_connect->set_value(OkStatus());
      } else {
        MLOG(kInfo) << "sdk: reconnected";
      }
    }
    wake_->expires_at(asio::steady_timer::time_point::max());
    boost::system::error_code ec;
    co_await wake_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

awaitable<void> ServerSdk::Impl::Refresh(std::string endpoint_url, std::string token) {
  ServerParameters next = params_;
  next.web_socket_url = endpoint_url;
  next.auth_token = token;
  auto endpoint = MakeEndpoint(next);
  if (!endpoint.ok()) {
    MLOG(kWarn) << "sdk: ignoring RefreshConnection: " << endpoint.error().message;
    co_return;
  }
  auto link = co_await Link::Open(*endpoint, *ssl_, options_.handshake_timeout);
  if (closing_) {
    if (link.ok()) (*link)->Close(1001);
    co_return;
  }
  if (!link.ok()) {
    MLOG(kWarn) << "sdk: RefreshConnection failed: " << link.error().message;
    co_return;
  }
  params_ = std::move(next);
  auto old = current_;
  Adopt(std::move(link).value());
  if (old) old->Close(1001);
}

// ---------------- process ----------------

Status ServerSdk::Impl::ProcessReady(const ProcessParameters& params) {
  {
    std::lock_guard lock(mu_);
    if (!running_) return Error::Unavailable("the SDK is not initialised; call InitSDK first");
    asio::post(*io_, [this, params] { process_ = params; });
  }
  fleet::ActivateServerProcess activate;
  activate.sdk_version = options_.sdk_version;
  activate.sdk_language = "Cpp";
  activate.port = params.port;
  activate.log_paths = params.log_paths;
  MUSTER_RETURN_IF_ERROR(CallStatus(std::move(activate)));
  std::lock_guard lock(mu_);
  if (running_) {
    asio::post(*io_, [this] {
      ready_ = true;
      ScheduleHeartbeat();
    });
  }
  return OkStatus();
}

Status ServerSdk::Impl::ProcessEnding() {
  {
    std::lock_guard lock(mu_);
    if (running_) {
      asio::post(*io_, [this] {
        ready_ = false;
        heartbeat_->cancel();
      });
    }
  }
  return CallStatus(fleet::TerminateServerProcess{});
}

void ServerSdk::Impl::ScheduleHeartbeat() {
  auto base = options_.heartbeat_interval.count();
  auto jitter = options_.heartbeat_jitter.count();
  std::int64_t delay = base;
  if (jitter > 0) {
    delay += std::uniform_int_distribution<std::int64_t>(-jitter, jitter)(rng_);
  }
  heartbeat_->expires_after(std::chrono::milliseconds(std::max<std::int64_t>(1, delay)));
  heartbeat_->async_wait([this](boost::system::error_code ec) {
    if (ec || !ready_ || closing_) return;
    SendHeartbeat();
    ScheduleHeartbeat();
  });
}

void ServerSdk::Impl::SendHeartbeat() {
  auto send = [this](bool healthy) {
    StartRequest(fleet::HeartbeatServerProcess{healthy},
                 [](Reply r) {
                   if (!r.ok()) {
                     MLOG(kWarn) << "sdk: heartbeat failed: " << r.error().message;
                   }
                 },
                 1);
  };
  if (!process_.on_health_check) {
    send(true);
    return;
  }
  // The health check is user code: run it on the callback thread, send from the I/O thread.
  callbacks_->Post([this, check = process_.on_health_check, send] {
    bool healthy = check();
    std::lock_guard lock(mu_);
    if (running_) asio::post(*io_, [send, healthy] { send(healthy); });
  });
}

// ---------------- ServerSdk ----------------

ServerSdk::ServerSdk() : impl_(std::make_unique<Impl>()) {}
ServerSdk::~ServerSdk() = default;

Status ServerSdk::InitSDK(const ServerParameters& params, const SdkOptions& options) {
  return impl_->InitSDK(params, options);
}
Status ServerSdk::ProcessReady(const ProcessParameters& params) { return impl_->ProcessReady(params); }
Status ServerSdk::ProcessEnding() { return impl_->ProcessEnding(); }

Status ServerSdk::ActivateGameSession() {
  MUSTER_ASSIGN_OR_RETURN(std::string id, impl_->GameSessionId());
  return impl_->CallStatus(fleet::ActivateGameSession{std::move(id)});
}

Status ServerSdk::UpdatePlayerSessionCreationPolicy(PlayerSessionCreationPolicy policy) {
  MUSTER_ASSIGN_OR_RETURN(std::string id, impl_->GameSessionId());
  return impl_->CallStatus(fleet::UpdatePlayerSessionCreationPolicy{
      std::move(id), policy == PlayerSessionCreationPolicy::kAcceptAll ? "ACCEPT_ALL" : "DENY_ALL"});
}

Status ServerSdk::AcceptPlayerSession(const std::string& player_session_id) {
  MUSTER_ASSIGN_OR_RETURN(std::string id, impl_->GameSessionId());
  return impl_->CallStatus(fleet::AcceptPlayerSession{std::move(id), player_session_id});
}

Status ServerSdk::RemovePlayerSession(const std::string& player_session_id) {
  MUSTER_ASSIGN_OR_RETURN(std::string id, impl_->GameSessionId());
  return impl_->CallStatus(fleet::RemovePlayerSession{std::move(id), player_session_id});
}

Result<DescribePlayerSessionsResult> ServerSdk::DescribePlayerSessions(
    const DescribePlayerSessionsRequest& req) {
  MUSTER_ASSIGN_OR_RETURN(ServerMessage m, impl_->Call(req));
  if (auto* r = std::get_if<DescribePlayerSessionsResult>(&m.body)) return std::move(*r);
  return DescribePlayerSessionsResult{};
}

Result<std::string> ServerSdk::StartMatchBackfill(const StartMatchBackfillRequest& req) {
  MUSTER_ASSIGN_OR_RETURN(ServerMessage m, impl_->Call(req));
  if (auto* r = std::get_if<fleet::StartMatchBackfillResult>(&m.body)) return r->ticket_id;
  return std::string();
}

Status ServerSdk::StopMatchBackfill(const StopMatchBackfillRequest& req) {
  return impl_->CallStatus(req);
}

Result<GetComputeCertificateResult> ServerSdk::GetComputeCertificate() {
  MUSTER_ASSIGN_OR_RETURN(ServerMessage m, impl_->Call(fleet::GetComputeCertificate{}));
  if (auto* r = std::get_if<GetComputeCertificateResult>(&m.body)) return std::move(*r);
  return GetComputeCertificateResult{};
}

Result<GetFleetRoleCredentialsResult> ServerSdk::GetFleetRoleCredentials(
    const GetFleetRoleCredentialsRequest& req) {
  MUSTER_ASSIGN_OR_RETURN(ServerMessage m, impl_->Call(req));
  if (auto* r = std::get_if<GetFleetRoleCredentialsResult>(&m.body)) return std::move(*r);
  return GetFleetRoleCredentialsResult{};
}

Result<std::string> ServerSdk::GetGameSessionId() const { return impl_->GameSessionId(); }
Result<std::int64_t> ServerSdk::GetTerminationTime() const { return impl_->TerminationTime(); }
Status ServerSdk::Destroy() { return impl_->Destroy(); }
std::string ServerSdk::process_id() const { return impl_->process_id(); }
bool ServerSdk::connected() const { return impl_->connected(); }

// ---------------- free functions ----------------

ServerSdk& DefaultSdk() {
  static ServerSdk* sdk = new ServerSdk();  // never destroyed: usable from exit paths
  return *sdk;
}
Status InitSDK(const ServerParameters& params, const SdkOptions& options) {
  return DefaultSdk().InitSDK(params, options);
}
Status ProcessReady(const ProcessParameters& params) { return DefaultSdk().ProcessReady(params); }
Status ProcessEnding() { return DefaultSdk().ProcessEnding(); }
Status ActivateGameSession() { return DefaultSdk().ActivateGameSession(); }
Status UpdatePlayerSessionCreationPolicy(PlayerSessionCreationPolicy policy) {
  return DefaultSdk().UpdatePlayerSessionCreationPolicy(policy);
}
Status AcceptPlayerSession(const std::string& id) { return DefaultSdk().AcceptPlayerSession(id); }
Status RemovePlayerSession(const std::string& id) { return DefaultSdk().RemovePlayerSession(id); }
Result<DescribePlayerSessionsResult> DescribePlayerSessions(const DescribePlayerSessionsRequest& req) {
  return DefaultSdk().DescribePlayerSessions(req);
}
Result<std::string> GetGameSessionId() { return DefaultSdk().GetGameSessionId(); }
Status Destroy() { return DefaultSdk().Destroy(); }

}  // namespace muster::sdk
