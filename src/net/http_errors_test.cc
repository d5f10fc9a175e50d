// Bad input the transport answers itself, sent as raw TCP bytes: malformed requests, oversized
// headers and bodies, unsupported transfer codings, and the header and idle timeouts.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "common/json.h"
#include "net/net_test_util.h"

namespace muster::net {
namespace {

using testing::RawClient;
using testing::RawResponse;
using testing::ServerHarness;

void OkHandler(HttpRequest&& req, Responder respond) {
  respond(HttpResponse{200, "text/plain", {}, "ok:" + req.body});
}

// Sends bytes on a new connection; expects one error response with the JSON error body, then the
// connection to close.
void ExpectErrorThenClose(std::uint16_t port, const std::string& bytes, int status,
                          const std::string& error) {
  RawClient c(port);
  ASSERT_TRUE(c.connected());
  c.Send(bytes);  // may fail part-way when the server already answered
  auto res = c.ReadResponse();
  ASSERT_TRUE(res.has_value()) << "no response for: " << bytes.substr(0, 80);
  EXPECT_EQ(res->status, status) << res->head;
  EXPECT_TRUE(res->HasHeader("Connection: close")) << res->head;
  EXPECT_TRUE(res->HasHeader("Server: muster")) << res->head;
  auto body = ParseJson(res->body);
  ASSERT_TRUE(body.ok()) << res->body;
  ASSERT_TRUE(body->is_object());
  ASSERT_TRUE(body->as_object().at("error").is_string()) << res->body;
  EXPECT_EQ(std::string(body->as_object().at("error").as_string()), error) << res->body;
  EXPECT_TRUE(body->as_object().at("message").is_string());
  c.ReadUntilClosed(3000);
  EXPECT_TRUE(c.closed());
}

class HttpErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ListenOptions options;
    options.limits.max_header_bytes = 1024;
    options.limits.max_body_bytes = 100;
    port_ = harness_.Start(options, [this](HttpRequest&& req, Responder respond) {
      handled_++;
      OkHandler(std::move(req), std::move(respond));
    });
    ASSERT_NE(port_, 0) << harness_.error;
  }
  std::atomic<int> handled_{0};
  ServerHarness harness_;
  std::uint16_t port_ = 0;
};

TEST_F(HttpErrorsTest, MalformedRequestLine) {
  ExpectErrorThenClose(port_, "GARBAGE\r\n\r\n", 400, "BadRequest");
  ExpectErrorThenClose(port_, "GET / HTTP/9.x\r\nHost: x\r\n\r\n", 400, "BadRequest");
  ExpectErrorThenClose(port_, "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "BadRequest");
  EXPECT_EQ(handled_, 0);
}

TEST_F(HttpErrorsTest, MalformedHeaders) {
  ExpectErrorThenClose(port_, "GET / HTTP/1.1\r\nNo colon here\r\n\r\n", 400, "BadRequest");
  ExpectErrorThenClose(port_, "GET / HTTP/1.1\r\nBad Name: v\r\n\r\n", 400, "BadRequest");
  ExpectErrorThenClose(port_, "POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400, "BadRequest");
  ExpectErrorThenClose(port_, "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                       400, "BadRequest");
  ExpectErrorThenClose(port_, "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
                       400, "BadRequest");
  ExpectErrorThenClose(port_, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400,
                       "BadRequest");
  EXPECT_EQ(handled_, 0);
}

TEST_F(HttpErrorsTest, HeaderSectionTooLarge) {
  std::string big(2000, 'a');
  ExpectErrorThenClose(port_, "GET / HTTP/1.1\r\nX-Big: " + big + "\r\n\r\n", 431,
                       "RequestHeaderFieldsTooLarge");
  std::string many;
  for (int i = 0; i < 100; ++i) many += "X-H" + std::to_string(i) + ": value\r\n";
  ExpectErrorThenClose(port_, "GET / HTTP/1.1\r\n" + many + "\r\n", 431,
                       "RequestHeaderFieldsTooLarge");
}

TEST_F(HttpErrorsTest, BodyTooLargeIsRefusedBeforeItIsRead) {
  // Only the header is sent: the answer must not wait for the 10 MB body.
  auto start = std::chrono::steady_clock::now();
  ExpectErrorThenClose(port_, "POST / HTTP/1.1\r\nContent-Length: 10000000\r\n\r\n", 413,
                       "PayloadTooLarge");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(handled_, 0);
}

TEST_F(HttpErrorsTest, ChunkedBodyTooLarge) {
  std::string chunk(150, 'x');
  ExpectErrorThenClose(port_,
                       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n96\r\n" + chunk +
                           "\r\n0\r\n\r\n",
                       413, "PayloadTooLarge");
  EXPECT_EQ(handled_, 0);
}

TEST_F(HttpErrorsTest, ChunkedBodyWithinLimitIsAccepted) {
  RawClient c(port_);
  ASSERT_TRUE(c.Send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  auto res = c.ReadResponse();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "ok:abcde");
}

TEST_F(HttpErrorsTest, UnsupportedTransferEncoding) {
  ExpectErrorThenClose(port_, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc", 501,
                       "NotImplemented");
  ExpectErrorThenClose(port_, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
                       501, "NotImplemented");
  EXPECT_EQ(handled_, 0);
}

TEST_F(HttpErrorsTest, ExpectContinue) {
  RawClient c(port_);
  ASSERT_TRUE(c.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"));
  EXPECT_EQ(c.ReadBytes(25), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(c.Send("hi"));
  auto res = c.ReadResponse();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->body, "ok:hi");
  ExpectErrorThenClose(port_, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: magic\r\n\r\nhi", 417,
                       "ExpectationFailed");
}

TEST_F(HttpErrorsTest, HostHeaderIsRequiredOnceInHttp11) {
  ExpectErrorThenClose(port_, "GET / HTTP/1.1\r\n\r\n", 400, "BadRequest");
  ExpectErrorThenClose(port_, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400,
                       "BadRequest");
  EXPECT_EQ(handled_, 0);
  // HTTP/1.0 has no Host requirement.
  RawClient c(port_);
  ASSERT_TRUE(c.Send("GET / HTTP/1.0\r\n\r\n"));
  auto res = c.ReadResponse();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
}

// A trailer field of 64 KiB made Beast's own parser throw std::length_error, which escaped the
// loop and ended the process. Now: 431, and the server goes on.
TEST(HttpLimitsTest, OversizedTrailerIsRefusedAndTheServerGoesOn) {
  ServerHarness h;
  std::uint16_t port = h.Start({}, OkHandler);  // default limits
  ASSERT_NE(port, 0) << h.error;
  for (std::size_t size : {17u * 1024, 64u * 1024, 70u * 1024, 1024u * 1024}) {
    RawClient c(port);
    c.Send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n"
           "X-Big: " + std::string(size, 'a') + "\r\n\r\n");
    auto res = c.ReadResponse();
    ASSERT_TRUE(res.has_value()) << size;
    EXPECT_EQ(res->status, 431) << size;
  }
  RawClient c(port);
  ASSERT_TRUE(c.Send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "2\r\nok\r\n0\r\nX-Small: t\r\n\r\n"));
  auto res = c.ReadResponse();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "ok:ok");
}

TEST(HttpLimitsTest, EndlessChunkSizeLineIsRefused) {
  ServerHarness h;
  std::uint16_t port = h.Start({}, OkHandler);
  ASSERT_NE(port, 0) << h.error;
  RawClient c(port);
  c.Send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;" +
         std::string(200 * 1024, 'e'));
  auto res = c.ReadResponse();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 431);
}

TEST(HttpLimitsTest, HugeResponseHeaderIsDroppedNotThrown) {
  ServerHarness h;
  std::uint16_t port = h.Start({}, [](HttpRequest&&, Responder respond) {
    HttpResponse res{200, "text/plain", {{"X-Huge", std::string(70 * 1024, 'h')}}, "body"};
    respond(std::move(res));
  });
  ASSERT_NE(port, 0) << h.error;
  for (int i = 0; i < 2; ++i) {
    RawClient c(port);
    auto res = c.Get("/");
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->body, "body");
    EXPECT_FALSE(res->HasHeader("X-Huge"));
  }
}

TEST(HttpTimeoutsTest, BodyThatNeverArrivesIsCut) {
  ListenOptions options;
  options.limits.body_timeout_seconds = 1;
  ServerHarness h;
  std::uint16_t port = h.Start(options, OkHandler);
  ASSERT_NE(port, 0) << h.error;
  for (std::string first : {std::string("Content-Length: 10\r\n\r\nabc"),
                            std::string("Transfer-Encoding: chunked\r\n\r\n5\r\nab")}) {
    RawClient c(port);
    auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(c.Send("POST / HTTP/1.1\r\nHost: x\r\n" + first));
    c.ReadUntilClosed(5000);
    EXPECT_TRUE(c.closed()) << first;
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_GE(took, std::chrono::milliseconds(900));
    EXPECT_LT(took, std::chrono::milliseconds(4000));
  }
  EXPECT_TRUE(ServerHarness::WaitFor([&] { return h.server().ConnectionCount() == 0; }));
}

TEST(HttpTimeoutsTest, SlowHeaderIsClosed) {
  ListenOptions options;
  options.limits.header_timeout_seconds = 1;
  ServerHarness h;
  std::uint16_t port = h.Start(options, OkHandler);
  ASSERT_NE(port, 0) << h.error;
  RawClient c(port);
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: x\r\n"));  // never finishes the header section
  std::string got = c.ReadUntilClosed(4000);
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(got, "");
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_LT(took, std::chrono::milliseconds(3000));
}

TEST(HttpTimeoutsTest, SilentNewConnectionIsClosedAfterHeaderTimeout) {
  ListenOptions options;
  options.limits.header_timeout_seconds = 1;
  ServerHarness h;
  std::uint16_t port = h.Start(options, OkHandler);
  ASSERT_NE(port, 0) << h.error;
  RawClient c(port);
  c.ReadUntilClosed(4000);
  EXPECT_TRUE(c.closed());
}

TEST(HttpTimeoutsTest, IdleKeepAliveConnectionIsClosed) {
  ListenOptions options;
  options.limits.idle_timeout_seconds = 1;
  options.limits.header_timeout_seconds = 5;
  ServerHarness h;
  std::uint16_t port = h.Start(options, OkHandler);
  ASSERT_NE(port, 0) << h.error;
  RawClient c(port);
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(c.ReadResponse().has_value());
  auto start = std::chrono::steady_clock::now();
  c.ReadUntilClosed(4000);
  EXPECT_TRUE(c.closed());
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_LT(took, std::chrono::milliseconds(3000));
  EXPECT_TRUE(ServerHarness::WaitFor([&] { return h.server().ConnectionCount() == 0; }));
}

}  // namespace
}  // namespace muster::net
