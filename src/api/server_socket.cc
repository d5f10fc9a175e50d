#include "api/server_socket.h"

#include "api/client_api.h"
#include "api/query.h"
#include "auth/server_socket_auth.h"
#include "common/crypto.h"
#include "common/log.h"
#include "fleet/model.h"
#include "fleet/protocol.h"

namespace muster::api {

ServerSocket::ServerSocket(node::Node& node, const Clock& clock, ServerSocketOptions options)
    : node_(node),
      clock_(clock),
      options_(std::move(options)),
      refusal_log_(kRefusalLogRate),
      refusal_log_all_(kRefusalLogRateAll) {}

net::WsUpgradeHandler ServerSocket::UpgradeHandler() {
  return [this](const net::HttpRequest& req) -> std::variant<net::WsCallbacks, net::HttpResponse> {
    auto q = ParseQuery(req.query);
    if (!q.ok()) return ErrorResponse(q.error());
    auto get = [&](const char* k) { return q->count(k) ? q->at(k) : std::string(); };
    Pending p{get("FleetId"), get("ComputeId"), get("pID"), get("IdempotencyToken")};
    for (auto [name, value] : {std::pair{"FleetId", &p.fleet_id}, {"ComputeId", &p.compute_name}, {"pID", &p.process_id}}) {
      if (value->empty()) return ErrorResponse(Error::InvalidArgument(std::string("query parameter ") + name + " is required"));
    }
    std::string authz = get("Authorization");
    if (authz.empty()) return ErrorResponse(Error::Unauthorized("query parameter Authorization is required"));
    Status st;
    if (authz == "SigV4") {
      auth::SecretLookup lookup = [&](std::string_view ak) -> Result<auth::SecretLookupResult> {
        if (!options_.admin_secret) return Error::Unauthorized("SigV4 connects are not enabled");
        MUSTER_ASSIGN_OR_RETURN(std::string secret, options_.admin_secret(ak));
        return auth::SecretLookupResult{secret, ""};
      };
      auto v = auth::VerifyServerSocketConnect(req.query, lookup, {"gamelift", options_.region, 5 * 60 * 1000},
                                               clock_.NowMillis());
      // The compute itself is checked when the process connects (unknown computes are refused).
      if (!v.ok()) st = v.take_error();
    } else {
      st = node_.game_servers().Authenticate(p.fleet_id, p.compute_name, authz);
    }
    if (!st.ok()) {
      if (auto more = LogRefusal(req.remote_address)) {
        MLOG(kInfo) << "server socket: refusing a connect from " << req.remote_address << " as "
                    << p.fleet_id << "/" << p.compute_name << "/" << p.process_id << ": " << st.error().message
                    << *more;
      }
      return ErrorResponse(st.error());
    }
    std::string key = fleet::ProcessKey(p.fleet_id, p.compute_name, p.process_id);
    std::optional<std::string> conflict;
    {
      std::lock_guard lock(mu_);
      conflict = ClaimConflict(key, p.idempotency_token);
    }
    if (conflict) {
      if (auto more = LogRefusal(req.remote_address)) {
        MLOG(kWarn) << "server socket: refusing a connect from " << req.remote_address << " claiming process "
                    << key << ": " << *conflict << *more;
      }
      return ErrorResponse(Error::Conflict("process " + p.process_id + " " + *conflict +
                                           "; only the same process (the same IdempotencyToken) may connect as it"));
    }
    // The connection lives on this loop; what it says goes to the node's thread, in order.
    net::WsCallbacks cb;
    cb.on_open = [this, p](const std::shared_ptr<net::WsConnection>& c) {
      node_.RunOnOwner([this, p, c] { OnOpen(c, p); });
    };
    auto in_flight = std::make_shared<std::atomic<int>>(0);  // this connection's requests not yet answered
    cb.on_message = [this, in_flight](const std::shared_ptr<net::WsConnection>& c, std::string&& t) {
      OnFrame(c, std::move(t), in_flight);
    };
    cb.on_close = [this](const std::shared_ptr<net::WsConnection>& c, std::uint16_t) {
      node_.RunOnOwner([this, c] { OnClose(c); });
    };
    return cb;
  };
}

std::optional<std::string> ServerSocket::LogRefusal(const std::string& remote) {
  Millis now = clock_.NowMillis();
  std::lock_guard lock(mu_);
  if (!refusal_log_.Allow(ClientKey(remote), now) || !refusal_log_all_.Allow("", now)) {
    ++refusals_not_logged_;
    return std::nullopt;
  }
  std::string more;
  if (refusals_not_logged_ > 0) {
    more = " (" + std::to_string(refusals_not_logged_) + " more refused connects were not logged)";
    refusals_not_logged_ = 0;
  }
  return more;
}

bool ServerSocket::SameProcess(const Live& live, const std::string& token) {
  return !token.empty() && !live.idempotency_token.empty() &&
         ConstantTimeEquals(live.idempotency_token, token);
}

std::optional<std::string> ServerSocket::ClaimConflict(const std::string& key, const std::string& token) const {
  auto live = connections_.find(key);
  if (live != connections_.end()) {
    if (SameProcess(live->second, token)) return std::nullopt;
    return "is connected on another connection";
  }
  auto bound = tokens_.find(key);
  if (bound == tokens_.end() || bound->second.empty() || !node_.game_servers().ProcessLive(key)) return std::nullopt;
  if (!token.empty() && ConstantTimeEquals(bound->second, token)) return std::nullopt;
  return "was connected with another IdempotencyToken and has not ended";
}

void ServerSocket::OnOpen(const std::shared_ptr<net::WsConnection>& c, const Pending& p) {
  // Registered before the node connects it, so pushes it queues on connect (an unactivated game
  // session pushed again) reach this socket. A newer connection of the same process replaces the
  // older one (the SDK reconnected); another claim on a live pID (checked at the upgrade, checked
  // again here for a claim that won the race meanwhile) is refused.
  std::string key = fleet::ProcessKey(p.fleet_id, p.compute_name, p.process_id);
  std::optional<Live> previous;
  std::optional<std::string> refused;
  {
    std::lock_guard lock(mu_);
    auto old = connections_.find(key);
    if (old != connections_.end() && old->second.connection != c) {
      if (SameProcess(old->second, p.idempotency_token)) {
        previous = old->second;
      } else {
        refused = "is connected on another connection";
      }
    } else if (old == connections_.end()) {
      refused = ClaimConflict(key, p.idempotency_token);
    }
    if (!refused) {
      keys_[c->Id()] = key;
      connections_[key] = Live{c, p.idempotency_token};
    }
  }
  if (refused) {
    MLOG(kWarn) << "server socket: refusing " << key << " from " << c->RemoteAddress() << ": " << *refused;
    c->Close(1008, "process " + *refused);
    return;
  }
  auto connected = node_.game_servers().Connect(c->Id(), p.fleet_id, p.compute_name, p.process_id);
  if (!connected.ok()) {
    {
      std::lock_guard lock(mu_);
      keys_.erase(c->Id());
      if (previous) connections_[key] = *previous;
      else connections_.erase(key);
    }
    MLOG(kWarn) << "server socket: refusing " << key << ": " << connected.error().message;
    c->Close(1008, connected.error().message.substr(0, 120));
    return;
  }
  {
    std::lock_guard lock(mu_);
    tokens_[key] = p.idempotency_token;
  }
  if (previous) {
    replaced_.push_back({previous->connection, clock_.NowMillis() + options_.replaced_close_delay_ms});
    MLOG(kInfo) << "server socket: process " << key << " reconnected from " << c->RemoteAddress()
                << "; its previous connection is replaced";
  } else {
    MLOG(kInfo) << "server socket: process " << key << " connected from " << c->RemoteAddress();
  }
}

void ServerSocket::Tick() {
  Millis now = clock_.NowMillis();
  for (auto it = replaced_.begin(); it != replaced_.end();) {
    if (it->close_at > now) {
      ++it;
      continue;
    }
    it->connection->Close(1000, "replaced by a newer connection of this process");
    it = replaced_.erase(it);
  }
}

void ServerSocket::OnFrame(const std::shared_ptr<net::WsConnection>& c, std::string&& text,
                           const std::shared_ptr<std::atomic<int>>& in_flight) {
  // Decoded here, on the connection's loop: a bad frame is answered without reaching the node.
  fleet::FrameHeader header;
  auto msg = fleet::DecodeClientMessage(text, &header);
  if (!msg.ok()) {
    MLOG(kDebug) << "server socket: bad frame from " << c->RemoteAddress() << ": " << msg.error().message;
    c->Send(fleet::EncodeReply(header.action.empty() ? "Unknown" : header.action, header.request_id,
                               fleet::WireStatus(msg.error().code), msg.error().message));
    return;
  }
  // The node's queue is bounded per connection: a peer that sends faster than its requests are
  // answered (an SDK waits for its replies) is cut, not queued without end.
  if (in_flight->fetch_add(1) >= options_.max_requests_in_flight) {
    in_flight->fetch_sub(1);
    MLOG(kWarn) << "server socket: " << c->RemoteAddress() << " has " << options_.max_requests_in_flight
                << " requests unanswered; closing";
    c->Close(1008, "too many requests in flight");
    return;
  }
  node_.RunOnOwner([this, c, m = std::move(msg).value(), in_flight]() mutable {
    OnMessage(c, std::move(m), [in_flight] { in_flight->fetch_sub(1); });
  });
}

void ServerSocket::OnMessage(const std::shared_ptr<net::WsConnection>& c, fleet::ClientMessage msg,
                             std::function<void()> answered) {
  struct Answered {  // runs `answered` once, however this request ends
    std::function<void()> f;
    ~Answered() {
      if (f) f();
    }
  };
  auto done = std::make_shared<Answered>(Answered{std::move(answered)});
  std::string key;
  {
    std::lock_guard lock(mu_);
    auto kit = keys_.find(c->Id());
    if (kit == keys_.end()) return;  // refused at open; closing
    key = kit->second;
  }
  if (!msg.request_id.empty()) {
    // The SDK sends a request again with the same RequestId when its reply is late: the cached
    // reply answers it, and one still being committed will answer both.
    for (const auto& [rid, reply] : replies_[key]) {
      if (rid == msg.request_id) {
        c->Send(reply);
        return;
      }
    }
    if (!pending_.insert({key, msg.request_id}).second) return;
  }
  const bool terminate = std::holds_alternative<fleet::TerminateServerProcess>(msg.body);
  node_.game_servers().RequestAsync(
      key, msg,
      [this, c, key, action = std::string(msg.action()), request_id = msg.request_id, terminate, done](
          Status st, json::object fields) {
        std::string reply =
            st.ok() ? fleet::EncodeReply(action, request_id, 200, "", fields.empty() ? nullptr : &fields)
                    : fleet::EncodeReply(action, request_id, fleet::WireStatus(st.error().code), st.error().message);
        if (!request_id.empty()) {
          pending_.erase({key, request_id});
          auto& cache = replies_[key];
          cache.emplace_back(request_id, reply);
          if (cache.size() > options_.reply_cache_per_process) cache.pop_front();
        }
        // To the process's connection now: the SDK may have reconnected (and sent the request
        // again) while this one was committed.
        std::shared_ptr<net::WsConnection> to = c;
        {
          std::lock_guard lock(mu_);
          if (auto it = connections_.find(key); it != connections_.end()) to = it->second.connection;
        }
        to->Send(std::move(reply));
        if (terminate) replies_.erase(key);
      });
}

void ServerSocket::OnClose(const std::shared_ptr<net::WsConnection>& c) {
  std::string key;
  {
    std::lock_guard lock(mu_);
    auto kit = keys_.find(c->Id());
    if (kit == keys_.end()) return;
    key = kit->second;
    keys_.erase(kit);
    auto cit = connections_.find(key);
    if (cit != connections_.end() && cit->second.connection == c) connections_.erase(cit);
  }
  node_.game_servers().Disconnect(c->Id(), key);
  MLOG(kInfo) << "server socket: process " << key << " disconnected";
}

void ServerSocket::Sweep() {
  std::lock_guard lock(mu_);
  // Replies are kept across reconnects (the SDK re-sends after one) but not for processes the
  // fleet no longer has.
  for (auto it = replies_.begin(); it != replies_.end();) {
    if (!connections_.count(it->first) && !node_.fleet().FindProcess(it->first)) it = replies_.erase(it);
    else ++it;
  }
  // Tokens are kept while their process lives (a claim during its reconnect is refused).
  for (auto it = tokens_.begin(); it != tokens_.end();) {
    if (!connections_.count(it->first) && !node_.game_servers().ProcessLive(it->first)) it = tokens_.erase(it);
    else ++it;
  }
}

void ServerSocket::Push(const std::string& process_key, const std::string& frame) {
  std::shared_ptr<net::WsConnection> connection;
  {
    std::lock_guard lock(mu_);
    auto it = connections_.find(process_key);
    if (it != connections_.end()) connection = it->second.connection;
  }
  if (!connection) {
    MLOG(kWarn) << "server socket: process " << process_key << " is not connected; push deferred to its reconnect";
    return;
  }
  connection->Send(frame);  // posted to the connection's loop
}

std::size_t ServerSocket::ConnectionCount() const {
  std::lock_guard lock(mu_);
  return keys_.size();
}

}  // namespace muster::api
