#pragma once
// The sample game server: hosts one game session at a time on a TCP and a UDP port (same
// number), validates each joining player's session id through the server SDK, answers UDP
// "PING <nonce>" with "PONG <nonce>", and when every player has left ends the game and
// re-registers as a new process (or exits after --games games).
//
// Threads: game networking runs on the io_context passed in (one thread, main); SDK calls,
// which block until the backend replies, run on a separate one-thread pool; SDK callbacks run
// on the SDK's callback thread and hand their work to the io_context.

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/thread_pool.hpp>

#include <map>
#include <memory>
#include <set>
#include <string>

#include "common/result.h"

namespace muster::sample {

struct Options {
  std::string sdk_url = "ws://127.0.0.1:9080";
  std::string fleet_id;
  std::string compute_id;
  std::string process_id;  // empty = random
  std::string auth_token;
  std::string ip = "127.0.0.1";
  std::string location;
  int port = 0;   // 0 = pick a free port
  int games = 0;  // 0 = unlimited
  // How long after activation players may still arrive (the backend's RESERVED timeout is 60 s);
  // after it, the game ends as soon as no player is connected.
  int reserve_seconds = 65;
};

// Parses argv. kInvalidArgument with a message on a bad flag; `help` set for --help.
Result<Options> ParseOptions(int argc, char** argv, bool* help);
const char* Usage();

class GameServer {
 public:
  GameServer(boost::asio::io_context& io, Options options);
  ~GameServer();

  // Binds the ports, registers with the backend. Then run the io_context; it returns when the
  // server is done. exit_code() says how it ended.
  Status Start();
  int exit_code() const { return exit_code_; }
  // SIGTERM: end the process cleanly.
  void Terminate();

 private:
  class TcpPlayer;
  Status Bind();
  Status Register();  // runs on the SDK pool
  void AcceptTcp();
  void ReceiveUdp();
  void OnPlayerId(std::string id, std::function<void(bool, std::string)> reply);
  void PlayerLeft(const std::string& player_session_id);
  void EndGame();
  void OnReserveWindowOver();
  void Finish(int code);

  boost::asio::io_context& io_;
  Options options_;
  boost::asio::thread_pool sdk_pool_{1};
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::ip::udp::socket udp_;
  boost::asio::ip::udp::endpoint udp_from_;
  std::array<char, 1500> udp_buf_{};
  std::map<boost::asio::ip::udp::endpoint, std::string> udp_players_;
  std::set<std::string> players_;  // accepted, still connected
  int joined_ = 0;
  int expected_ = 0;             // players in the match (MatchmakerData), else the session maximum
  bool reserve_expired_ = false;  // the window for late joiners is over
  boost::asio::steady_timer reserve_timer_;
  int games_done_ = 0;
  bool ending_ = false;
  bool finished_ = false;
  int exit_code_ = 0;
  std::string game_session_id_;  // io thread copy, for WELCOME lines
};

}  // namespace muster::sample
