#pragma once
// Internal to muster_net: starting connections accepted by the listener, and the hand-over of an
// upgraded stream to a WebSocket session.
//
// Thread safety: call on the socket's executor (the listener does, from its accept handler).

#include <memory>
#include <cstdint>
#include <string>
#include <string_view>

#include "net/http_util.h"
#include "net/server_state.h"

namespace muster::net::internal {

// Serves HTTP on an accepted socket (doing the TLS handshake first when state has a TLS context),
// in the registry slot the listener admitted it under.
void StartHttpSession(tcp::socket&& socket, std::shared_ptr<ServerState> state,
                      std::uint64_t slot, std::string remote);

// Answers 503 with `message` and closes (TLS: just closes); used when admission fails.
void RefuseConnection(tcp::socket&& socket, bool tls, std::string_view message);

// Takes over an upgraded stream and its registry slot: accepts the WebSocket handshake for req
// and runs the session. Defined for PlainStream and TlsStream in ws_session.cc.
template <class Stream>
void StartWsSession(Stream&& stream, BeastRequest&& req, WsCallbacks callbacks,
                    std::shared_ptr<ServerState> state, std::uint64_t slot, std::string remote);

// The same on Muster's own WebSocket code (light_ws_session.cc), for a request that passed
// ws::CheckUpgrade; `key` is its Sec-WebSocket-Key.
template <class Stream>
void StartLightWsSession(Stream&& stream, std::string_view key, WsCallbacks callbacks,
                         std::shared_ptr<ServerState> state, std::uint64_t slot, std::string remote);

}  // namespace muster::net::internal
