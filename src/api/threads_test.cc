// Which thread does what: the HTTP front (Router, ClientApi, ManagementApi) and the game server
// socket run on the connection loops and hand only the node's part of a request to the node's
// thread. The node's thread here is a queue this test runs by hand, so each test sees exactly
// what was posted to it: nothing for a request an unauthenticated peer sent, nothing for a status
// read, and the node's work for the rest, whose answers come only once that work ran.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "api/router.h"
#include "api/server_socket.h"
#include "auth/sigv4.h"
#include "common/env.h"
#include "fleet/protocol.h"
#include "identity/identity_service.h"
#include "identity/player_data.h"
#include "store/commit_writer.h"
#include "store/fault_store.h"
#include "store/temp_sqlite_store.h"

namespace muster::api {
namespace {

constexpr const char* kAdminKey = "AKIDADMIN";
constexpr const char* kAdminSecret = "admin-secret";
constexpr const char* kRules1v1 = R"({
  "name": "t1v1", "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 1000}],
  "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 1}, {"name": "blue", "minPlayers": 1, "maxPlayers": 1}]
})";

// The node's thread, run by hand: what was posted waits until Run.
class OwnerQueue {
 public:
  void Post(std::function<void()> f) {
    {
      std::lock_guard lock(mu_);
      q_.push_back(std::move(f));
    }
    cv_.notify_all();
  }
  std::size_t size() const {
    std::lock_guard lock(mu_);
    return q_.size();
  }
  // Runs what is queued (and what that posts) until the queue is empty.
  void Run() {
    for (;;) {
      std::function<void()> f;
      {
        std::lock_guard lock(mu_);
        if (q_.empty()) return;
        f = std::move(q_.front());
        q_.pop_front();
      }
      f();
    }
  }
  // Runs until `done` holds (commit completions arrive from the writer's thread).
  void RunUntil(const std::function<bool()>& done) {
    for (int i = 0; i < 500 && !done(); ++i) {
      Run();
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(10), [&] { return !q_.empty(); });
    }
    ASSERT_TRUE(done());
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
};

struct Answer {
  std::optional<net::HttpResponse> response;
  net::Responder Responder() {
    return [this](net::HttpResponse r) { response = std::move(r); };
  }
};

class ThreadsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node::NodeSetup setup;
    node::FleetSetup f;
    f.fleet_id = "f1";
    f.locations = {"custom-a"};
    f.computes.push_back({"f1", "c1", "custom-a", "127.0.0.1", "", "compute-token", 0});
    setup.fleets.push_back(f);
    setup.rule_sets.push_back({"rules", kRules1v1});
    matchmaking::ConfigurationSpec spec;
    spec.name = "cfg";
    spec.rule_set_name = "rules";
    spec.mode = matchmaking::FlexMatchMode::kStandalone;
    setup.configurations.push_back(spec);
    ASSERT_TRUE(node_.Start(setup).ok());
    node_.UseWriter(writer_, [this](std::function<void()> f) { owner_.Post(std::move(f)); });

    RouterOptions ro;
    ro.admin_secret = [](std::string_view ak) -> Result<std::string> {
      if (ak != kAdminKey) return Error::Unauthorized("unknown access key");
      return std::string(kAdminSecret);
    };
    ro.node = &node_;
    router_ = std::make_unique<Router>(client_, identities_, clock_, ro);
  }
  void TearDown() override {
    writer_.Stop();
    owner_.Run();
  }

  // Runs the node's thread until every commit submitted so far completed and what its completion
  // posted to the node's thread ran. (A commit is published from the writer's thread before it
  // posts to the node's thread: a view can show it while that post is still on its way.)
  void Settle() {
    for (int i = 0; i < 500; ++i) {
      auto st = writer_.stats();
      if (st.completed == st.submitted) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    auto st = writer_.stats();
    ASSERT_EQ(st.completed, st.submitted);
    owner_.Run();
  }

  net::HttpRequest Management(const std::string& op, const std::string& body, const char* secret = kAdminSecret) {
    auth::SignableRequest sr{"POST", "/", "", {{"host", "localhost"}, {"x-amz-target", "GameLift." + op}}, body};
    auth::SignRequest(sr, {kAdminKey, secret, ""}, "local", "gamelift", clock_.NowMillis());
    return ToHttp(sr);
  }
  net::HttpRequest Client(const std::string& path, const std::string& query) {
    auto id = identities_.GetId(identities_.config().pools.at(0).pool_id, nullptr);
    EXPECT_TRUE(id.ok());
    auto creds = identities_.GetCredentialsForIdentity(*id, nullptr);
    EXPECT_TRUE(creds.ok());
    auth::SignableRequest sr{"GET", path, query, {{"host", "localhost"}}, ""};
    auth::SignRequest(sr, {creds->access_key_id, creds->secret_key, creds->session_token}, "local", "execute-api",
                      clock_.NowMillis());
    return ToHttp(sr);
  }
  static net::HttpRequest ToHttp(const auth::SignableRequest& sr) {
    net::HttpRequest r;
    r.method = sr.method;
    r.path = sr.path;
    r.query = sr.query;
    r.target = sr.query.empty() ? sr.path : sr.path + "?" + sr.query;
    for (const auto& [k, v] : sr.headers) {
      std::string lower = k;
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers.emplace_back(lower, v);
    }
    r.body = sr.body;
    r.remote_address = "192.0.2.7";
    return r;
  }

  store::testing::TempSqliteStore sqlite_;
  store::FaultStore store_{*sqlite_};
  SystemClock& clock_ = SystemClock::Instance();
  Env env_ = Env::System();
  node::Node node_{store_, env_};
  store::CommitWriter writer_{store_};
  OwnerQueue owner_;
  identity::IdentityService identities_{store_, clock_, [] {
    identity::IdentityConfig c;
    c.pools.push_back({"local:00000000-0000-4000-8000-000000000001", true});
    return c;
  }()};
  identity::PlayerDataService players_{store_, clock_, json::object{}};
  ClientApi client_{node_, identities_, players_, clock_, [] {
    ClientApiOptions o;
    o.configuration = "cfg";
    o.region = "local";
    return o;
  }()};
  std::unique_ptr<Router> router_;
};

TEST_F(ThreadsTest, BadSignaturesAreAnsweredOnTheLoopAndNeverReachTheNode) {
  Answer a;
  router_->Handle(Management("StartMatchmaking", R"({"ConfigurationName":"cfg","Players":[{"PlayerId":"p"}]})",
                             "wrong-secret"),
                  a.Responder());
  ASSERT_TRUE(a.response);
  EXPECT_EQ(a.response->status, 400);
  EXPECT_NE(a.response->body.find("UnauthorizedException"), std::string::npos);

  Answer b;
  net::HttpRequest unsigned_start;
  unsigned_start.method = "GET";
  unsigned_start.path = "/requestmatchmaking";
  router_->Handle(std::move(unsigned_start), b.Responder());
  ASSERT_TRUE(b.response);
  EXPECT_EQ(b.response->status, 401);
  EXPECT_EQ(owner_.size(), 0u);
}

TEST_F(ThreadsTest, StartMatchmakingIsParsedOnTheLoopAndStartedOnTheNodesThread) {
  Answer bad;
  router_->Handle(Management("StartMatchmaking", R"({"Players":[{"PlayerId":"p"}]})"), bad.Responder());
  ASSERT_TRUE(bad.response);  // a malformed body is refused before the node's thread
  EXPECT_NE(bad.response->body.find("ConfigurationName"), std::string::npos);
  EXPECT_EQ(owner_.size(), 0u);

  Answer good;
  router_->Handle(Management("StartMatchmaking",
                             R"({"ConfigurationName":"cfg","TicketId":"t-1","Players":[{"PlayerId":"p"}]})"),
                  good.Responder());
  EXPECT_FALSE(good.response);
  EXPECT_EQ(owner_.size(), 1u);
  owner_.RunUntil([&] { return good.response.has_value(); });
  EXPECT_EQ(good.response->status, 200) << good.response->body;
  EXPECT_NE(good.response->body.find("t-1"), std::string::npos);
  auto t = node_.tickets().GetTicket("t-1");  // durable before the answer
  ASSERT_TRUE(t.ok());
  auto row = store_.Get(store::Table::kTickets, "t-1");
  ASSERT_TRUE(row.ok() && row->has_value());
}

TEST_F(ThreadsTest, StatusReadsAnswerOnTheLoopAndTheRestPostsToTheNode) {
  Answer status;
  router_->Handle(Client("/requestmatchstatus", "ticketId=nope"), status.Responder());
  ASSERT_TRUE(status.response);
  EXPECT_EQ(status.response->status, 404);
  EXPECT_EQ(owner_.size(), 0u);

  Answer start;
  router_->Handle(Client("/requestmatchmaking", "latencies=custom-a_20"), start.Responder());
  EXPECT_FALSE(start.response);  // rate limits and player data here; the ticket on the node's thread
  EXPECT_EQ(owner_.size(), 1u);
  owner_.RunUntil([&] { return start.response.has_value(); });
  EXPECT_EQ(start.response->status, 200) << start.response->body;

  Answer describe;
  router_->Handle(Management("DescribeMatchmakingConfigurations", "{}"), describe.Responder());
  EXPECT_FALSE(describe.response);
  owner_.Run();
  ASSERT_TRUE(describe.response);
  EXPECT_NE(describe.response->body.find("\"cfg\""), std::string::npos);
}

// A WebSocket connection that records what it was sent.
class RecordingWs : public net::WsConnection {
 public:
  void Send(std::string text) override { sent.push_back(std::move(text)); }
  void Close(std::uint16_t code, std::string) override { closed = code; }
  std::uint64_t Id() const override { return 77; }
  const std::string& RemoteAddress() const override { return address_; }
  std::vector<std::string> sent;
  std::uint16_t closed = 0;

 private:
  std::string address_ = "192.0.2.9";
};

// Upgrades and opens a game server connection as process `pid` of compute c1 (the open run on
// the node's thread); returns its callbacks.
net::WsCallbacks Connect(ServerSocket& socket, const std::string& pid, const std::shared_ptr<RecordingWs>& ws,
                         OwnerQueue& owner) {
  net::HttpRequest req;
  req.query = "FleetId=f1&ComputeId=c1&pID=" + pid + "&Authorization=compute-token";
  auto accepted = socket.UpgradeHandler()(req);
  EXPECT_TRUE(std::holds_alternative<net::WsCallbacks>(accepted));
  if (!std::holds_alternative<net::WsCallbacks>(accepted)) return {};
  net::WsCallbacks cb = std::get<net::WsCallbacks>(accepted);
  cb.on_open(ws);
  owner.Run();
  return cb;
}

TEST_F(ThreadsTest, GameServerConnectsAreCheckedOnTheLoopAndServedOnTheNodesThread) {
  ServerSocket socket(node_, clock_, ServerSocketOptions{});
  auto upgrade = socket.UpgradeHandler();
  net::HttpRequest req;
  req.method = "GET";
  req.path = "/";
  req.query = "FleetId=f1&ComputeId=c1&pID=100&Authorization=wrong-token";
  auto refused = upgrade(req);
  ASSERT_TRUE(std::holds_alternative<net::HttpResponse>(refused));
  EXPECT_EQ(std::get<net::HttpResponse>(refused).status, 401);
  req.query = "FleetId=f1&ComputeId=c9&pID=100&Authorization=compute-token";
  refused = upgrade(req);
  ASSERT_TRUE(std::holds_alternative<net::HttpResponse>(refused));
  EXPECT_EQ(std::get<net::HttpResponse>(refused).status, 403);
  EXPECT_EQ(owner_.size(), 0u);

  req.query = "FleetId=f1&ComputeId=c1&pID=100&Authorization=compute-token&IdempotencyToken=tok";
  auto accepted = upgrade(req);
  ASSERT_TRUE(std::holds_alternative<net::WsCallbacks>(accepted));
  auto& cb = std::get<net::WsCallbacks>(accepted);
  auto ws = std::make_shared<RecordingWs>();
  cb.on_open(ws);
  EXPECT_EQ(socket.ConnectionCount(), 0u);  // the open waits for the node's thread
  owner_.Run();
  EXPECT_EQ(socket.ConnectionCount(), 1u);
  EXPECT_TRUE(node_.game_servers().ProcessLive("f1/c1/100"));  // the loops' view of the committed process

  // Another claim of the live pID is refused at the upgrade, on the loop.
  req.query = "FleetId=f1&ComputeId=c1&pID=100&Authorization=compute-token&IdempotencyToken=other";
  auto conflict = upgrade(req);
  ASSERT_TRUE(std::holds_alternative<net::HttpResponse>(conflict));
  EXPECT_EQ(std::get<net::HttpResponse>(conflict).status, 409);

  // A bad frame is answered on the loop.
  Settle();  // the connect's commit posted its completion to the node's thread
  cb.on_message(ws, "{not json");
  ASSERT_EQ(ws->sent.size(), 1u);
  EXPECT_EQ(owner_.size(), 0u);

  fleet::ClientMessage activate{"r1", fleet::ActivateServerProcess{"5.4.0", "Cpp", {}, {}, 7777, {}}};
  cb.on_message(ws, fleet::Encode(activate));
  EXPECT_EQ(ws->sent.size(), 1u);
  owner_.RunUntil([&] { return ws->sent.size() == 2; });  // answered once its commit is durable
  EXPECT_NE(ws->sent[1].find("\"RequestId\":\"r1\""), std::string::npos);

  cb.on_message(ws, fleet::Encode(fleet::ClientMessage{"r2", fleet::TerminateServerProcess{}}));
  owner_.RunUntil([&] { return ws->sent.size() == 3; });
  EXPECT_FALSE(node_.game_servers().ProcessLive("f1/c1/100"));
  cb.on_close(ws, 1000);
  owner_.Run();
  EXPECT_EQ(socket.ConnectionCount(), 0u);
  // The process ended: its pID may be claimed again, whatever the token.
  auto again = upgrade(req);
  EXPECT_TRUE(std::holds_alternative<net::WsCallbacks>(again));
}

TEST_F(ThreadsTest, AGameServersCommitDoesNotHoldTheNodesThread) {
  ServerSocket socket(node_, clock_, ServerSocketOptions{});
  auto ws = std::make_shared<RecordingWs>();
  net::WsCallbacks cb = Connect(socket, "7", ws, owner_);
  ASSERT_EQ(socket.ConnectionCount(), 1u);

  // The activation's commit is held at the gate; the node's thread goes on serving meanwhile, and
  // the same request sent again is not run twice.
  store_.CloseGate();
  std::string activate =
      fleet::Encode(fleet::ClientMessage{"act-1", fleet::ActivateServerProcess{"5.4.0", "Cpp", {}, {}, 7777, {}}});
  cb.on_message(ws, std::string(activate));
  std::atomic<bool> done{false};
  std::thread owner([&] {
    owner_.Run();
    ASSERT_TRUE(store_.WaitForCommitAtGate(1));
    cb.on_message(ws, std::string(activate));
    Answer describe;
    router_->Handle(Management("DescribeMatchmakingConfigurations", "{}"), describe.Responder());
    owner_.Run();
    EXPECT_TRUE(describe.response.has_value());
    done = true;
  });
  for (int i = 0; i < 500 && !done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(done) << "the node's thread waited for a game server's commit";
  EXPECT_TRUE(ws->sent.empty());  // not answered before it is durable
  store_.OpenGate();
  owner.join();
  owner_.RunUntil([&] { return !ws->sent.empty(); });
  owner_.Run();
  ASSERT_EQ(ws->sent.size(), 1u);  // one reply for the request sent twice while it was committed
  EXPECT_NE(ws->sent[0].find("\"RequestId\":\"act-1\""), std::string::npos);
  cb.on_message(ws, std::move(activate));  // once answered, the cached reply answers again
  owner_.Run();
  EXPECT_EQ(ws->sent.size(), 2u);
  EXPECT_EQ(ws->sent[1], ws->sent[0]);
}

TEST_F(ThreadsTest, ACommitIsPublishedBeforeTheNodesThreadHearsOfIt) {
  // The views change in the writer's completion: a loop reads a durable change at once, without
  // waiting for the node's thread to wake up and deliver the commit (its answer still comes from
  // the node's thread).
  ServerSocket socket(node_, clock_, ServerSocketOptions{});
  auto ws = std::make_shared<RecordingWs>();
  net::WsCallbacks cb = Connect(socket, "8", ws, owner_);
  ASSERT_TRUE(node_.game_servers().ProcessLive("f1/c1/8"));

  store_.CloseGate();
  cb.on_message(ws, fleet::Encode(fleet::ClientMessage{"end-1", fleet::TerminateServerProcess{}}));
  owner_.Run();  // the node stages the end and submits its commit, held at the gate
  ASSERT_TRUE(store_.WaitForCommitAtGate(1));
  EXPECT_TRUE(node_.game_servers().ProcessLive("f1/c1/8"));  // not durable yet
  store_.OpenGate();
  // The node's thread does not run meanwhile: only the writer's completion can change the view.
  for (int i = 0; i < 500 && node_.game_servers().ProcessLive("f1/c1/8"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_FALSE(node_.game_servers().ProcessLive("f1/c1/8"));
  EXPECT_TRUE(ws->sent.empty());  // the answer waits for the node's thread
  owner_.RunUntil([&] { return ws->sent.size() == 1; });
  EXPECT_NE(ws->sent[0].find("\"RequestId\":\"end-1\""), std::string::npos);
}

TEST_F(ThreadsTest, APeerThatFloodsTheNodeWithRequestsIsCut) {
  ServerSocketOptions options;
  options.max_requests_in_flight = 4;
  ServerSocket socket(node_, clock_, options);
  auto ws = std::make_shared<RecordingWs>();
  net::WsCallbacks cb = Connect(socket, "8", ws, owner_);
  ASSERT_EQ(socket.ConnectionCount(), 1u);
  // Four requests wait for the node's thread; the fifth closes the connection.
  for (int i = 0; i < 4; ++i) {
    cb.on_message(ws, fleet::Encode(fleet::ClientMessage{"h" + std::to_string(i), fleet::HeartbeatServerProcess{}}));
  }
  EXPECT_EQ(ws->closed, 0);
  cb.on_message(ws, fleet::Encode(fleet::ClientMessage{"h4", fleet::HeartbeatServerProcess{}}));
  EXPECT_EQ(ws->closed, 1008);
  EXPECT_EQ(owner_.size(), 4u);  // the fifth was not queued
  // Answered, they free their places.
  owner_.RunUntil([&] { return ws->sent.size() == 4; });
  ws->closed = 0;
  cb.on_message(ws, fleet::Encode(fleet::ClientMessage{"h5", fleet::HeartbeatServerProcess{}}));
  EXPECT_EQ(ws->closed, 0);
  owner_.RunUntil([&] { return ws->sent.size() == 5; });
}

}  // namespace
}  // namespace muster::api
