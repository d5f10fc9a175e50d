// Starts the real sample-game-server process against an in-test WebSocket backend and plays
// the join protocol over real TCP and UDP sockets.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

#include "examples/sample_game_server/game_server.h"
#include "sdk/server/testing/fake_backend.h"

extern char** environ;

namespace muster::sample {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using namespace std::chrono_literals;
using sdk::testing::FakeBackend;
using sdk::testing::ReceivedRequest;

class ServerProcess {
 public:
  explicit ServerProcess(std::vector<std::string> args) {
    args.insert(args.begin(), SAMPLE_GAME_SERVER_PATH);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    EXPECT_EQ(posix_spawn(&pid_, SAMPLE_GAME_SERVER_PATH, nullptr, nullptr, argv.data(), environ), 0);
  }
  ~ServerProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  // Waits for exit; returns the exit code, or -1 on timeout / abnormal end.
  int Wait(std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(10ms);
    }
    return -1;
  }
  void Signal(int sig) { kill(pid_, sig); }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
};

// `matched` > 0 lists that many players in MatchmakerData, as matchmaking does.
std::string CreateGameSession(const std::string& id, int matched = 0, int maximum = 2) {
  fleet::CreateGameSession c;
  c.game_session_id = id;
  c.maximum_player_session_count = maximum;
  if (matched > 0) {
    std::string players;
    for (int i = 0; i < matched; ++i) players += std::string(i ? "," : "") + "{\"playerId\":\"p" + std::to_string(i) + "\"}";
    c.matchmaker_data = "{\"matchId\":\"m\",\"teams\":[{\"name\":\"red\",\"players\":[" + players + "]}]}";
  }
  return fleet::Encode(fleet::ServerMessage{"CreateGameSession", "", 200, "", c});
}

// Sends `first` without a newline, reads one reply line.
std::string Join(asio::io_context& io, tcp::socket& sock, int port, const std::string& first) {
  sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  asio::write(sock, asio::buffer(first));
  std::string line;
  char c;
  boost::system::error_code ec;
  while (asio::read(sock, asio::buffer(&c, 1), ec) == 1 && c != '\n') line += c;
  return line;
}

struct Fixture {
  FakeBackend backend;
  std::unique_ptr<ServerProcess> server;
  int port = 0;

  explicit Fixture(int games, std::vector<std::string> extra = {}) {
    backend.SetHandler([](const ReceivedRequest& r) -> std::optional<std::string> {
      if (auto* a = std::get_if<fleet::AcceptPlayerSession>(&r.message.body)) {
        if (a->player_session_id.rfind("psess-good", 0) != 0) {
          return fleet::EncodeReply(r.message.action(), r.message.request_id, 400,
                                    "player session " + a->player_session_id + " is not RESERVED");
        }
      }
      return FakeBackend::Ok(r);
    });
    std::vector<std::string> args{"--sdk-url", backend.url(), "--fleet-id", "fleet-1",
                                  "--compute-id", "compute-1", "--auth-token", "tok", "--port", "0",
                                  "--games", std::to_string(games)};
    args.insert(args.end(), extra.begin(), extra.end());
    server = std::make_unique<ServerProcess>(std::move(args));
    auto act = backend.WaitForAction("ActivateServerProcess");
    EXPECT_TRUE(act);
    if (act) port = std::get<fleet::ActivateServerProcess>(act->message.body).port;
    EXPECT_GT(port, 0);
  }
};

TEST(SampleGameServer, HostsOneGameEndToEnd) {
  Fixture f(/*games=*/1);
  ASSERT_GT(f.port, 0);
  asio::io_context io;

  // UDP latency pings work at any time, without the SDK.
  udp::socket u(io, udp::endpoint(udp::v4(), 0));
  udp::endpoint server_udp(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(f.port));
  u.send_to(asio::buffer(std::string("PING 42")), server_udp);
  char buf[64];
  udp::endpoint from;
  std::size_t n = u.receive_from(asio::buffer(buf), from);
  EXPECT_EQ(std::string(buf, n), "PONG 42");

  ASSERT_TRUE(f.backend.Push(CreateGameSession("arn:gs/fleet-1/gs-1")));
  auto activated = f.backend.WaitForAction("ActivateGameSession");
  ASSERT_TRUE(activated);
  EXPECT_EQ(std::get<fleet::ActivateGameSession>(activated->message.body).game_session_id,
            "arn:gs/fleet-1/gs-1");

  // The backend rejects this id: the server reports it and closes.
  {
    tcp::socket bad(io);
    std::string line = Join(io, bad, f.port, "psess-bad");
    EXPECT_EQ(line, "REJECTED player session psess-bad is not RESERVED");
    boost::system::error_code ec;
    char c;
    asio::read(bad, asio::buffer(&c, 1), ec);
    EXPECT_EQ(ec, asio::error::eof);
  }

  // An accepted player, id sent without a newline.
  tcp::socket good(io);
  EXPECT_EQ(Join(io, good, f.port, "psess-good-1"), "WELCOME psess-good-1 arn:gs/fleet-1/gs-1");
  auto accepted = f.backend.WaitFor([](const ReceivedRequest& r) {
    auto* a = std::get_if<fleet::AcceptPlayerSession>(&r.message.body);
    return a && a->player_session_id == "psess-good-1";
  });
  ASSERT_TRUE(accepted);
  EXPECT_EQ(std::get<fleet::AcceptPlayerSession>(accepted->message.body).game_session_id,
            "arn:gs/fleet-1/gs-1");

  // A UDP player joins with a datagram and leaves with BYE.
  u.send_to(asio::buffer(std::string("psess-good-2\n")), server_udp);
  n = u.receive_from(asio::buffer(buf), from);
  EXPECT_EQ(std::string(buf, n), "WELCOME psess-good-2 arn:gs/fleet-1/gs-1\n");
  u.send_to(asio::buffer(std::string("BYE")), server_udp);
  auto removed_udp = f.backend.WaitFor([](const ReceivedRequest& r) {
    auto* a = std::get_if<fleet::RemovePlayerSession>(&r.message.body);
    return a && a->player_session_id == "psess-good-2";
  });
  EXPECT_TRUE(removed_udp);
  EXPECT_FALSE(f.backend.WaitForAction("TerminateServerProcess", 100ms));  // one player left

  good.close();
  auto removed = f.backend.WaitFor([](const ReceivedRequest& r) {
    auto* a = std::get_if<fleet::RemovePlayerSession>(&r.message.body);
    return a && a->player_session_id == "psess-good-1";
  });
  EXPECT_TRUE(removed);
  // Everyone left: the game ends and, with --games 1, the process exits 0.
  EXPECT_TRUE(f.backend.WaitForAction("TerminateServerProcess"));
  EXPECT_EQ(f.server->Wait(), 0);
}

TEST(SampleGameServer, ReRegistersAsNewProcessAfterAGame) {
  Fixture f(/*games=*/2);
  ASSERT_GT(f.port, 0);
  ASSERT_TRUE(f.backend.Push(CreateGameSession("gs-a", /*matched=*/1)));
  ASSERT_TRUE(f.backend.WaitForAction("ActivateGameSession"));
  asio::io_context io;
  {
    tcp::socket p(io);
    EXPECT_EQ(Join(io, p, f.port, "psess-good-a\n"), "WELCOME psess-good-a gs-a");
  }
  ASSERT_TRUE(f.backend.WaitForAction("TerminateServerProcess"));
  ASSERT_TRUE(f.backend.WaitForConnections(2));
  auto targets = f.backend.targets();
  EXPECT_NE(sdk::testing::QueryParams(targets[0])["pID"], sdk::testing::QueryParams(targets[1])["pID"]);
  auto second = f.backend.WaitFor([](const ReceivedRequest& r) {
    return r.connection == 2 && r.message.action() == "ActivateServerProcess";
  });
  ASSERT_TRUE(second);
  EXPECT_EQ(std::get<fleet::ActivateServerProcess>(second->message.body).port, f.port);
  f.server->Signal(SIGTERM);
  EXPECT_EQ(f.server->Wait(), 0);
}

TEST(SampleGameServer, SigtermEndsTheProcess) {
  Fixture f(/*games=*/0);
  ASSERT_GT(f.port, 0);
  f.server->Signal(SIGTERM);
  EXPECT_TRUE(f.backend.WaitForAction("TerminateServerProcess"));
  EXPECT_EQ(f.server->Wait(), 0);
}

TEST(SampleGameServer, ParsesFlags) {
  std::vector<std::string> args = {"x", "--port", "7777", "--games=3", "--fleet-id", "f"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  bool help = false;
  auto o = ParseOptions(static_cast<int>(argv.size()), argv.data(), &help);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->port, 7777);
  EXPECT_EQ(o->games, 3);
  EXPECT_EQ(o->fleet_id, "f");
  std::vector<std::string> bad = {"x", "--port", "99999"};
  std::vector<char*> bargv;
  for (auto& a : bad) bargv.push_back(a.data());
  EXPECT_FALSE(ParseOptions(3, bargv.data(), &help).ok());
  std::vector<std::string> unk = {"x", "--nope", "1"};
  std::vector<char*> uargv;
  for (auto& a : unk) uargv.push_back(a.data());
  EXPECT_EQ(ParseOptions(3, uargv.data(), &help).error().message, "unknown flag --nope");
}

TEST(SampleGameServer, WaitsForEveryMatchedPlayerBeforeEnding) {
  Fixture f(/*games=*/1);
  ASSERT_GT(f.port, 0);
  ASSERT_TRUE(f.backend.Push(CreateGameSession("gs-w", /*matched=*/2, /*maximum=*/4)));
  ASSERT_TRUE(f.backend.WaitForAction("ActivateGameSession"));
  asio::io_context io;
  {
    tcp::socket a(io);
    EXPECT_EQ(Join(io, a, f.port, "psess-good-a"), "WELCOME psess-good-a gs-w");
  }
  // The first player left, but the second matched player has not come yet: the game goes on.
  EXPECT_FALSE(f.backend.WaitForAction("TerminateServerProcess", 300ms));
  {
    tcp::socket b(io);
    EXPECT_EQ(Join(io, b, f.port, "psess-good-b"), "WELCOME psess-good-b gs-w");
  }
  EXPECT_TRUE(f.backend.WaitForAction("TerminateServerProcess"));
  EXPECT_EQ(f.server->Wait(), 0);
}

TEST(SampleGameServer, EndsWhenReservationsExpireWithoutTheRest) {
  Fixture f(/*games=*/1, {"--reserve-seconds", "1"});
  ASSERT_GT(f.port, 0);
  ASSERT_TRUE(f.backend.Push(CreateGameSession("gs-x", /*matched=*/3, /*maximum=*/3)));
  ASSERT_TRUE(f.backend.WaitForAction("ActivateGameSession"));
  asio::io_context io;
  {
    tcp::socket a(io);
    EXPECT_EQ(Join(io, a, f.port, "psess-good-a"), "WELCOME psess-good-a gs-x");
  }
  // Two matched players never come; after the reservation window the game ends.
  EXPECT_TRUE(f.backend.WaitForAction("TerminateServerProcess", 5s));
  EXPECT_EQ(f.server->Wait(), 0);
}

}  // namespace
}  // namespace muster::sample
