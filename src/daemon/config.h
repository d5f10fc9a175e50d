#pragma once
// musterd's configuration: built-in defaults (the demo), then a TOML file (--config FILE), then
// command-line flags (--name value or --name=value), later ones winning. Every key has the same
// name in TOML (snake_case) and as a flag (with dashes): `http_port = 8080` ⇔ `--http-port 8080`.
// Unknown keys and bad values are errors that name the key.
//
// Thread safety: plain values.

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace muster::daemon {

struct Config {
  // Storage
  std::string data_dir = "./muster-data";
  bool sync_full = false;
  int sqlite_checkpoint_pages = 1000;
  int sqlite_checkpoint_rest_quiet_ms = 100;
  // Listeners
  std::string listen_address = "127.0.0.1";
  int http_port = 8080;
  int server_ws_port = 9080;
  int server_wss_port = 9443;          // 0 disables
  std::string tls_cert;                // empty: a self-signed certificate in <data_dir>/tls
  std::string tls_key;
  // Connection limits and timeouts of every listener (docs/net.md)
  int threads = 0;                             // client connection loops; 0 = one per core
  bool matchmaking_thread = false;             // matchmaking as shards on threads of their own
  int matchmaking_threads = 0;                 // how many (with matchmaking_thread); 0 = one per core
  int max_connections = 10000;                 // per listener
  int max_connections_per_address = 256;       // client API listener; 0 = no cap
  int server_max_connections_per_address = 1024;  // game server socket listeners (one host runs
                                                  // many processes); 0 = no cap
  int header_timeout_seconds = 10;
  int body_timeout_seconds = 30;
  int idle_timeout_seconds = 600;
  int server_replaced_close_seconds = 10;  // a game server's socket replaced by its reconnect
  // Identity and credentials
  std::string region = "local";
  std::string account = "000000000000";
  std::string identity_pool = "local:00000000-0000-0000-0000-000000000000";
  bool allow_guests = true;
  std::string admin_access_key = "demo";
  std::string admin_secret_key = "demo-secret";
  int default_skill = 1000;
  // Abuse limits (per minute and burst; a rate of 0 turns a limit off)
  int identity_rate_per_minute = 30;     // GetId per client address
  int identity_burst = 60;
  int credentials_rate_per_minute = 120;  // GetCredentialsForIdentity, GetOpenIdToken per address
  int credentials_burst = 120;
  int tickets_rate_per_minute = 30;       // new matchmaking tickets per player
  int tickets_burst = 10;
  int address_tickets_rate_per_minute = 300;  // new matchmaking tickets per client address
  int address_tickets_burst = 100;
  int max_live_credentials = 5;           // per identity; more revokes the oldest
  int admin_failures_per_minute = 30;     // failed management signatures per client address
  int admin_failures_burst = 30;
  // Retention of what has ended (0 = keep forever)
  // Durations in milliseconds; in a file or a flag written "90s", "10m", "24h", "30d" (or whole
  // seconds as a bare number).
  std::int64_t ticket_retention_ms = 24LL * 3600 * 1000;
  std::int64_t session_retention_ms = 30LL * 24 * 3600 * 1000;  // game/player sessions, placements
  std::int64_t process_retention_ms = 24LL * 3600 * 1000;
  std::int64_t event_retention_ms = 24LL * 3600 * 1000;
  // Events
  std::string event_log;          // a JSON lines file that gets every outbox event ("" = none)
  int push_replay_seconds = 120;  // a push client that reconnects within this gets what it missed
  // The push flow's WebSockets (/ws on the client port)
  int push_ping_seconds = 30;          // ping a silent connection; drop it after twice as long
  int push_max_age_seconds = 7200;     // a connection is closed (1001) at this age
  int push_connections_per_identity = 4;
  int push_connects_per_minute = 30;   // new connections per identity
  int push_connects_burst = 10;
  int push_address_connects_per_minute = 600;  // per client address (IPv6: per /64)
  int push_address_connects_burst = 200;
  int push_messages_per_minute = 600;  // per connection; beyond, it is closed with 1008
  int push_messages_burst = 60;
  int push_identity_messages_per_minute = 1200;  // per identity over all its connections
  int push_identity_messages_burst = 120;
  int push_address_messages_per_minute = 12000;  // per client address over all its connections
  int push_address_messages_burst = 1200;
  int push_send_queue_kib = 1024;      // a reader slower than its messages is closed (1008) beyond
  // Matchmaking and placement
  std::string configuration = "demo-2v2";
  std::vector<std::string> client_configurations;  // further configurations clients may name
  std::string rule_set_file;           // empty: the built-in demo 2v2 rule set
  int request_timeout_seconds = 120;
  int acceptance_timeout_seconds = 0;   // > 0: players must accept each match (AcceptanceRequired)
  std::string flexmatch_mode = "WITH_QUEUE";  // WITH_QUEUE or STANDALONE
  std::string backfill_mode = "MANUAL";  // MANUAL or AUTOMATIC
  std::string queue = "demo-queue";
  int queue_timeout_seconds = 600;
  std::string fleet = "demo-fleet";
  std::vector<std::string> locations = {"custom-local-a", "custom-local-b"};
  std::string compute_address = "127.0.0.1";  // address game clients use to reach local computes
  // Game session timeouts
  int reserved_timeout_seconds = 60;
  int activation_timeout_seconds = 60;
  int heartbeat_timeout_seconds = 210;
  // Demo game servers
  int demo_servers = 1;                // game server processes to run per location (0 = none)
  std::string sample_server_binary;    // empty: next to musterd, ../../examples/...
  int sample_server_base_port = 7777;
  // Misc
  std::string log_level = "info";
  bool help = false;
};

// Parses argv (argv[0] ignored). Reads --config FILE first if present.
Result<Config> LoadConfig(int argc, char** argv);
std::string HelpText();
// The built-in demo rule set (2v2, skill batchDistance widening over time, latency rule).
const char* DemoRuleSet();

}  // namespace muster::daemon
