#pragma once
// The push flow's WebSocket gateway (ARCHITECTURE.md "Push flow", docs/push.md): `/ws` on the
// client port. A player opens a signed WebSocket, starts matchmaking on it and is told every
// matchmaking event of its tickets, ending with the game server's address and its own player
// session id, without polling.
//
// The managed gateway's routes, here:
//   $connect     the upgrade: authenticated (SigV4 of the identity's credentials, service
//                execute-api, presigned query or header form, each signature good for one
//                connection only; or a bearer OpenID token), limited
//                per identity and per address, refused before the upgrade with 401/403/429 and
//                a JSON reason; then the connection is recorded in the store (kConnections: id,
//                identity, node as the row's status, connected-at, last-active) and attached to
//                the client stream, which first delivers what the identity missed while it was
//                away (push_replay_seconds).
//   $disconnect  the close: the stream detached as soon as the connection takes no more messages
//                (on_closing: a close frame queued or received), so that events from then on are
//                kept for a reconnect; the row deleted at the end.
//   custom       the actions of push_codec.h, chosen by the message's "action".
//   $default     anything else: an error message on the socket (the connection stays).
// A connection sending faster than messages_per_connection (or whose identity or address sends
// faster than theirs over all their connections) is closed with 1008 and a reason.
//
// Threads: Upgrade, the connection callbacks and Manage run on the connections' loops. Actions
// go through PlayerTickets (answered from the owner's thread by WsConnection::Send, which posts
// to the connection's loop). Events arrive on the dispatcher's thread (ClientStream's listener),
// are cut to the player there and handed to the connection the same way. The connection table
// is under one mutex. Store rows are written by the commit writer, never on a loop.

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <variant>

#include "api/player_tickets.h"
#include "api/replay_guard.h"
#include "common/clock.h"
#include "common/rate_limiter.h"
#include "net/http_server.h"
#include "node/client_stream.h"
#include "store/commit_writer.h"

namespace muster::api {

struct PushGatewayOptions {
  RateLimit connects_per_identity{30, 10};   // new connections per identity (per minute, burst)
  RateLimit connects_per_address{600, 200};  // per client address (IPv6: per /64)
  std::size_t max_connections_per_identity = 4;  // open at once; beyond → 429
  RateLimit messages_per_connection{600, 60};    // beyond → close 1008
  RateLimit messages_per_identity{1200, 120};    // over all its connections; beyond → close 1008
  RateLimit messages_per_address{12000, 1200};   // per client address (IPv6: per /64)
  Millis last_active_every_ms = 60'000;          // a connection's row is updated at most this often
};

class PushGateway {
 public:
  PushGateway(PlayerTickets& tickets, node::ClientStream& stream, store::CommitWriter& writer, const Clock& clock,
              PushGatewayOptions options);
  ~PushGateway();
  PushGateway(const PushGateway&) = delete;
  PushGateway& operator=(const PushGateway&) = delete;

  // Names this node in its connections' rows (its host and client port) and deletes the rows a
  // previous run of it left (it stopped without closing them). Call once, before connections
  // can arrive or right after the listener started.
  Status Start(store::Store& store, std::string node_name);

  // The client listener's upgrade handler (for the path /ws; others get 404).
  std::variant<net::WsCallbacks, net::HttpResponse> Upgrade(const net::HttpRequest& request);

  // The management routes on a connection, signed with admin credentials (the caller checks):
  //   POST   /@connections/{id}   the body is sent to the connection as one text message
  //   GET    /@connections/{id}   {"connectedAt","lastActiveAt","identity":{"sourceIp","identityId"}}
  //   DELETE /@connections/{id}   closes it (1000)
  // 410 GoneException when the connection is not open on this node. True when the path is one.
  bool Manage(const net::HttpRequest& request, const net::Responder& respond);

  std::size_t Connections() const;

 private:
  struct Conn;
  void OnOpen(const std::shared_ptr<Conn>& conn, const std::shared_ptr<net::WsConnection>& ws);
  void OnMessage(const std::shared_ptr<Conn>& conn, std::string&& text);
  void OnClose(const std::shared_ptr<Conn>& conn);
  // Detaches the connection from the client stream (once it takes no more messages).
  void StopEvents(Conn& conn);
  void Reply(const std::shared_ptr<Conn>& conn, std::string text);
  void WriteRow(Conn& conn, bool insert);
  void DeleteRow(const std::string& id);
  // Submits one write of a connection's row; a failure is logged with `failure`.
  void Record(store::Write write, std::string failure);

  PlayerTickets& tickets_;
  node::ClientStream& stream_;
  store::CommitWriter& writer_;
  const Clock& clock_;
  const PushGatewayOptions options_;
  std::string node_name_ = "local";  // set by Start, before any connection
  RateLimiter identity_connects_;
  RateLimiter address_connects_;
  RateLimiter messages_;
  RateLimiter identity_messages_;
  RateLimiter address_messages_;
  ReplayGuard replays_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Conn>> conns_;  // GUARDED_BY(mu_); by connection id
  std::unordered_map<std::string, std::size_t> per_identity_;     // GUARDED_BY(mu_); open (or opening)
};

}  // namespace muster::api
