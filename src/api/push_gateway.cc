#include "api/push_gateway.h"

#include "api/client_api.h"
#include "api/push_codec.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/time_util.h"
#include "ws/frame.h"
#include "ws/utf8.h"

namespace muster::api {

namespace {

constexpr std::string_view kConnectionsPrefix = "/@connections/";
constexpr std::size_t kMaxPostBytes = 128 * 1024;
// How long a presigned /ws URL may be valid: its signature is remembered that long (ReplayGuard).
constexpr int kMaxPresignedSeconds = 900;

net::HttpResponse Gone(const std::string& id) {
  net::HttpResponse r = JsonResponse(410, json::object{{"message", "connection " + id + " is gone"}});
  r.headers.emplace_back("x-amzn-ErrorType", "GoneException");
  return r;
}

}  // namespace

struct PushGateway::Conn {
  std::string id;
  std::string identity;
  std::string address;
  std::string address_key;  // ClientKey(address), for the per-address limits
  std::string user_agent;
  Millis connected_at = 0;
  std::atomic<Millis> last_active{0};
  std::atomic<Millis> row_written{0};  // the last-active time its row holds
  std::weak_ptr<net::WsConnection> ws;
  std::uint64_t listener = 0;  // in the client stream; 0: not attached
  bool registered = false;     // counted in conns_ (set and read on the connection's loop)
};

PushGateway::PushGateway(PlayerTickets& tickets, node::ClientStream& stream, store::CommitWriter& writer,
                         const Clock& clock, PushGatewayOptions options)
    : tickets_(tickets),
      stream_(stream),
      writer_(writer),
      clock_(clock),
      options_(std::move(options)),
      identity_connects_(options_.connects_per_identity),
      address_connects_(options_.connects_per_address),
      messages_(options_.messages_per_connection),
      identity_messages_(options_.messages_per_identity),
      address_messages_(options_.messages_per_address),
      replays_(tickets_.options().max_skew_ms) {}

PushGateway::~PushGateway() {
  std::lock_guard lock(mu_);
  for (auto& [id, conn] : conns_) {
    if (conn->listener != 0) stream_.Detach(conn->listener);
  }
}

Status PushGateway::Start(store::Store& store, std::string node_name) {
  node_name_ = std::move(node_name);
  MUSTER_ASSIGN_OR_RETURN(auto stale, store.ListByStatus(store::Table::kConnections, node_name_, "", 100'000));
  if (stale.empty()) return OkStatus();
  std::vector<store::Write> deletes;
  for (const auto& row : stale) deletes.push_back(store::Write::Delete(store::Table::kConnections, row.id));
  MUSTER_RETURN_IF_ERROR(store.Commit(deletes, {}));
  MLOG(kInfo) << "push: removed " << stale.size() << " connection rows a previous run of node " << node_name_
              << " left";
  return OkStatus();
}

std::variant<net::WsCallbacks, net::HttpResponse> PushGateway::Upgrade(const net::HttpRequest& request) {
  if (request.path != "/ws") {
    return ErrorResponse(Error::NotFound("no WebSocket endpoint at " + request.path + " (the push flow is at /ws)"));
  }
  auto player = tickets_.Authenticate(request, /*allow_bearer=*/true);
  if (!player.ok()) {
    MLOG(kDebug) << "push: refused an upgrade from " << request.remote_address << ": " << player.error().message;
    return ErrorResponse(player.error());
  }
  if (player->presigned_expires_seconds > kMaxPresignedSeconds) {
    return ErrorResponse(Error::Forbidden("a presigned /ws URL may be valid for at most " +
                                          std::to_string(kMaxPresignedSeconds) + " s (X-Amz-Expires is " +
                                          std::to_string(player->presigned_expires_seconds) + ")"));
  }
  const std::string& identity = player->identity;
  const Millis now = clock_.NowMillis();
  const std::string from = ClientKey(request.remote_address);
  if (!identity_connects_.Allow(identity, now)) {
    return ErrorResponse(Error::LimitExceeded("too many new connections for this identity; retry in " +
                                              std::to_string(identity_connects_.RetryAfterSeconds(identity, now)) + " s"));
  }
  if (!address_connects_.Allow(from, now)) {
    return ErrorResponse(Error::LimitExceeded("too many new connections from your address; retry in " +
                                              std::to_string(address_connects_.RetryAfterSeconds(from, now)) + " s"));
  }
  {
    std::lock_guard lock(mu_);
    auto it = per_identity_.find(identity);
    if (it != per_identity_.end() && it->second >= options_.max_connections_per_identity) {
      return ErrorResponse(Error::LimitExceeded("this identity has " + std::to_string(it->second) +
                                                " connections open already (at most " +
                                                std::to_string(options_.max_connections_per_identity) + ")"));
    }
  }
  // Last, so that only upgrades about to be accepted are remembered (each signature opens one).
  if (!player->signature.empty()) {
    if (auto st = replays_.Admit(player->signature, player->valid_until, now); !st.ok()) return ErrorResponse(st.error());
  }
  auto conn = std::make_shared<Conn>();
  conn->id = Base64UrlEncode(RandomBytes(12));
  conn->identity = identity;
  conn->address = request.remote_address;
  conn->address_key = from;
  if (const std::string* ua = request.Header("user-agent")) conn->user_agent = ua->substr(0, 256);
  conn->connected_at = now;
  conn->last_active = now;
  net::WsCallbacks callbacks;
  callbacks.engine = net::WsEngine::kMuster;
  callbacks.on_open = [this, conn](const std::shared_ptr<net::WsConnection>& ws) { OnOpen(conn, ws); };
  callbacks.on_message = [this, conn](const std::shared_ptr<net::WsConnection>&, std::string&& text) {
    OnMessage(conn, std::move(text));
  };
  // Once the connection takes no more messages, events stay with the stream for a reconnect
  // instead of being handed to it and dropped.
  callbacks.on_closing = [this, conn](const std::shared_ptr<net::WsConnection>&) { StopEvents(*conn); };
  callbacks.on_close = [this, conn](const std::shared_ptr<net::WsConnection>&, std::uint16_t) { OnClose(conn); };
  return callbacks;
}

void PushGateway::OnOpen(const std::shared_ptr<Conn>& conn, const std::shared_ptr<net::WsConnection>& ws) {
  conn->ws = ws;
  {
    // Upgrade refused beyond the limit already; connections opening at the same moment are
    // counted here, where it holds exactly.
    std::lock_guard lock(mu_);
    std::size_t& open = per_identity_[conn->identity];
    if (open >= options_.max_connections_per_identity) {
      ws->Close(ws::close_code::kPolicyViolation, "too many connections open for this identity");
      return;
    }
    ++open;
    conns_.emplace(conn->id, conn);
    conn->registered = true;
  }
  WriteRow(*conn, /*insert=*/true);
  // Events go to the connection as the player may see them; first those it missed.
  std::weak_ptr<net::WsConnection> weak = ws;
  const std::string player = conn->identity;
  conn->listener = stream_.Attach(player, [weak, player](std::int64_t, const std::shared_ptr<const std::string>& event) {
    auto target = weak.lock();
    if (!target) return;
    if (auto text = EventForPlayer(*event, player)) target->Send(std::move(*text));
  });
}

void PushGateway::StopEvents(Conn& conn) {
  if (conn.listener == 0) return;
  stream_.Detach(conn.listener);
  conn.listener = 0;
}

void PushGateway::OnClose(const std::shared_ptr<Conn>& conn) {
  if (!conn->registered) return;
  conn->registered = false;
  StopEvents(*conn);
  {
    std::lock_guard lock(mu_);
    conns_.erase(conn->id);
    auto it = per_identity_.find(conn->identity);
    if (it != per_identity_.end() && --it->second == 0) per_identity_.erase(it);
  }
  DeleteRow(conn->id);
}

void PushGateway::Reply(const std::shared_ptr<Conn>& conn, std::string text) {
  if (auto ws = conn->ws.lock()) ws->Send(std::move(text));
}

void PushGateway::OnMessage(const std::shared_ptr<Conn>& conn, std::string&& text) {
  const Millis now = clock_.NowMillis();
  // Per connection, and per identity and address over all their connections (so that opening
  // more connections does not multiply the rate).
  const char* over = !messages_.Allow(conn->id, now)                    ? "this connection"
                     : !identity_messages_.Allow(conn->identity, now)  ? "this identity"
                     : !address_messages_.Allow(conn->address_key, now) ? "your address"
                                                                         : nullptr;
  if (over) {
    if (auto ws = conn->ws.lock()) {
      ws->Close(ws::close_code::kPolicyViolation, std::string("message rate limit exceeded for ") + over);
    }
    return;
  }
  conn->last_active = now;
  if (now - conn->row_written.load() >= options_.last_active_every_ms) WriteRow(*conn, /*insert=*/false);

  auto parsed = ParsePushRequest(text, tickets_.options().max_latency_ms);
  if (auto* bad = std::get_if<PushRequestError>(&parsed)) {
    return Reply(conn, PushError(bad->action, bad->request_id, bad->error));
  }
  PushRequest req = std::get<PushRequest>(std::move(parsed));
  std::weak_ptr<Conn> weak = conn;
  auto answer = [this, weak, action = req.action, request_id = req.request_id](Result<matchmaking::Ticket> t) {
    auto c = weak.lock();
    if (!c) return;
    Reply(c, t.ok() ? PushTicketReply(action, request_id, PlayerTicketJson(*t))
                    : PushError(PushActionName(action), request_id, t.error()));
  };
  switch (req.action) {
    case PushAction::kPing:
      return Reply(conn, PushPong(req.request_id, FormatIso8601(now)));
    case PushAction::kDescribeTicket:
      return answer(tickets_.Get(conn->identity, req.ticket_id));
    case PushAction::kStartMatchmaking:
      return tickets_.Start(conn->identity, conn->address, req.configuration, std::move(req.latencies),
                            std::move(answer));
    case PushAction::kStopMatchmaking:
      return tickets_.Cancel(conn->identity, req.ticket_id, std::move(answer));
    case PushAction::kAcceptMatch:
      return tickets_.Accept(conn->identity, req.ticket_id, req.accept, std::move(answer));
  }
}

void PushGateway::WriteRow(Conn& conn, bool insert) {
  const Millis active = conn.last_active.load();
  conn.row_written.store(active);
  store::Row row;
  row.id = conn.id;
  row.index = conn.identity;
  row.status = node_name_;
  row.body = ToJson(json::object{{"identity", conn.identity},
                                 {"node", node_name_},
                                 {"sourceIp", conn.address},
                                 {"connectedAt", FormatIso8601(conn.connected_at)},
                                 {"lastActiveAt", FormatIso8601(active)}});
  Record(insert ? store::Write::Insert(store::Table::kConnections, std::move(row))
                : store::Write::Upsert(store::Table::kConnections, std::move(row)),
         "connection " + conn.id + " not recorded");
}

void PushGateway::DeleteRow(const std::string& id) {
  Record(store::Write::Delete(store::Table::kConnections, id), "the row of closed connection " + id + " stays");
}

void PushGateway::Record(store::Write write, std::string failure) {
  store::Batch batch;  // no shard: a connection's row depends on no other write
  batch.writes.push_back(std::move(write));
  auto log = [failure = std::move(failure)](const Status& st) {
    if (!st.ok()) {
      MLOG(kWarn) << "push: " << failure << ": " << st.error().message;
    }
  };
  auto st = writer_.Submit(std::move(batch), log);
  log(st);
}

bool PushGateway::Manage(const net::HttpRequest& request, const net::Responder& respond) {
  if (request.path.rfind(kConnectionsPrefix, 0) != 0) return false;
  const std::string id = request.path.substr(kConnectionsPrefix.size());
  std::shared_ptr<Conn> conn;
  {
    std::lock_guard lock(mu_);
    auto it = conns_.find(id);
    if (it != conns_.end()) conn = it->second;
  }
  std::shared_ptr<net::WsConnection> ws = conn ? conn->ws.lock() : nullptr;
  if (!ws) {
    respond(Gone(id));
    return true;
  }
  if (request.method == "POST") {
    if (request.body.size() > kMaxPostBytes) {
      respond(ErrorResponse(Error::TooLarge("at most " + std::to_string(kMaxPostBytes) + " bytes per message")));
    } else if (!ws::IsValidUtf8(request.body)) {
      respond(ErrorResponse(Error::InvalidArgument("the data must be UTF-8 text (it is sent as a text message)")));
    } else {
      ws->Send(request.body);
      respond(net::HttpResponse{200, "", {}, ""});
    }
  } else if (request.method == "GET") {
    respond(JsonResponse(200, json::object{{"connectedAt", FormatIso8601(conn->connected_at)},
                                           {"lastActiveAt", FormatIso8601(conn->last_active.load())},
                                           {"identity", json::object{{"sourceIp", conn->address},
                                                                     {"userAgent", conn->user_agent},
                                                                     {"identityId", conn->identity}}}}));
  } else if (request.method == "DELETE") {
    ws->Close(ws::close_code::kNormal, "closed by the game's backend");
    respond(net::HttpResponse{204, "", {}, ""});
  } else {
    net::HttpResponse r = ErrorResponse(Error::InvalidArgument(request.method + " is not a method of " + request.path));
    r.status = 405;
    respond(std::move(r));
  }
  return true;
}

std::size_t PushGateway::Connections() const {
  std::lock_guard lock(mu_);
  return conns_.size();
}

}  // namespace muster::api
