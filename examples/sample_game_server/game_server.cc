#include "examples/sample_game_server/game_server.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/crypto.h"
#include "common/json.h"
#include "common/log.h"
#include "sdk/server/server_sdk.h"

namespace muster::sample {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t kMaxIdBytes = 256;
// After the first bytes of a TCP client arrive, how long to wait for the rest of the line.
constexpr auto kFirstLineWait = 250ms;

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

}  // namespace

// ---------------- options ----------------

const char* Usage() {
  return "usage: sample-game-server [flags]\n"
         "  --sdk-url URL       backend server socket (ws:// or wss://), default ws://127.0.0.1:9080\n"
         "  --fleet-id ID       fleet id (required)\n"
         "  --compute-id ID     compute (host) id (required)\n"
         "  --process-id ID     process id for the first game (default: random)\n"
         "  --auth-token TOKEN  compute auth token\n"
         "  --port N            game port, TCP and UDP (0 = pick a free one)\n"
         "  --ip ADDR           address to listen on, default 127.0.0.1\n"
         "  --location NAME     location name, for logs only\n"
         "  --games N           exit 0 after N games (0 = unlimited)\n"
         "  --reserve-seconds N how long players may still join after activation (default 65)\n"
         "  --help\n";
}

Result<Options> ParseOptions(int argc, char** argv, bool* help) {
  Options o;
  *help = false;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      *help = true;
      return o;
    }
    std::string value;
    auto eq = flag.find('=');
    if (eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return Error::InvalidArgument(flag + " needs a value");
    }
    auto number = [&](int* out) -> Status {
      char* end = nullptr;
      long v = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || v < 0 || v > 65535) {
        return Error::InvalidArgument(flag + " must be a number between 0 and 65535");
      }
      *out = static_cast<int>(v);
      return OkStatus();
    };
    if (flag == "--sdk-url") o.sdk_url = value;
    else if (flag == "--fleet-id") o.fleet_id = value;
    else if (flag == "--compute-id") o.compute_id = value;
    else if (flag == "--process-id") o.process_id = value;
    else if (flag == "--auth-token") o.auth_token = value;
    else if (flag == "--ip") o.ip = value;
    else if (flag == "--location") o.location = value;
    else if (flag == "--port") MUSTER_RETURN_IF_ERROR(number(&o.port));
    else if (flag == "--games") MUSTER_RETURN_IF_ERROR(number(&o.games));
    else if (flag == "--reserve-seconds") MUSTER_RETURN_IF_ERROR(number(&o.reserve_seconds));
    else return Error::InvalidArgument("unknown flag " + flag);
  }
  return o;
}

// Players of the match as listed in MatchmakerData ({"teams":[{"players":[...]}]}); without it,
// the session's maximum.
static int ExpectedPlayers(const std::string& matchmaker_data, int maximum) {
  auto v = ParseJson(matchmaker_data, JsonLimits{.max_bytes = 1024 * 1024, .max_depth = 16});
  if (!v.ok() || !v->is_object()) return maximum;
  auto* teams = v->as_object().if_contains("teams");
  if (!teams || !teams->is_array()) return maximum;
  int n = 0;
  for (const auto& t : teams->as_array()) {
    auto* players = t.is_object() ? t.as_object().if_contains("players") : nullptr;
    if (players && players->is_array()) n += static_cast<int>(players->as_array().size());
  }
  return n > 0 ? n : maximum;
}

// ---------------- a TCP player ----------------

class GameServer::TcpPlayer : public std::enable_shared_from_this<TcpPlayer> {
 public:
  TcpPlayer(GameServer& server, tcp::socket socket)
      : server_(server), socket_(std::move(socket)), timer_(socket_.get_executor()) {}

  void Start() { ReadFirst(); }

 private:
  // The first message is the player session id: a line, or whatever arrived when the client
  // paused (the published sample client sends no newline).
  void ReadFirst() {
    read_pending_ = true;
    socket_.async_read_some(asio::buffer(chunk_), [self = shared_from_this()](auto ec, std::size_t n) {
      self->read_pending_ = false;
      if (self->decided_) {
        // The id was taken on the timer while this read was pending.
        if (ec) {
          self->OnDisconnected();
        } else if (!self->player_session_id_.empty()) {
          self->WaitForDisconnect();
        } else {
          self->ReadFirst();  // still waiting for the verdict; keep draining
        }
        return;
      }
      if (ec) {
        self->timer_.cancel();
        if (!self->pending_.empty()) self->Decide();
        return;
      }
      self->pending_.append(self->chunk_.data(), n);
      auto nl = self->pending_.find('\n');
      if (nl != std::string::npos || self->pending_.size() >= kMaxIdBytes) {
        self->timer_.cancel();
        self->Decide();
        return;
      }
      self->timer_.expires_after(kFirstLineWait);
      self->timer_.async_wait([self](auto ec) {
        if (!ec && !self->decided_) self->Decide();
      });
      self->ReadFirst();
    });
  }

  void Decide() {
    decided_ = true;
    auto nl = pending_.find('\n');
    std::string id = Trim(pending_.substr(0, std::min(nl, kMaxIdBytes)));
    MLOG(kInfo) << "tcp: player session id \"" << id << "\" from " << Peer();
    server_.OnPlayerId(id, [self = shared_from_this(), id](bool ok, std::string line) {
      if (ok) {
        self->player_session_id_ = id;
        if (!self->read_pending_) self->WaitForDisconnect();
      } else {
        self->close_after_write_ = true;
      }
      self->Write(line);
    });
  }

  void OnDisconnected() {
    if (player_session_id_.empty() || left_) return;
    left_ = true;
    MLOG(kInfo) << "tcp: player " << player_session_id_ << " disconnected";
    server_.PlayerLeft(player_session_id_);
  }

  void Write(std::string line) {
    auto data = std::make_shared<std::string>(std::move(line));
    asio::async_write(socket_, asio::buffer(*data), [self = shared_from_this(), data](auto, std::size_t) {
      if (self->close_after_write_) {
        boost::system::error_code ignored;
        self->socket_.shutdown(tcp::socket::shutdown_both, ignored);
        self->socket_.close(ignored);
      }
    });
  }

  void WaitForDisconnect() {
    read_pending_ = true;
    socket_.async_read_some(asio::buffer(chunk_), [self = shared_from_this()](auto ec, std::size_t) {
      self->read_pending_ = false;
      if (ec) {
        self->OnDisconnected();
        return;
      }
      self->WaitForDisconnect();  // game traffic is ignored by this sample
    });
  }

  std::string Peer() const {
    boost::system::error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    return ec ? std::string("?") : ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  GameServer& server_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::array<char, 512> chunk_{};
  std::string pending_;
  bool decided_ = false;
  bool close_after_write_ = false;
  bool read_pending_ = false;
  bool left_ = false;
  std::string player_session_id_;
};

// ---------------- the server ----------------

GameServer::GameServer(asio::io_context& io, Options options)
    : io_(io), options_(std::move(options)), acceptor_(io), udp_(io), reserve_timer_(io) {}

GameServer::~GameServer() { sdk_pool_.join(); }

Status GameServer::Bind() {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(options_.ip, ec);
  if (ec) return Error::InvalidArgument("--ip " + options_.ip + " is not an IP address");
  // With port 0 the TCP port is chosen first; retry if that number is taken for UDP.
  for (int attempt = 0; attempt < 20; ++attempt) {
    acceptor_ = tcp::acceptor(io_);
    acceptor_.open(address.is_v6() ? tcp::v6() : tcp::v4(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(tcp::endpoint(address, static_cast<unsigned short>(options_.port)), ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Error::Unavailable("cannot listen on TCP " + options_.ip + ":" + std::to_string(options_.port) + ": " + ec.message());
    auto port = acceptor_.local_endpoint().port();
    udp_ = udp::socket(io_);
    udp_.open(address.is_v6() ? udp::v6() : udp::v4(), ec);
    if (!ec) udp_.bind(udp::endpoint(address, port), ec);
    if (!ec) {
      options_.port = port;
      return OkStatus();
    }
    if (options_.port != 0) {
      return Error::Unavailable("cannot bind UDP port " + std::to_string(port) + ": " + ec.message());
    }
  }
  return Error::Unavailable("no port free for both TCP and UDP");
}

Status GameServer::Register() {
  std::string pid = options_.process_id;
  if (pid.empty() || games_done_ > 0) pid = "pid-" + RandomAlnum(16);
  sdk::ServerParameters params{.web_socket_url = options_.sdk_url,
                               .fleet_id = options_.fleet_id,
                               .host_id = options_.compute_id,
                               .process_id = pid,
                               .auth_token = options_.auth_token};
  MUSTER_RETURN_IF_ERROR(sdk::InitSDK(params));
  sdk::ProcessParameters pp;
  pp.port = options_.port;
  pp.on_start_game_session = [this](sdk::GameSession gs) {
    MLOG(kInfo) << "game: starting game session " << gs.game_session_id << " (max "
                << gs.maximum_player_session_count << " players)";
    Status st = sdk::ActivateGameSession();
    if (!st.ok()) {
      MLOG(kError) << "game: ActivateGameSession failed: " << st.error().message;
      return;
    }
    MLOG(kInfo) << "game: game session " << gs.game_session_id << " is active";
    int expected = ExpectedPlayers(gs.matchmaker_data, gs.maximum_player_session_count);
    asio::post(io_, [this, id = gs.game_session_id, expected] {
      game_session_id_ = id;
      expected_ = expected;
      MLOG(kInfo) << "game: expecting " << expected << " players";
      reserve_expired_ = false;
      reserve_timer_.expires_after(std::chrono::seconds(options_.reserve_seconds));
      reserve_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) OnReserveWindowOver();
      });
    });
  };
  pp.on_process_terminate = [this] {
    MLOG(kInfo) << "game: the backend asked this process to terminate";
    asio::post(io_, [this] { Terminate(); });
  };
  pp.on_health_check = [] { return true; };
  Status st = sdk::ProcessReady(pp);
  if (!st.ok()) {
    (void)sdk::Destroy();
    return st;
  }
  MLOG(kInfo) << "game: process " << pid << " ready on port " << options_.port
              << (options_.location.empty() ? "" : " in " + options_.location);
  return OkStatus();
}

Status GameServer::Start() {
  MUSTER_RETURN_IF_ERROR(Bind());
  MLOG(kInfo) << "game: listening on " << options_.ip << ":" << options_.port << " (TCP and UDP)";
  MUSTER_RETURN_IF_ERROR(Register());
  AcceptTcp();
  ReceiveUdp();
  return OkStatus();
}

void GameServer::AcceptTcp() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec) return;  // closed
    std::make_shared<TcpPlayer>(*this, std::move(socket))->Start();
    AcceptTcp();
  });
}

void GameServer::ReceiveUdp() {
  udp_.async_receive_from(asio::buffer(udp_buf_), udp_from_, [this](boost::system::error_code ec, std::size_t n) {
    if (ec) {
      if (ec == asio::error::operation_aborted || finished_) return;
      ReceiveUdp();
      return;
    }
    std::string msg = Trim(std::string(udp_buf_.data(), n));
    udp::endpoint from = udp_from_;
    auto send = [this, from](std::string line) {
      auto data = std::make_shared<std::string>(std::move(line));
      udp_.async_send_to(asio::buffer(*data), from, [data](auto, std::size_t) {});
    };
    if (msg.rfind("PING", 0) == 0) {
      send("PONG" + msg.substr(4));
    } else if (auto it = udp_players_.find(from); it != udp_players_.end()) {
      if (msg == "BYE") {
        std::string id = it->second;
        udp_players_.erase(it);
        MLOG(kInfo) << "udp: player " << id << " said BYE";
        PlayerLeft(id);
      }
    } else if (!msg.empty()) {
      MLOG(kInfo) << "udp: player session id \"" << msg << "\" from " << from;
      OnPlayerId(msg, [this, from, msg, send](bool ok, std::string line) {
        if (ok) udp_players_[from] = msg;
        send(std::move(line));
      });
    }
    ReceiveUdp();
  });
}

void GameServer::OnPlayerId(std::string id, std::function<void(bool, std::string)> reply) {
  if (id.empty() || ending_) {
    reply(false, std::string("REJECTED ") + (id.empty() ? "empty player session id" : "game is ending") + "\n");
    return;
  }
  asio::post(sdk_pool_, [this, id, reply] {
    Status st = sdk::AcceptPlayerSession(id);
    std::string gs = sdk::GetGameSessionId().ok() ? *sdk::GetGameSessionId() : "";
    asio::post(io_, [this, id, reply, st, gs] {
      if (!st.ok()) {
        MLOG(kInfo) << "game: rejected " << id << ": " << st.error().message;
        reply(false, "REJECTED " + st.error().message + "\n");
        return;
      }
      MLOG(kInfo) << "game: accepted player " << id;
      players_.insert(id);
      ++joined_;
      reply(true, "WELCOME " + id + " " + gs + "\n");
    });
  });
}

void GameServer::PlayerLeft(const std::string& id) {
  if (!players_.erase(id)) return;
  // The game ends when every matched player has come and gone, or, once the window for late
  // joiners is over, when the last connected player leaves.
  bool last = players_.empty() && joined_ > 0 && (joined_ >= expected_ || reserve_expired_);
  if (last) ending_ = true;
  asio::post(sdk_pool_, [this, id, last] {
    Status st = sdk::RemovePlayerSession(id);
    if (!st.ok()) {
      MLOG(kWarn) << "game: RemovePlayerSession " << id << ": " << st.error().message;
    }
    if (last) asio::post(io_, [this] { EndGame(); });
  });
}

void GameServer::OnReserveWindowOver() {
  reserve_expired_ = true;
  if (ending_ || game_session_id_.empty() || !players_.empty()) return;
  MLOG(kInfo) << "game: " << joined_ << " of " << expected_ << " players joined before their reservations expired";
  ending_ = true;
  EndGame();
}

void GameServer::EndGame() {
  reserve_timer_.cancel();
  MLOG(kInfo) << "game: all players left; ending the game";
  ++games_done_;
  bool stop = options_.games > 0 && games_done_ >= options_.games;
  asio::post(sdk_pool_, [this, stop] {
    Status st = sdk::ProcessEnding();
    if (!st.ok()) {
      MLOG(kWarn) << "game: ProcessEnding: " << st.error().message;
    }
    (void)sdk::Destroy();
    if (stop) {
      MLOG(kInfo) << "game: hosted " << games_done_ << " game(s); exiting";
      asio::post(io_, [this] { Finish(0); });
      return;
    }
    Status reg = Register();
    asio::post(io_, [this, reg] {
      if (!reg.ok()) {
        MLOG(kError) << "game: re-registering failed: " << reg.error().message;
        Finish(1);
        return;
      }
      joined_ = 0;
      game_session_id_.clear();
      udp_players_.clear();
      ending_ = false;
    });
  });
}

void GameServer::Terminate() {
  if (finished_) return;
  ending_ = true;
  MLOG(kInfo) << "game: terminating";
  // ProcessEnding needs the backend; if it is gone, the SDK would retry for a minute. A game
  // server asked to stop must stop: give the backend a few seconds, then exit anyway.
  reserve_timer_.cancel();
  reserve_timer_.expires_after(std::chrono::seconds(3));
  reserve_timer_.async_wait([](boost::system::error_code ec) {
    if (ec) return;
    MLOG(kWarn) << "game: the backend did not confirm ProcessEnding; exiting without it";
    std::fflush(stderr);
    std::_Exit(0);
  });
  asio::post(sdk_pool_, [this] {
    Status st = sdk::ProcessEnding();
    if (!st.ok()) {
      MLOG(kWarn) << "game: ProcessEnding: " << st.error().message;
    }
    (void)sdk::Destroy();
    asio::post(io_, [this] { Finish(0); });
  });
}

void GameServer::Finish(int code) {
  if (finished_) return;
  finished_ = true;
  exit_code_ = code;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  udp_.close(ignored);
  io_.stop();
}

}  // namespace muster::sample
