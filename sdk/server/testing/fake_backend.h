#pragma once
// A small real WebSocket backend for tests of the server SDK and the sample game server: listens
// on 127.0.0.1 port 0 (plain ws), records each connection's request target and every request
// frame, answers requests through a settable handler (or withholds the reply), pushes frames,
// and drops connections on demand.
//
// Thread safety: all public methods are safe from any thread; the handler runs on the backend's
// own I/O thread.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fleet/protocol.h"

namespace muster::sdk::testing {

struct ReceivedRequest {
  int connection = 0;  // 1-based connection number
  std::string frame;
  fleet::ClientMessage message;
};

class FakeBackend {
 public:
  // Returns the reply frame to send, or nullopt to withhold the reply.
  using Handler = std::function<std::optional<std::string>(const ReceivedRequest&)>;

  FakeBackend();
  ~FakeBackend();

  int port() const;
  std::string url() const;  // ws://127.0.0.1:<port>

  // Default handler: 200 with no fields for every request.
  void SetHandler(Handler handler);
  static std::string Ok(const ReceivedRequest& r) {
    return fleet::EncodeReply(r.message.action(), r.message.request_id, 200, "");
  }

  // Sends a frame on the newest open connection. False if none is open.
  bool Push(const std::string& frame);
  // Closes every open connection's TCP socket abruptly (no close frame).
  void DropConnections();

  // Waits until a request matching `pred` has been received (counting from the first ever);
  // returns it, or nullopt on timeout.
  std::optional<ReceivedRequest> WaitFor(std::function<bool(const ReceivedRequest&)> pred,
                                         std::chrono::milliseconds timeout = std::chrono::seconds(5));
  std::optional<ReceivedRequest> WaitForAction(std::string_view action,
                                               std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Waits until at least `n` connections have been accepted.
  bool WaitForConnections(int n, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Waits until a connection was closed by the peer with a close frame; returns its code.
  std::optional<int> WaitForCloseCode(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  std::vector<ReceivedRequest> requests() const;
  std::vector<std::string> targets() const;  // handshake request targets, one per connection
  int connections() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses "a=1&b=2" (percent-decoding values) from a request target's query.
std::map<std::string, std::string> QueryParams(const std::string& target);

}  // namespace muster::sdk::testing
