// musterd: one Muster node. See `musterd --help` and docs/configuration.md.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

#include "api/client_api.h"
#include "api/push_gateway.h"
#include "api/router.h"
#include "api/server_socket.h"
#include "common/guarded.h"
#include "common/log.h"
#include "daemon/config.h"
#include "daemon/cores.h"
#include "daemon/fd_budget.h"
#include "daemon/supervisor.h"
#include "identity/identity_service.h"
#include "identity/player_data.h"
#include "net/http_server.h"
#include "net/loop.h"
#include "node/node.h"
#include "node/client_stream.h"
#include "node/dispatcher.h"
#include "node/event_log.h"
#include "node/retention.h"
#include "store/sqlite_store.h"

namespace muster::daemon {
namespace {

// This node in its push connections' rows: the host's name and the client port.
std::string NodeName(int http_port) {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::strcpy(host, "localhost");
  return std::string(host) + ":" + std::to_string(http_port);
}

std::string ReadFile(const std::string& path, Status* st) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *st = Error::InvalidArgument("cannot read " + path);
    return {};
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string SampleServerPath(const Config& cfg, const char* argv0) {
  if (!cfg.sample_server_binary.empty()) return cfg.sample_server_binary;
  std::error_code ec;
  auto self = std::filesystem::canonical("/proc/self/exe", ec);
  if (ec) self = argv0;
  return (self.parent_path().parent_path().parent_path() / "examples" / "sample_game_server" /
          "sample-game-server").string();
}

Result<node::NodeSetup> BuildSetup(const Config& cfg) {
  node::NodeSetup s;
  s.region = cfg.region;
  s.account = cfg.account;
  s.fleet_options.reserved_timeout_ms = cfg.reserved_timeout_seconds * 1000LL;
  s.fleet_options.activation_timeout_ms = cfg.activation_timeout_seconds * 1000LL;
  s.fleet_options.heartbeat_timeout_ms = cfg.heartbeat_timeout_seconds * 1000LL;
  node::FleetSetup f;
  f.fleet_id = cfg.fleet;
  f.locations = cfg.locations;
  for (const auto& loc : cfg.locations) {
    fleet::Compute c;
    c.fleet_id = cfg.fleet;
    c.compute_name = loc + "-compute";
    c.location = loc;
    c.ip_address = cfg.compute_address;
    f.computes.push_back(std::move(c));
  }
  s.fleets.push_back(std::move(f));
  placement::QueueConfig q;
  q.name = cfg.queue;
  q.arn = "arn:aws:gamelift:" + cfg.region + ":" + cfg.account + ":gamesessionqueue/" + cfg.queue;
  q.timeout_ms = cfg.queue_timeout_seconds * 1000LL;
  q.fleets = {cfg.fleet};
  s.queues.push_back(std::move(q));
  std::string body = DemoRuleSet();
  if (!cfg.rule_set_file.empty()) {
    Status st;
    body = ReadFile(cfg.rule_set_file, &st);
    if (!st.ok()) return st.take_error();
  }
  s.rule_sets.push_back({cfg.configuration + "-rules", body});
  matchmaking::ConfigurationSpec spec;
  spec.name = cfg.configuration;
  spec.rule_set_name = cfg.configuration + "-rules";
  spec.request_timeout_ms = cfg.request_timeout_seconds * 1000LL;
  spec.acceptance_required = cfg.acceptance_timeout_seconds > 0;
  spec.acceptance_timeout_ms = cfg.acceptance_timeout_seconds * 1000LL;
  spec.backfill_mode = cfg.backfill_mode == "AUTOMATIC" ? matchmaking::BackfillMode::kAutomatic
                                                        : matchmaking::BackfillMode::kManual;
  spec.mode = cfg.flexmatch_mode == "STANDALONE" ? matchmaking::FlexMatchMode::kStandalone
                                                  : matchmaking::FlexMatchMode::kWithQueue;
  if (spec.mode == matchmaking::FlexMatchMode::kWithQueue) spec.queue_name = cfg.queue;
  s.configurations.push_back(std::move(spec));
  return s;
}

// The cores this process may run on (its affinity mask: taskset, cgroups' cpusets), not all the
// machine's.
int Run(int argc, char** argv) {
  auto loaded = LoadConfig(argc, argv);
  if (!loaded.ok()) {
    std::fprintf(stderr, "musterd: %s\n", loaded.error().message.c_str());
    return 2;
  }
  Config cfg = std::move(loaded).value();
  if (cfg.help) {
    std::fputs(HelpText().c_str(), stdout);
    return 0;
  }
  log::SetLevel(cfg.log_level == "debug" ? log::kDebug
                : cfg.log_level == "warn" ? log::kWarn
                : cfg.log_level == "error" ? log::kError
                                           : log::kInfo);
  auto fail = [](const std::string& what, const Error& e) {
    MLOG(kError) << what << ": " << e.message;
    return 1;
  };
  std::error_code ec;
  std::filesystem::create_directories(cfg.data_dir, ec);
  if (ec) return fail("data_dir " + cfg.data_dir, Error::Internal(ec.message()));
  SystemClock& clock = SystemClock::Instance();

  auto store = store::OpenSqliteStore({.path = cfg.data_dir + "/muster.db",
                                       .synchronous_full = cfg.sync_full,
                                       .checkpoint_pages = cfg.sqlite_checkpoint_pages,
                                       .checkpoint_max_pages = 4 * cfg.sqlite_checkpoint_pages,
                                       .checkpoint_restart_pages =
                                           16 * cfg.sqlite_checkpoint_pages,
                                       .checkpoint_rest_quiet_ms = cfg.sqlite_checkpoint_rest_quiet_ms});
  if (!store.ok()) return fail("store", store.error());

  identity::IdentityConfig icfg;
  icfg.region = cfg.region;
  icfg.pools.push_back({cfg.identity_pool, cfg.allow_guests});
  icfg.max_live_credentials = cfg.max_live_credentials;
  identity::IdentityService identities(**store, clock, icfg);
  identity::PlayerDataService players(**store, clock, json::object{{"skill", json::object{{"N", cfg.default_skill}}}});

  auto setup = BuildSetup(cfg);
  if (!setup.ok()) return fail("configuration", setup.error());
  // The loops are declared before the node and everything that holds a Responder or posts to
  // them, so they are destroyed last: a Responder dropped at shutdown still has a loop to post to.
  // Client and game server connections spread over `threads` connection loops; the node's own
  // loop (its cores, timers and commit completions) holds no connection, so no peer's bytes,
  // handshakes or signatures take its time.
  const unsigned cores = UsableCores();
  const std::size_t threads = cfg.threads > 0 ? static_cast<std::size_t>(cfg.threads) : cores;
  std::vector<std::unique_ptr<boost::asio::io_context>> loops;
  for (std::size_t i = 0; i < threads; ++i) loops.push_back(std::make_unique<boost::asio::io_context>(1));
  boost::asio::io_context ioc(1);  // the node's loop
  // Matchmaking's own loops (matchmaking_thread): one per matchmaking side, each running its
  // shard's changes, runs and commit completions. Without: the node's loop is the one side's.
  const std::size_t match_sides =
      !cfg.matchmaking_thread ? 1
      : cfg.matchmaking_threads > 0 ? static_cast<std::size_t>(cfg.matchmaking_threads)
                                    : std::min<std::size_t>(cores, 64);
  std::vector<std::unique_ptr<boost::asio::io_context>> match_ioc;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> match_work;
  if (cfg.matchmaking_thread) {
    for (std::size_t i = 0; i < match_sides; ++i) {
      match_ioc.push_back(std::make_unique<boost::asio::io_context>(1));
      match_work.push_back(boost::asio::make_work_guard(*match_ioc.back()));
    }
  }
  auto match_loop = [&](std::size_t side) -> boost::asio::io_context& {
    return cfg.matchmaking_thread ? *match_ioc.at(side) : ioc;
  };
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> loop_work;
  std::vector<boost::asio::io_context*> connection_loops;
  for (auto& l : loops) {
    loop_work.push_back(boost::asio::make_work_guard(*l));
    connection_loops.push_back(l.get());
  }

  node::NodeOptions node_options;
  node_options.matchmaking_shard = cfg.matchmaking_thread;
  node_options.matchmaking_sides = match_sides;
  node::Node node(**store, Env::System(), node_options);
  if (auto st = node.Start(*setup); !st.ok()) return fail("start", st.error());

  auto admin_secret = [&cfg](std::string_view ak) -> Result<std::string> {
    if (ak != cfg.admin_access_key) return Error::Unauthorized("unknown access key " + std::string(ak));
    return cfg.admin_secret_key;
  };

  // The outbox's one reader (its own thread): the client-addressed stream for push clients and,
  // when configured, the event log file. The subscribers are declared before the dispatcher, so
  // that on any early return its thread stops before they are destroyed.
  node::ClientStreamOptions stream_options;
  stream_options.replay_ms = cfg.push_replay_seconds * 1000LL;
  node::ClientStream client_stream(clock, stream_options);
  std::unique_ptr<node::EventLog> event_log;
  if (!cfg.event_log.empty()) {
    auto opened = node::EventLog::Open(cfg.event_log);
    if (!opened.ok()) return fail("event log", opened.error());
    event_log = std::move(opened).value();
  }
  node::DispatcherOptions dispatcher_options;
  dispatcher_options.retention_ms = cfg.event_retention_ms;
  node::Dispatcher dispatcher(**store, clock, dispatcher_options);
  dispatcher.SubscribeRecent("client-stream", stream_options.replay_ms,
                             [&](const store::Event& e, core::LazyNotice& n) { client_stream.OnEvent(e, n); });
  if (event_log) {
    dispatcher.SubscribeDurable(
        "event-log", [&](const store::Event& e, core::LazyNotice& n) { event_log->OnEvent(e, n); },
        [&] { return event_log->Sync(); });
  }
  if (auto st = dispatcher.Start(); !st.ok()) return fail("dispatcher", st.error());
  node.SetEventsCommitted([&dispatcher] { dispatcher.Notify(); });

  api::ServerSocketOptions socket_options;
  socket_options.admin_secret = admin_secret;
  socket_options.region = cfg.region;
  socket_options.replaced_close_delay_ms = cfg.server_replaced_close_seconds * 1000LL;
  api::ServerSocket server_socket(node, clock, socket_options);
  node.SetPushSink([&](const std::string& key, const std::string& frame) { server_socket.Push(key, frame); });
  // Store writes of the live state leave the loop: group commits on the writer's thread, answers
  // from its completions (posted back to the loop), which also push to game servers and wake the
  // dispatcher. Declared after the loop, the server socket and the dispatcher, so it stops first.
  store::CommitWriter writer(**store);
  std::vector<node::Node::Post> match_posts;
  for (std::size_t i = 0; i < match_sides; ++i) {
    match_posts.push_back([&loop = match_loop(i)](std::function<void()> f) { boost::asio::post(loop, std::move(f)); });
  }
  node.UseWriter(writer, [&ioc](std::function<void()> f) { boost::asio::post(ioc, std::move(f)); },
                 std::move(match_posts));

  std::vector<char> run_pending(match_sides, 0);  // each on its side's thread
  api::ClientApiOptions client_options;
  client_options.configuration = cfg.configuration;
  client_options.client_configurations = cfg.client_configurations;
  client_options.region = cfg.region;
  client_options.tickets_per_player = {static_cast<double>(cfg.tickets_rate_per_minute),
                                       static_cast<double>(cfg.tickets_burst)};
  client_options.tickets_per_address = {static_cast<double>(cfg.address_tickets_rate_per_minute),
                                        static_cast<double>(cfg.address_tickets_burst)};
  api::ClientApi client(node, identities, players, clock, client_options);
  // The push flow's gateway (/ws on the client port), on the same ticket operations and limits.
  api::PushGatewayOptions push_options;
  push_options.max_connections_per_identity = static_cast<std::size_t>(cfg.push_connections_per_identity);
  push_options.connects_per_identity = {static_cast<double>(cfg.push_connects_per_minute),
                                        static_cast<double>(cfg.push_connects_burst)};
  push_options.connects_per_address = {static_cast<double>(cfg.push_address_connects_per_minute),
                                       static_cast<double>(cfg.push_address_connects_burst)};
  push_options.messages_per_connection = {static_cast<double>(cfg.push_messages_per_minute),
                                          static_cast<double>(cfg.push_messages_burst)};
  push_options.messages_per_identity = {static_cast<double>(cfg.push_identity_messages_per_minute),
                                        static_cast<double>(cfg.push_identity_messages_burst)};
  push_options.messages_per_address = {static_cast<double>(cfg.push_address_messages_per_minute),
                                       static_cast<double>(cfg.push_address_messages_burst)};
  api::PushGateway push(client.tickets(), client_stream, writer, clock, push_options);
  node.SetRunScheduler([&](std::size_t side) {  // on the side's thread, as its run_pending
    if (run_pending[side]) return;
    run_pending[side] = 1;
    boost::asio::post(match_loop(side), [&, side] {
      run_pending[side] = 0;
      Guarded("matchmaking run", [&] { node.RunMatchmaking(side); });
    });
  });
  api::RouterOptions router_options;
  router_options.admin_secret = admin_secret;
  router_options.node = &node;
  router_options.region = cfg.region;
  router_options.push = &push;
  router_options.identity_limits.identities = {static_cast<double>(cfg.identity_rate_per_minute),
                                               static_cast<double>(cfg.identity_burst)};
  router_options.identity_limits.credentials = {static_cast<double>(cfg.credentials_rate_per_minute),
                                                static_cast<double>(cfg.credentials_burst)};
  router_options.admin_failures = {static_cast<double>(cfg.admin_failures_per_minute),
                                   static_cast<double>(cfg.admin_failures_burst)};
  api::Router router(client, identities, clock, router_options);

  node::RetentionOptions retention_options;
  retention_options.ticket_ms = cfg.ticket_retention_ms;
  retention_options.session_ms = cfg.session_retention_ms;
  retention_options.process_ms = cfg.process_retention_ms;
  retention_options.credential_lifetime_ms = identity::kMaxCredentialsTtlMs;
  node::Retention retention(**store, clock, retention_options);
  Millis next_retention = 0;
  auto run_retention = [&] {
    if (clock.NowMillis() < next_retention) return;
    auto report = retention.Run();
    if (!report.ok()) {
      MLOG(kError) << "retention: " << report.error().message;
      next_retention = clock.NowMillis() + 60'000;
      return;
    }
    if (report->rows > 0) {
      MLOG(kInfo) << "retention: deleted " << report->rows << " ended rows";
    }
    // A full batch goes on at the next tick; otherwise once a minute.
    next_retention = clock.NowMillis() + (report->more ? 0 : 60'000);
  };

  // Every listener's connections, the refusals that linger and musterd's own files must fit the
  // open-file limit, or accepting fails with EMFILE on every listener at once.
  const std::size_t open_files = RaiseOpenFileLimit();
  const std::size_t listeners = cfg.server_wss_port != 0 ? 3 : 2;
  const ConnectionBudget budget =
      FitConnections(open_files, kOwnDescriptors + net::MaxLingeringRefusals(), listeners,
                     static_cast<std::size_t>(cfg.max_connections));
  const ConnectionBudget room =  // what the limit leaves, whatever was asked
      FitConnections(open_files, kOwnDescriptors + net::MaxLingeringRefusals(), listeners, std::numeric_limits<std::size_t>::max());
  if (room.per_listener < 16) {
    return fail("open-file limit", Error::InvalidArgument(
        "the open-file limit " + std::to_string(open_files) + " leaves " + std::to_string(room.per_listener) +
        " connections per listener; raise it (ulimit -n, or LimitNOFILE= in the systemd unit)"));
  }
  if (budget.reduced) {
    MLOG(kWarn) << "max_connections " << cfg.max_connections << " per listener does not fit the open-file limit "
                << open_files << " (" << listeners << " listeners); using " << budget.per_listener
                << " (raise ulimit -n or LimitNOFILE= for more)";
  }
  net::Limits client_limits;
  client_limits.max_connections = budget.per_listener;
  client_limits.max_connections_per_address = static_cast<std::size_t>(cfg.max_connections_per_address);
  client_limits.header_timeout_seconds = cfg.header_timeout_seconds;
  client_limits.body_timeout_seconds = cfg.body_timeout_seconds;
  client_limits.idle_timeout_seconds = cfg.idle_timeout_seconds;
  net::Limits server_limits = client_limits;
  // The client port's WebSockets are the push flow's (Muster's own engine, light_ws_session.cc).
  client_limits.ws_ping_interval_seconds = cfg.push_ping_seconds;
  client_limits.ws_max_age_seconds = cfg.push_max_age_seconds;
  client_limits.max_ws_send_queue_bytes = static_cast<std::size_t>(cfg.push_send_queue_kib) * 1024;
  // A push client's messages are actions of at most 16 KiB: the protocol's limits stay at what
  // RFC 6455 peers commonly expect, and an unfinished message is dropped after body_timeout.
  client_limits.max_ws_frame_bytes = 32 * 1024;
  client_limits.max_ws_message_bytes = 128 * 1024;
  server_limits.max_connections_per_address = static_cast<std::size_t>(cfg.server_max_connections_per_address);

  net::HttpServer http(connection_loops), ws(connection_loops), wss(connection_loops);
  // Requests are handled on the connection's loop; the router posts the node's part of each to the
  // node's loop, and answers go back through the Responder (posted to the connection's loop).
  auto handler = [&](net::HttpRequest&& r, net::Responder respond) { router.Handle(r, std::move(respond)); };
  auto socket_http = [](net::HttpRequest&& r, net::Responder respond) {
    respond(api::ErrorResponse(Error::NotFound("this port serves game server WebSocket connections only")));
  };
  net::ListenOptions http_options;
  http_options.address = cfg.listen_address;
  http_options.port = static_cast<std::uint16_t>(cfg.http_port);
  http_options.limits = client_limits;
  http_options.one_thread_per_loop = true;  // each loop here runs on one thread of its own
  auto http_port = http.Listen(http_options, handler, [&](const net::HttpRequest& r) { return push.Upgrade(r); });
  if (!http_port.ok()) return fail("http listener", http_port.error());
  // The gateway is named after the port bound (the loops, and so connections, start later).
  if (auto st = push.Start(**store, NodeName(*http_port)); !st.ok()) return fail("push gateway", st.error());
  net::ListenOptions ws_options;
  ws_options.address = cfg.listen_address;
  ws_options.port = static_cast<std::uint16_t>(cfg.server_ws_port);
  ws_options.limits = server_limits;
  ws_options.one_thread_per_loop = true;
  auto ws_port = ws.Listen(ws_options, socket_http, server_socket.UpgradeHandler());
  if (!ws_port.ok()) return fail("server socket listener", ws_port.error());
  MLOG(kInfo) << "client API on http://" << cfg.listen_address << ":" << *http_port;
  MLOG(kInfo) << "server socket on ws://" << cfg.listen_address << ":" << *ws_port;
  if (cfg.server_wss_port != 0) {
    Result<net::TlsOptions> tls = net::TlsOptions{cfg.tls_cert, cfg.tls_key};
    if (cfg.tls_cert.empty()) tls = net::EnsureSelfSignedCertificate(cfg.data_dir + "/tls");
    if (!tls.ok()) return fail("tls", tls.error());
    net::ListenOptions lo;
    lo.address = cfg.listen_address;
    lo.port = static_cast<std::uint16_t>(cfg.server_wss_port);
    lo.tls = *tls;
    lo.limits = server_limits;
    lo.one_thread_per_loop = true;
    auto wss_port = wss.Listen(lo, socket_http, server_socket.UpgradeHandler());
    if (!wss_port.ok()) return fail("server socket TLS listener", wss_port.error());
    MLOG(kInfo) << "server socket on wss://" << cfg.listen_address << ":" << *wss_port;
  }

  Supervisor supervisor(clock);
  if (cfg.demo_servers > 0) {
    std::string bin = SampleServerPath(cfg, argv[0]);
    if (!std::filesystem::exists(bin)) {
      MLOG(kWarn) << "sample game server not found at " << bin << "; set --sample-server-binary (or --demo-servers 0)";
    } else {
      int port = cfg.sample_server_base_port;
      for (const auto& loc : cfg.locations) {
        for (int i = 0; i < cfg.demo_servers; ++i, ++port) {
          std::string compute = loc + "-compute";
          auto token = node.game_servers().ComputeToken(cfg.fleet, compute);
          if (!token.ok()) return fail("demo", token.error());
          // The token goes through the SDK's environment override, not argv (readable by anyone).
          supervisor.Add("sample-game-server " + loc + " :" + std::to_string(port),
                         {bin, "--sdk-url", "ws://127.0.0.1:" + std::to_string(*ws_port), "--fleet-id", cfg.fleet,
                          "--compute-id", compute, "--port", std::to_string(port),
                          "--ip", cfg.compute_address, "--location", loc},
                         {"GAMELIFT_SDK_AUTH_TOKEN=" + *token});
        }
      }
    }
  }

  boost::asio::steady_timer ticker(ioc);
  std::uint64_t ticks = 0;
  std::function<void()> tick = [&] {
    ticker.expires_after(std::chrono::milliseconds(100));
    ticker.async_wait([&](const boost::system::error_code& e) {
      if (e) return;
      // The ticker re-arms whatever one step throws: timeouts must keep firing.
      Guarded("tick", [&] { node.Tick(); });
      Guarded("supervisor", [&] { supervisor.Poll(); });
      Guarded("server socket", [&] { server_socket.Tick(); });
      Guarded("retention", run_retention);
      if (++ticks % 100 == 0) Guarded("server socket sweep", [&] { server_socket.Sweep(); });
      tick();
    });
  };
  tick();

  // Drain: game servers end first (they still need the server socket for ProcessEnding), then the
  // listeners close, in-flight writes finish, and the loop stops. The store is durable per commit.
  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  boost::asio::steady_timer drain(ioc);
  // Runs `step` on each matchmaking side's thread in turn, then `then` on the node's.
  std::function<void(std::size_t, std::function<void(std::size_t)>, std::function<void()>)> side_by_side =
      [&](std::size_t side, std::function<void(std::size_t)> step, std::function<void()> then) {
        if (side == match_sides) return boost::asio::post(ioc, std::move(then));
        boost::asio::post(match_loop(side), [&, side, step = std::move(step), then = std::move(then)]() mutable {
          step(side);
          side_by_side(side + 1, std::move(step), std::move(then));
        });
      };
  auto each_side = [&](std::function<void(std::size_t)> step, std::function<void()> then) {
    side_by_side(0, std::move(step), std::move(then));
  };
  std::function<void()> wait_children = [&] {
    if (!supervisor.Stopped()) {
      drain.expires_after(std::chrono::milliseconds(50));
      drain.async_wait([&](const boost::system::error_code& e) {
        if (!e) wait_children();
      });
      return;
    }
    http.Stop();
    ws.Stop();
    wss.Stop();
    ticker.cancel();
    drain.expires_after(std::chrono::milliseconds(200));
    drain.async_wait([&](const boost::system::error_code&) {
      // Commits still queued (and the turns not yet flushed) go in, and their answers out, before
      // the loops stop; each shard's turn on its own thread. Notices one shard would hand the
      // other from now on are dropped: the next start asks again for what they carried.
      node.BeginStop();
      node.FlushTurn();
      each_side([&](std::size_t side) { node.FlushMatchmakingTurn(side); }, [&] {
        writer.Stop();
        auto ws_stats = writer.stats();
        MLOG(kInfo) << "writer: " << ws_stats.completed << " batches completed in "
                    << ws_stats.groups << " transactions (largest " << ws_stats.largest_group
                    << "), " << ws_stats.retries << " retries, " << ws_stats.failed_groups
                    << " failed transactions, " << ws_stats.fenced_batches << " batches fenced, "
                    << ws_stats.refused << " refused";
        node.DeliverCompleted();
        each_side([&](std::size_t side) { node.DeliverMatchmaking(side); }, [&] {
          dispatcher.Stop();  // delivers what committed and writes its cursors
          drain.expires_after(std::chrono::milliseconds(200));
          drain.async_wait([&](const boost::system::error_code&) {
            match_work.clear();
            for (auto& l : match_ioc) l->stop();
            ioc.stop();
          });
        });
      });
    });
  };
  signals.async_wait([&](const boost::system::error_code& e, int sig) {
    if (e) return;
    MLOG(kInfo) << "signal " << sig << ": draining";
    supervisor.BeginStop();
    wait_children();
  });
  std::vector<std::thread> loop_threads;
  for (std::size_t i = 0; i < loops.size(); ++i) {
    loop_threads.emplace_back([&, i] {
      log::NameThisThread("muster-loop" + std::to_string(i));
      net::RunLoop(*loops[i], "musterd connection loop");
    });
  }
  std::vector<std::thread> match_threads;
  for (std::size_t i = 0; i < match_ioc.size(); ++i) {
    match_threads.emplace_back([&, i] {
      log::NameThisThread(i == 0 ? std::string("muster-match") : "muster-match" + std::to_string(i));
      net::RunLoop(*match_ioc[i], "musterd matchmaking loop");
    });
  }
  MLOG(kInfo) << "musterd ready (store " << (*store)->Engine() << " in " << cfg.data_dir << ", " << threads
              << (threads == 1 ? " connection loop" : " connection loops") << " and the node's loop"
              << (!cfg.matchmaking_thread ? "; "
                  : match_sides == 1 ? ", matchmaking on a thread of its own; "
                                     : ", matchmaking on " + std::to_string(match_sides) + " threads of its own; ")
              << cores << (cores == 1 ? " usable core" : " usable cores") << ")";
  net::RunLoop(ioc, "musterd node loop");
  match_work.clear();
  for (auto& l : match_ioc) l->stop();
  for (auto& t : match_threads) t.join();
  loop_work.clear();
  for (auto& l : loops) l->stop();
  for (auto& t : loop_threads) t.join();
  MLOG(kInfo) << "musterd stopped";
  return 0;
}

}  // namespace
}  // namespace muster::daemon

int main(int argc, char** argv) { return muster::daemon::Run(argc, argv); }
