#pragma once
// Small synchronous clients for tools and tests: one HTTP/1.1 request per call, and a WebSocket
// client over ws:// or wss:// (certificates are not verified: it is for tests and local tools).
//
// Thread safety: HttpFetch is safe from any thread (each call has its own io_context). A
// WsTestClient is used from one thread at a time.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace muster::net {

struct ClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased, in order
  std::string body;

  const std::string* Header(std::string_view lowercase_name) const;  // first value or nullptr
};

// Sends one request over a new plain TCP connection and reads the whole response. A Host header
// is added unless given; Content-Length is set from body. Errors: kUnavailable (connect, timeout,
// I/O), kInvalidArgument (bad method or response).
Result<ClientResponse> HttpFetch(const std::string& host, std::uint16_t port,
                                 const std::string& method, const std::string& target,
                                 const std::vector<std::pair<std::string, std::string>>& headers,
                                 const std::string& body, int timeout_ms = 10000);

class WsTestClient {
 public:
  WsTestClient();
  ~WsTestClient();
  WsTestClient(const WsTestClient&) = delete;
  WsTestClient& operator=(const WsTestClient&) = delete;

  // 0: TLS 1.2 or 1.3 (default); 12: TLS 1.2 only; 13: TLS 1.3 only. Call before Connect.
  void ForceTlsVersion(int version);

  // Opens the connection and does the handshake. A rejected handshake returns an error whose
  // message contains "HTTP <status>" and the response body.
  Status Connect(const std::string& host, std::uint16_t port, const std::string& target,
                 bool tls = false, const std::vector<std::pair<std::string, std::string>>& headers = {},
                 int timeout_ms = 5000);
  Status Send(const std::string& text);
  Status SendBinary(const std::string& data);
  // Next message. On timeout (kUnavailable "timeout") the read stays pending and the next Receive
  // continues it. When the server closes, returns an error "closed <code>" and CloseCode() is set.
  Result<std::string> Receive(int timeout_ms = 5000);
  // Close handshake with code (waits up to 5 s for the server's reply).
  Status Close(std::uint16_t code = 1000);

  // Close code received from the server; 0 if none.
  std::uint16_t CloseCode() const;
  // Negotiated protocol, e.g. "TLSv1.3"; empty for plain connections.
  std::string TlsVersion() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace muster::net
