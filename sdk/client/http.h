#pragma once
// One synchronous HTTP/1.1 request per call over a fresh TCP connection (Beast), with an overall
// deadline. Errors: kUnavailable for connect/I-O/timeouts, with the host:port in the message.
//
// Thread safety: each call has its own io_context; safe from any thread.

#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "sdk/client/url.h"

namespace muster::client {

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

Result<HttpResponse> HttpCall(const Endpoint& endpoint, const std::string& method,
                              const std::string& target,
                              const std::vector<std::pair<std::string, std::string>>& headers,
                              const std::string& body, int timeout_ms);

}  // namespace muster::client
