#pragma once
// Internal to muster_net: conversions between Beast messages and the public HttpRequest /
// HttpResponse, the Date header, and the JSON error responses the transport itself produces.
//
// Thread safety: plain functions.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string>
#include <string_view>

#include "net/http_server.h"

namespace muster::net::internal {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;

// IMF-fixdate of now, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string HttpDate();
// The same, formatted once a second per thread.
const std::string& CachedHttpDate();

// {"error":<error>,"message":<message>} with status, for errors the transport answers itself.
HttpResponse ErrorResponse(int status, std::string_view error, std::string_view message);

// Moves a parsed request into the public form (header names lowercased).
HttpRequest ToHttpRequest(BeastRequest&& req, const std::string& remote, bool tls);

// Writes the wire response's status line and header section into `out` (replacing its content,
// keeping its capacity): status, Server, Date, Content-Type, the handler's headers (without the
// ones the transport owns, and without any that could split the response), Connection as
// keep_alive needs for `version` (10 or 11), Content-Length. The body goes after it as it is (none
// for a HEAD request, whose Content-Length is still the body's).
void SerializeResponseHead(const HttpResponse& res, std::size_t content_length, unsigned version, bool keep_alive,
                           std::string* out);

}  // namespace muster::net::internal
