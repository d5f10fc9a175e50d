#pragma once
// One WebSocket connection from the SDK to the backend (plain ws or TLS wss): connect with a
// handshake timeout, a queue of outgoing text frames, a read loop, and a close with a code.
//
// Thread safety: none; every method runs on the SDK's I/O thread (the link's executor).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/result.h"
#include "sdk/server/endpoint.h"

namespace muster::sdk {

class Link {
 public:
  virtual ~Link() = default;

  // Resolves, connects, (TLS handshake), WebSocket handshake. `ssl` is used for wss only.
  static boost::asio::awaitable<Result<std::shared_ptr<Link>>> Open(
      const Endpoint& endpoint, boost::asio::ssl::context& ssl,
      std::chrono::milliseconds handshake_timeout);

  // Queues a text frame; frames go out in order. Ignored after the link closed.
  virtual void Send(std::string frame) = 0;
  // Starts a close handshake with `code` (1001 = going away).
  virtual void Close(std::uint16_t code) = 0;
  // Reads frames until the link fails or closes, handing each to `on_frame`.
  virtual boost::asio::awaitable<void> ReadLoop(std::function<void(std::string)> on_frame) = 0;
  virtual bool open() const = 0;
};

// A client TLS context: TLS 1.2 or newer; verification per the flags.
std::unique_ptr<boost::asio::ssl::context> MakeClientTlsContext(bool verify,
                                                                const std::string& ca_file);

}  // namespace muster::sdk
