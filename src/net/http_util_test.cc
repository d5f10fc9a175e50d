// The response head the transport writes by hand: what a client's parser reads back from it.
#include "net/http_util.h"

#include <gtest/gtest.h>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

namespace muster::net::internal {
namespace {

namespace http = boost::beast::http;

// Parses head + body as a client would.
http::response<http::string_body> ParseBack(const std::string& head, const std::string& body) {
  http::response_parser<http::string_body> p;
  p.eager(true);
  boost::system::error_code ec;
  std::string wire = head + body;
  std::size_t used = p.put(boost::asio::buffer(wire), ec);
  EXPECT_FALSE(ec) << ec.message() << "\n" << wire;
  EXPECT_EQ(used, wire.size());
  EXPECT_TRUE(p.is_done()) << wire;
  return p.release();
}

TEST(SerializeResponseHead, ReadsBackAsTheResponseGiven) {
  HttpResponse r;
  r.status = 404;
  r.content_type = "application/json";
  r.headers = {{"X-Muster-Ticket-Status", "QUEUED"}, {"Retry-After", "1"}};
  r.body = R"({"error":"NotFound"})";
  std::string head = "left over from the last response, to be replaced";
  SerializeResponseHead(r, r.body.size(), 11, true, &head);
  auto back = ParseBack(head, r.body);
  EXPECT_EQ(back.result_int(), 404u);
  EXPECT_EQ(back.reason(), "Not Found");
  EXPECT_EQ(back.version(), 11u);
  EXPECT_TRUE(back.keep_alive());
  EXPECT_EQ(back[http::field::content_type], "application/json");
  EXPECT_EQ(back["X-Muster-Ticket-Status"], "QUEUED");
  EXPECT_EQ(back[http::field::retry_after], "1");
  EXPECT_EQ(back[http::field::server], "muster");
  EXPECT_EQ(back[http::field::date].size(), 29u);  // IMF-fixdate
  EXPECT_EQ(back.body(), r.body);
}

TEST(SerializeResponseHead, ConnectionFollowsTheVersion) {
  HttpResponse r;
  std::string head;
  SerializeResponseHead(r, 0, 11, false, &head);
  EXPECT_FALSE(ParseBack(head, "").keep_alive());
  EXPECT_NE(head.find("Connection: close\r\n"), std::string::npos);
  SerializeResponseHead(r, 0, 10, true, &head);
  EXPECT_TRUE(ParseBack(head, "").keep_alive());
  EXPECT_EQ(head.rfind("HTTP/1.0 200 OK\r\n", 0), 0u);
  SerializeResponseHead(r, 0, 10, false, &head);
  EXPECT_FALSE(ParseBack(head, "").keep_alive());
  EXPECT_EQ(head.find("Connection"), std::string::npos);
}

TEST(SerializeResponseHead, HandlersCannotFrameOrSplitTheResponse) {
  HttpResponse r;
  r.status = 42;  // out of range: 500
  r.content_type = "text/plain\r\nX-Evil: 1";
  r.headers = {{"Content-Length", "999"}, {"transfer-encoding", "chunked"}, {"CONNECTION", "upgrade"},
               {"X-Split", "a\r\nX-Evil: 1"}, {"X-Bad\nName", "v"}, {"X:Colon", "v"}, {"", "no name"},
               {"X-Big", std::string(20 * 1024, 'v')}, {"X-Fine", "kept"}};
  std::string head;
  SerializeResponseHead(r, 3, 11, true, &head);
  auto back = ParseBack(head, "abc");
  EXPECT_EQ(back.result_int(), 500u);
  EXPECT_EQ(back.body(), "abc");
  EXPECT_EQ(head.find("X-Evil"), std::string::npos) << head;
  EXPECT_EQ(head.find("999"), std::string::npos);
  EXPECT_EQ(head.find("chunked"), std::string::npos);
  EXPECT_EQ(head.find("upgrade"), std::string::npos);
  EXPECT_EQ(head.find("X-Big"), std::string::npos);
  EXPECT_EQ(head.find("no name"), std::string::npos);
  EXPECT_EQ(back["X-Fine"], "kept");
  EXPECT_EQ(back.count(http::field::content_type), 0u);
}

TEST(SerializeResponseHead, HeadKeepsTheBodysLength) {
  HttpResponse r;
  std::string head;
  SerializeResponseHead(r, 10, 11, true, &head);
  EXPECT_NE(head.find("Content-Length: 10\r\n\r\n"), std::string::npos);
}

}  // namespace
}  // namespace muster::net::internal
