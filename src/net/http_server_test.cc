// HTTP round trips, keep-alive, pipelining, asynchronous responders, connection limits and Stop,
// against a real server on 127.0.0.1 port 0.

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "net/guard.h"
#include "net/http_client.h"
#include "net/net_test_util.h"

namespace muster::net {
namespace {

using testing::RawClient;
using testing::ServerHarness;

// Answers "<method> <path> ?<query> <body>" with the request's x-test header echoed.
void EchoHandler(HttpRequest&& req, Responder respond) {
  HttpResponse res;
  res.content_type = "text/plain";
  res.body = req.method + " " + req.path + " ?" + req.query + " " + req.body;
  if (const std::string* v = req.Header("x-test")) res.headers.emplace_back("X-Echo", *v);
  respond(std::move(res));
}

TEST(HttpServerTest, GetAndPostRoundTrip) {
  ServerHarness h;
  std::uint16_t port = h.Start({}, EchoHandler);
  ASSERT_NE(port, 0) << h.error;

  auto get = HttpFetch("127.0.0.1", port, "GET", "/a/b%20c?x=1&y=2", {{"X-Test", "hello"}}, "");
  ASSERT_TRUE(get.ok()) << get.error().message;
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, "GET /a/b%20c ?x=1&y=2 ");
  ASSERT_NE(get->Header("x-echo"), nullptr);
  EXPECT_EQ(*get->Header("x-echo"), "hello");
  ASSERT_NE(get->Header("server"), nullptr);
  EXPECT_EQ(*get->Header("server"), "muster");
  ASSERT_NE(get->Header("date"), nullptr);
  EXPECT_NE(get->Header("date")->find(" GMT"), std::string::npos);
  EXPECT_EQ(*get->Header("content-type"), "text/plain");

  auto post = HttpFetch("127.0.0.1", port, "POST", "/submit", {}, R"({"k":1})");
  ASSERT_TRUE(post.ok()) << post.error().message;
  EXPECT_EQ(post->status, 200);
  EXPECT_EQ(post->body, R"(POST /submit ? {"k":1})");
}

TEST(HttpServerTest, RequestFieldsAreFilled) {
  std::mutex mu;
  std::optional<HttpRequest> seen;
  ServerHarness h;
  std::uint16_t port = h.Start({}, [&](HttpRequest&& req, Responder respond) {
    {
      std::lock_guard lock(mu);
      seen = req;
    }
    respond(HttpResponse{204, "", {}, ""});
  });
  ASSERT_NE(port, 0) << h.error;
  auto res = HttpFetch("127.0.0.1", port, "PUT", "/p?q", {{"X-One", "1"}, {"X-Two", "2"}}, "abc");
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->status, 204);
  EXPECT_EQ(res->Header("content-type"), nullptr);
  std::lock_guard lock(mu);
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->method, "PUT");
  EXPECT_EQ(seen->target, "/p?q");
  EXPECT_EQ(seen->path, "/p");
  EXPECT_EQ(seen->query, "q");
  EXPECT_EQ(seen->body, "abc");
  EXPECT_EQ(seen->remote_address, "127.0.0.1");
  EXPECT_FALSE(seen->tls);
  // Lowercased, in order.
  std::vector<std::string> names;
  for (auto& [name, value] : seen->headers) names.push_back(name);
  auto one = std::find(names.begin(), names.end(), "x-one");
  auto two = std::find(names.begin(), names.end(), "x-two");
  ASSERT_NE(one, names.end());
  ASSERT_NE(two, names.end());
  EXPECT_LT(one, two);
}

TEST(HttpServerTest, KeepAliveServesThreeRequestsOnOneConnection) {
  ServerHarness h;
  std::uint16_t port = h.Start({}, EchoHandler);
  ASSERT_NE(port, 0) << h.error;
  RawClient c(port);
  ASSERT_TRUE(c.connected());
  for (int i = 0; i < 3; ++i) {
    std::string path = "/r" + std::to_string(i);
    ASSERT_TRUE(c.Send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto res = c.ReadResponse();
    ASSERT_TRUE(res.has_value()) << "request " << i;
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, "GET " + path + " ? ");
    EXPECT_EQ(h.server().ConnectionCount(), 1u);
  }
  EXPECT_FALSE(c.closed());
}

TEST(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  ServerHarness h;
  std::uint16_t port = h.Start({}, EchoHandler);
  ASSERT_NE(port, 0) << h.error;
  RawClient c(port);
  ASSERT_TRUE(c.Send(
      "GET /one HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
      "GET /three HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  auto r1 = c.ReadResponse();
  auto r2 = c.ReadResponse();
  auto r3 = c.ReadResponse();
  ASSERT_TRUE(r1 && r2 && r3);
  EXPECT_EQ(r1->body, "GET /one ? ");
  EXPECT_EQ(r2->body, "POST /two ? abc");
  EXPECT_EQ(r3->body, "GET /three ? ");
  EXPECT_TRUE(r3->HasHeader("Connection: close"));
  c.ReadUntilClosed();
  EXPECT_TRUE(c.closed());
}

void ExpectRespondersFromAnotherThreadAnswerInOrder(const ListenOptions& options) {
  std::vector<std::thread> workers;
  std::mutex mu;
  {
    ServerHarness h;
    std::uint16_t port = h.Start(options, [&](HttpRequest&& req, Responder respond) {
      std::lock_guard lock(mu);
      workers.emplace_back([respond, body = req.body] {
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        respond(HttpResponse{202, "text/plain", {}, "later:" + body});
        respond(HttpResponse{500, "text/plain", {}, "second call ignored"});
      });
    });
    ASSERT_NE(port, 0) << h.error;
    RawClient c(port);
    ASSERT_TRUE(c.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
                       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nho"));
    auto r1 = c.ReadResponse();
    auto r2 = c.ReadResponse();
    ASSERT_TRUE(r1 && r2);
    EXPECT_EQ(r1->status, 202);
    EXPECT_EQ(r1->body, "later:hi");
    EXPECT_EQ(r2->status, 202);
    EXPECT_EQ(r2->body, "later:ho");
  }
  for (auto& t : workers) t.join();
}

TEST(HttpServerTest, ResponderAnsweredLaterFromAnotherThread) {
  ExpectRespondersFromAnotherThreadAnswerInOrder({});
}

// A loop run by one thread needs no strand per connection: the same behaviour without them.
TEST(HttpServerTest, OneThreadPerLoopServesWithoutStrands) {
  ListenOptions options;
  options.one_thread_per_loop = true;
  ExpectRespondersFromAnotherThreadAnswerInOrder(options);
  ServerHarness h;
  std::uint16_t port = h.Start(options, EchoHandler);
  ASSERT_NE(port, 0) << h.error;
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 8; ++i) clients.push_back(std::make_unique<RawClient>(port));
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 8; ++i) {
      auto res = clients[i]->Get("/c" + std::to_string(i) + "r" + std::to_string(round));
      ASSERT_TRUE(res.has_value());
      EXPECT_EQ(res->body, "GET /c" + std::to_string(i) + "r" + std::to_string(round) + " ? ");
    }
  }
  EXPECT_EQ(h.server().ConnectionCount(), 8u);
}

TEST(HttpServerTest, DroppedResponderAnswers500) {
  ServerHarness h;
  std::uint16_t port = h.Start({}, [](HttpRequest&&, Responder) {});
  ASSERT_NE(port, 0) << h.error;
  auto res = HttpFetch("127.0.0.1", port, "GET", "/", {}, "");
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->status, 500);
  EXPECT_NE(res->body.find("InternalError"), std::string::npos);
}

TEST(HttpServerTest, HeadResponseHasLengthButNoBody) {
  ServerHarness h;
  std::uint16_t port = h.Start({}, EchoHandler);
  ASSERT_NE(port, 0) << h.error;
  RawClient c(port);
  ASSERT_TRUE(c.Send("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /g HTTP/1.1\r\nHost: x\r\n\r\n"));
  // The HEAD response advertises 10 bytes ("HEAD /h ? ") yet carries none: the next bytes are the
  // GET response.
  std::string all = c.ReadBytes(4096, 500);
  auto first = all.find("HTTP/1.1 200");
  auto second = all.find("HTTP/1.1 200", first + 1);
  ASSERT_NE(second, std::string::npos) << all;
  EXPECT_NE(all.find("Content-Length: 10"), std::string::npos) << all;
  EXPECT_EQ(all.substr(second - 4, 4), "\r\n\r\n");
  EXPECT_NE(all.find("GET /g ? "), std::string::npos);
}

TEST(HttpServerTest, ConnectionsBeyondLimitGet503WhenNoneIsIdle) {
  ListenOptions options;
  options.limits.max_connections = 1;
  std::mutex mu;
  std::optional<Responder> held;
  ServerHarness h;
  std::uint16_t port = h.Start(options, [&](HttpRequest&&, Responder respond) {
    std::lock_guard lock(mu);
    held = std::move(respond);  // the first connection stays busy with its request
  });
  ASSERT_NE(port, 0) << h.error;
  RawClient first(port);
  ASSERT_TRUE(first.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(ServerHarness::WaitFor([&] {
    std::lock_guard lock(mu);
    return held.has_value();
  }));
  RawClient second(port);
  auto res = second.Get("/");
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 503);
  EXPECT_NE(res->body.find("too many open connections"), std::string::npos) << res->body;
  second.ReadUntilClosed();
  EXPECT_TRUE(second.closed());
  // The busy connection was not touched.
  {
    std::lock_guard lock(mu);
    (*held)(HttpResponse{200, "text/plain", {}, "late"});
  }
  auto ok = first.ReadResponse();
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "late");
  // The Responder goes before the harness's loop does (ThreadSanitizer saw it outlive the loop).
  std::lock_guard lock(mu);
  held.reset();
}

TEST(HttpServerTest, LongestIdleConnectionMakesRoomForANewOne) {
  ListenOptions options;
  options.limits.max_connections = 3;
  ServerHarness h;
  std::uint16_t port = h.Start(options, EchoHandler);
  ASSERT_NE(port, 0) << h.error;
  // Three connections that each finished a request and now idle, oldest first.
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 3; ++i) {
    idle.push_back(std::make_unique<RawClient>(port));
    ASSERT_TRUE(idle.back()->Send("GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(idle.back()->ReadResponse().has_value());
  }
  // The oldest one sends again, so the second becomes the longest idle.
  ASSERT_TRUE(idle[0]->Send("GET /again HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(idle[0]->ReadResponse().has_value());
  RawClient fresh(port);
  auto res = fresh.Get("/fresh");
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "GET /fresh ? ");
  idle[1]->ReadUntilClosed(3000);
  EXPECT_TRUE(idle[1]->closed());
  for (int i : {0, 2}) {
    auto still = idle[i]->Get("/still");
    ASSERT_TRUE(still.has_value()) << i;
    EXPECT_EQ(still->status, 200);
  }
  EXPECT_LE(h.server().ConnectionCount(), 3u);
}

// Two connections fill a listener of two after sending `opening` (nothing, or a request whose
// body stalls); a fresh request still gets served, and the longest-idle one made room for it.
void ExpectStalledConnectionsMakeRoom(const std::string& opening) {
  ListenOptions options;
  options.limits.max_connections = 2;
  ServerHarness h;
  std::uint16_t port = h.Start(options, EchoHandler);
  ASSERT_NE(port, 0) << h.error;
  RawClient stalled1(port), stalled2(port);
  if (!opening.empty()) {
    for (RawClient* c : {&stalled1, &stalled2}) ASSERT_TRUE(c->Send(opening));
  }
  ASSERT_TRUE(ServerHarness::WaitFor([&] { return h.server().ConnectionCount() == 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // both are read as far as they go
  RawClient fresh(port);
  auto res = fresh.Get("/fresh");
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
  stalled1.ReadUntilClosed(3000);
  EXPECT_TRUE(stalled1.closed());
}

TEST(HttpServerTest, ConnectionsThatNeverSentAByteMakeRoomToo) { ExpectStalledConnectionsMakeRoom(""); }

TEST(HttpServerTest, ConnectionsStalledInTheirBodyMakeRoomToo) {
  ExpectStalledConnectionsMakeRoom("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc");
}

TEST(HttpServerTest, BodiesInFlightHaveABudgetTheOldestStalledOneMakesRoom) {
  ListenOptions options;
  options.limits.max_body_bytes = 1000;
  options.limits.max_body_bytes_in_flight = 2000;
  ServerHarness h;
  std::uint16_t port = h.Start(options, EchoHandler);
  ASSERT_NE(port, 0) << h.error;
  // Two bodies of 1000 declared bytes take the whole budget while they trickle.
  RawClient a(port), b(port);
  for (RawClient* c : {&a, &b}) {
    ASSERT_TRUE(c->Send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc"));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a is reserved first
  }
  // A chunked body (counted at max_body_bytes) needs room: the body reserved longest ago (a's)
  // is cut, and the new one is served.
  RawClient chunked(port);
  ASSERT_TRUE(chunked.Send("POST /y HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "5\r\nhello\r\n0\r\n\r\n"));
  auto served = chunked.ReadResponse();
  ASSERT_TRUE(served.has_value());
  EXPECT_EQ(served->status, 200);
  EXPECT_EQ(served->body, "POST /y ? hello");
  a.ReadUntilClosed(3000);
  EXPECT_TRUE(a.closed());
  // b keeps its reservation and completes.
  ASSERT_TRUE(b.Send(std::string(997, 'x')));
  auto done = b.ReadResponse();
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->status, 200);
  // A request without a body needs no budget.
  RawClient get(port);
  auto ok = get.Get("/no-body");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->status, 200);
}

TEST(HttpServerTest, ABodyLargerThanTheWholeBudgetIsRefused) {
  ListenOptions options;
  options.limits.max_body_bytes = 1000;
  options.limits.max_body_bytes_in_flight = 500;
  ServerHarness h;
  std::uint16_t port = h.Start(options, EchoHandler);
  ASSERT_NE(port, 0) << h.error;
  RawClient c(port);
  ASSERT_TRUE(c.Send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 800\r\n\r\n"));
  auto res = c.ReadResponse();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 413);
  EXPECT_NE(res->body.find("body budget"), std::string::npos) << res->body;
}

// Evicting an address's only connection to admit another from the same address keeps that
// address counted: the cap still holds afterwards.
TEST(HttpServerTest, EvictionForTheSameAddressKeepsItsCount) {
  ListenOptions options;
  options.limits.max_connections = 3;
  options.limits.max_connections_per_address = 2;
  ServerHarness h;
  std::uint16_t port = h.Start(options, EchoHandler);
  ASSERT_NE(port, 0) << h.error;
  std::vector<std::unique_ptr<RawClient>> open;
  auto connect = [&](const char* address) {
    open.push_back(std::make_unique<RawClient>(port, address));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // idle in connect order
  };
  connect("127.0.0.2");
  connect("127.0.0.3");
  connect("127.0.0.4");
  connect("127.0.0.2");  // evicts the first 127.0.0.2 (its address's only one)
  connect("127.0.0.2");  // evicts 127.0.0.3; 127.0.0.2 now has two
  RawClient third(port, "127.0.0.2");
  ASSERT_TRUE(third.Send("GET /third HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto res = third.ReadResponse();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 503);
  EXPECT_NE(res->body.find("from your address"), std::string::npos) << res->body;
}

TEST(HttpServerTest, PerAddressCapRefusesOnlyThatAddress) {
  ListenOptions options;
  options.limits.max_connections_per_address = 2;
  ServerHarness h;
  std::uint16_t port = h.Start(options, EchoHandler);
  ASSERT_NE(port, 0) << h.error;
  auto a1 = std::make_unique<RawClient>(port, "127.0.0.2");
  RawClient a2(port, "127.0.0.2");
  ASSERT_TRUE(ServerHarness::WaitFor([&] { return h.server().ConnectionCount() == 2; }));
  RawClient a3(port, "127.0.0.2");
  auto refused = a3.Get("/");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 503);
  EXPECT_NE(refused->body.find("from your address"), std::string::npos) << refused->body;
  // Another address still connects and is served.
  RawClient b(port, "127.0.0.3");
  auto served = b.Get("/b");
  ASSERT_TRUE(served.has_value());
  EXPECT_EQ(served->status, 200);
  // A slot of the first address frees when one of its connections closes.
  a3.ReadUntilClosed();
  a1.reset();
  ASSERT_TRUE(ServerHarness::WaitFor([&] { return h.server().ConnectionCount() == 2; }));
  RawClient a4(port, "127.0.0.2");
  auto again = a4.Get("/a4");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status, 200);
}

TEST(HttpServerTest, StopClosesIdleAndFinishesInFlight) {
  std::mutex mu;
  std::optional<Responder> pending;
  ServerHarness h;
  std::uint16_t port = h.Start({}, [&](HttpRequest&& req, Responder respond) {
    if (req.path == "/slow") {
      std::lock_guard lock(mu);
      pending = std::move(respond);
      return;
    }
    respond(HttpResponse{});
  });
  ASSERT_NE(port, 0) << h.error;
  RawClient idle(port);
  RawClient busy(port);
  ASSERT_TRUE(busy.Send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(ServerHarness::WaitFor([&] {
    std::lock_guard lock(mu);
    return pending.has_value();
  }));
  ASSERT_TRUE(ServerHarness::WaitFor([&] { return h.server().ConnectionCount() == 2; }));

  h.server().Stop();
  idle.ReadUntilClosed(2000);
  EXPECT_TRUE(idle.closed());
  RawClient late(port);
  EXPECT_FALSE(late.connected());

  {
    std::lock_guard lock(mu);
    (*pending)(HttpResponse{200, "text/plain", {}, "finished"});
    pending.reset();
  }
  auto res = busy.ReadResponse();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->body, "finished");
  EXPECT_TRUE(res->HasHeader("Connection: close"));
  busy.ReadUntilClosed(2000);
  EXPECT_TRUE(busy.closed());
  EXPECT_TRUE(ServerHarness::WaitFor([&] { return h.server().ConnectionCount() == 0; }));
}

TEST(HttpServerTest, ListenErrors) {
  boost::asio::io_context ioc;
  HttpServer server(ioc);
  ListenOptions bad_address;
  bad_address.address = "not-an-address";
  EXPECT_FALSE(server.Listen(bad_address, EchoHandler).ok());

  HttpServer first(ioc);
  auto port = first.Listen({}, EchoHandler);
  ASSERT_TRUE(port.ok());
  HttpServer second(ioc);
  ListenOptions same;
  same.port = *port;
  auto clash = second.Listen(same, EchoHandler);
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().code, ErrorCode::kUnavailable);
}

TEST(HttpServerTest, ReusePortLetsTwoServersShareAPort) {
  ServerHarness a;
  ListenOptions options;
  options.reuse_port = true;
  std::uint16_t port = a.Start(options, EchoHandler);
  ASSERT_NE(port, 0) << a.error;
  ServerHarness b;
  options.port = port;
  ASSERT_EQ(b.Start(options, EchoHandler), port) << b.error;
  for (int i = 0; i < 4; ++i) {
    auto res = HttpFetch("127.0.0.1", port, "GET", "/", {}, "");
    ASSERT_TRUE(res.ok()) << res.error().message;
    EXPECT_EQ(res->status, 200);
  }
}

TEST(HttpServerTest, SeveralLoopsShareOnePortAndOneSetOfLimits) {
  boost::asio::io_context a, b;
  auto work_a = boost::asio::make_work_guard(a);
  auto work_b = boost::asio::make_work_guard(b);
  std::mutex mu;
  std::set<std::thread::id> loops_seen;
  ListenOptions options;
  options.limits.max_connections_per_address = 30;
  HttpServer server({&a, &b});
  auto port = server.Listen(options, [&](HttpRequest&& req, Responder respond) {
    {
      std::lock_guard lock(mu);
      loops_seen.insert(std::this_thread::get_id());
    }
    EchoHandler(std::move(req), std::move(respond));
  });
  ASSERT_TRUE(port.ok()) << port.error().message;
  std::thread ta([&] { RunLoop(a, "loop a"); });
  std::thread tb([&] { RunLoop(b, "loop b"); });
  {
    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < 30; ++i) {
      clients.push_back(std::make_unique<RawClient>(*port, "127.0.0.2"));
      auto res = clients.back()->Get("/" + std::to_string(i));
      ASSERT_TRUE(res.has_value());
      EXPECT_EQ(res->status, 200);
    }
    // The kernel spread the connections over both loops (30 on one: odds of 2^-29).
    {
      std::lock_guard lock(mu);
      EXPECT_EQ(loops_seen.size(), 2u);
    }
    // The per-address cap is the server's, not each loop's: the 31st is refused.
    RawClient extra(*port, "127.0.0.2");
    auto refused = extra.Get("/");
    ASSERT_TRUE(refused.has_value());
    EXPECT_EQ(refused->status, 503);
    EXPECT_EQ(server.ConnectionCount(), 30u);
  }
  // Spreading over loops does not let it share a port another server holds, even one that
  // allows sharing (SO_REUSEPORT).
  ServerHarness other;
  ListenOptions shared;
  shared.reuse_port = true;
  std::uint16_t taken = other.Start(shared, EchoHandler);
  ASSERT_NE(taken, 0) << other.error;
  HttpServer second({&a, &b});
  ListenOptions same_port;
  same_port.port = taken;
  auto refused_port = second.Listen(same_port, EchoHandler);
  EXPECT_FALSE(refused_port.ok());
  server.Stop();
  work_a.reset();
  work_b.reset();
  a.stop();
  b.stop();
  ta.join();
  tb.join();
}

// An exception escaping a completion handler used to leave io_context::run() and end the loop's
// thread (here: std::terminate). RunLoop logs it and goes on.
TEST(RunLoopTest, AThrowingHandlerLeavesTheServerServing) {
  ServerHarness h;
  std::uint16_t port = h.Start({}, EchoHandler);
  ASSERT_NE(port, 0) << h.error;
  std::atomic<bool> thrown{false};
  boost::asio::post(h.ioc(), [&] {
    thrown = true;
    throw std::runtime_error("a handler failed");
  });
  ASSERT_TRUE(ServerHarness::WaitFor([&] { return thrown.load(); }));
  auto res = HttpFetch("127.0.0.1", port, "GET", "/after", {}, "");
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "GET /after ? ");
}

struct FakeSession {
  std::string what, reason;
  void OnException(const char* w, const char* r) {
    what = w;
    reason = r;
  }
};

TEST(GuardedHandlerTest, AnExceptionReachesTheSessionNotTheLoop) {
  auto session = std::make_shared<FakeSession>();
  int seen = 0;
  auto ok = internal::GuardedHandler(session, "ok", [&](int a, int b) { seen = a + b; });
  ok(2, 3);
  EXPECT_EQ(seen, 5);
  EXPECT_EQ(session->what, "");
  auto bad = internal::GuardedHandler(session, "read", [](int) {
    throw std::length_error("field value too large");
  });
  EXPECT_NO_THROW(bad(1));
  EXPECT_EQ(session->what, "read");
  EXPECT_EQ(session->reason, "field value too large");
  auto odd = internal::GuardedHandler(session, "write", [] { throw 42; });
  EXPECT_NO_THROW(odd());
  EXPECT_EQ(session->what, "write");
}

}  // namespace
}  // namespace muster::net
