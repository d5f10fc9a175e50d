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
using BeastResponse = boost::beast::http::response<boost::beast::http::string_body>;

// IMF-fixdate of now, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string HttpDate();

// {"error":<error>,"message":<message>} with status, for errors the transport answers itself.
HttpResponse ErrorResponse(int status, std::string_view error, std::string_view message);

// Moves a parsed request into the public form (header names lowercased).
HttpRequest ToHttpRequest(BeastRequest&& req, const std::string& remote, bool tls);

// Builds the wire response: status, Content-Type, extra headers, Date, Server, Content-Length,
// keep-alive. For a HEAD request the body is dropped but Content-Length kept.
BeastResponse ToBeastResponse(HttpResponse&& res, unsigned version, bool keep_alive, bool head);

}  // namespace muster::net::internal
