#pragma once
// A game client's WebSocket to Muster's push gateway (docs/push.md): one synchronous connection
// with deadlines, Beast underneath. MusterClient::MatchOverPush drives it; tests and tools may use
// it directly.
//
// Thread safety: one PushConnection per thread.

#include <memory>
#include <string>

#include "common/result.h"
#include "sdk/client/url.h"

namespace muster::client {

class PushConnection {
 public:
  ~PushConnection();
  PushConnection(const PushConnection&) = delete;
  PushConnection& operator=(const PushConnection&) = delete;

  // Opens a WebSocket to `target` (a path with its query, e.g. a presigned "/ws?X-Amz-…").
  // A refused upgrade is kUnauthorized (401), kForbidden (403), kLimitExceeded (429) or
  // kUnavailable, with the status and the gateway's reason in the message.
  static Result<std::unique_ptr<PushConnection>> Open(const Endpoint& endpoint, const std::string& target,
                                                      int timeout_ms);

  Status Send(const std::string& text, int timeout_ms = 10000);
  // The next text message, waiting up to timeout_ms. kUnavailable on a timeout, and once the
  // connection closed (the message names the close code and reason).
  Result<std::string> Receive(int timeout_ms);
  // The close handshake with `code` (1000: normal).
  void Close(std::uint16_t code = 1000);

 private:
  struct Impl;
  explicit PushConnection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace muster::client
