#include "daemon/config.h"

#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include <charconv>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

namespace muster::daemon {

namespace {

struct Key {
  const char* help;
  std::function<Status(Config&, const std::string&)> set;   // from a flag's text
  std::function<Status(Config&, const toml::node&)> set_toml;
  std::function<std::string(const Config&)> show;           // the value as text, for --help
};

Status ParseInt(const std::string& name, const std::string& v, int lo, int hi, int* out) {
  int x = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc() || p != v.data() + v.size() || x < lo || x > hi) {
    return Error::InvalidArgument(name + ": '" + v + "' is not a whole number from " + std::to_string(lo) +
                                  " to " + std::to_string(hi));
  }
  *out = x;
  return OkStatus();
}

Status ParseBool(const std::string& name, const std::string& v, bool* out) {
  if (v == "true" || v == "1" || v == "yes") *out = true;
  else if (v == "false" || v == "0" || v == "no") *out = false;
  else return Error::InvalidArgument(name + ": '" + v + "' is not true or false");
  return OkStatus();
}

std::vector<std::string> SplitList(const std::string& v) {
  std::vector<std::string> out;
  std::stringstream ss(v);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

Key Str(const char* name, std::string Config::*field, const char* help) {
  return {help,
          [field](Config& c, const std::string& v) { c.*field = v; return OkStatus(); },
          [field, name](Config& c, const toml::node& n) -> Status {
            auto s = n.value<std::string>();
            if (!s) return Error::InvalidArgument(std::string(name) + " must be a string");
            c.*field = *s;
            return OkStatus();
          },
          [field](const Config& c) { return c.*field; }};
}

// A list of names: comma-separated on the command line, an array of strings in the file.
Key StrList(const char* name, std::vector<std::string> Config::*field, const char* help) {
  return {help,
          [field](Config& c, const std::string& v) { c.*field = SplitList(v); return OkStatus(); },
          [field, name](Config& c, const toml::node& n) -> Status {
            auto* arr = n.as_array();
            const Error bad = Error::InvalidArgument(std::string(name) + " must be an array of strings");
            if (!arr) return bad;
            std::vector<std::string> out;
            for (const auto& e : *arr) {
              auto s = e.value<std::string>();
              if (!s) return bad;
              out.push_back(*s);
            }
            c.*field = std::move(out);
            return OkStatus();
          },
          [field](const Config& c) {
            std::string out;
            for (const auto& l : c.*field) out += (out.empty() ? "" : ",") + l;
            return out;
          }};
}

Key Int(const char* name, int Config::*field, int lo, int hi, const char* help) {
  return {help,
          [=](Config& c, const std::string& v) { return ParseInt(name, v, lo, hi, &(c.*field)); },
          [=](Config& c, const toml::node& n) -> Status {
            auto x = n.value_exact<int64_t>();
            if (!x || *x < lo || *x > hi) {
              return Error::InvalidArgument(std::string(name) + " must be an integer from " +
                                            std::to_string(lo) + " to " + std::to_string(hi));
            }
            c.*field = static_cast<int>(*x);
            return OkStatus();
          },
          [=](const Config& c) { return std::to_string(c.*field); }};
}

Key Bool(const char* name, bool Config::*field, const char* help) {
  return {help,
          [=](Config& c, const std::string& v) { return ParseBool(name, v, &(c.*field)); },
          [=](Config& c, const toml::node& n) -> Status {
            auto x = n.value_exact<bool>();
            if (!x) return Error::InvalidArgument(std::string(name) + " must be true or false");
            c.*field = *x;
            return OkStatus();
          },
          [=](const Config& c) { return std::string(c.*field ? "true" : "false"); }};
}

// A duration: a whole number followed by s, m, h or d ("90s", "10m", "24h", "30d"), or a bare
// whole number of seconds; from 0 to ten years.
Status ParseDuration(const std::string& name, const std::string& v, std::int64_t* out_ms) {
  constexpr std::int64_t kMaxMs = 10LL * 366 * 24 * 3600 * 1000;
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  std::string_view unit(p, static_cast<std::size_t>(v.data() + v.size() - p));
  std::int64_t scale = unit.empty() || unit == "s" ? 1000
                       : unit == "m"               ? 60'000
                       : unit == "h"               ? 3'600'000
                       : unit == "d"               ? 86'400'000
                                                   : 0;
  if (ec != std::errc() || p == v.data() || n < 0 || scale == 0 || n > kMaxMs / scale) {
    return Error::InvalidArgument(name + ": '" + v +
                                  "' is not a duration such as 90s, 10m, 24h or 30d (at most ten years)");
  }
  *out_ms = n * scale;
  return OkStatus();
}

std::string ShowDuration(std::int64_t ms) {
  for (auto [scale, unit] : {std::pair{86'400'000LL, "d"}, {3'600'000LL, "h"}, {60'000LL, "m"}}) {
    if (ms != 0 && ms % scale == 0) return std::to_string(ms / scale) + unit;
  }
  return std::to_string(ms / 1000) + "s";
}

Key Duration(const char* name, std::int64_t Config::*field, const char* help) {
  return {help,
          [=](Config& c, const std::string& v) { return ParseDuration(name, v, &(c.*field)); },
          [=](Config& c, const toml::node& n) -> Status {
            if (auto s = n.value_exact<std::string>()) return ParseDuration(name, *s, &(c.*field));
            if (auto x = n.value_exact<int64_t>()) return ParseDuration(name, std::to_string(*x), &(c.*field));
            return Error::InvalidArgument(std::string(name) + " must be a duration such as \"10m\" or \"24h\"");
          },
          [=](const Config& c) { return ShowDuration(c.*field); }};
}

// A duration given as a whole number of `unit` ("h" or "d": the old *_hours and *_days keys).
Key Scaled(const char* name, std::int64_t Config::*field, const char* unit, std::int64_t unit_ms,
           const char* help) {
  // "48" reads as "48h"; anything else ("48h", "-1", "") makes no duration with the unit added.
  auto parse = [=](Config& c, const std::string& v) { return ParseDuration(name, v + unit, &(c.*field)); };
  return {help, parse,
          [=](Config& c, const toml::node& n) -> Status {
            auto x = n.value_exact<int64_t>();
            if (!x) return Error::InvalidArgument(std::string(name) + " must be a whole number");
            return parse(c, std::to_string(*x));
          },
          [=](const Config& c) { return std::to_string(c.*field / unit_ms); }};
}

const std::vector<std::pair<std::string, Key>>& Keys() {
  static const std::vector<std::pair<std::string, Key>> keys = {
      {"data_dir", Str("data_dir", &Config::data_dir, "directory of the embedded SQLite store (created if missing)")},
      {"sync_full", Bool("sync_full", &Config::sync_full, "fsync every commit (SQLite synchronous=FULL); default survives process crashes, FULL also power loss")},
      {"sqlite_checkpoint_pages", Int("sqlite_checkpoint_pages", &Config::sqlite_checkpoint_pages, 0, 1000000, "write-ahead log pages from which a background thread checkpoints it (0: SQLite's own checkpoint inside the commit)")},
      {"sqlite_checkpoint_rest_quiet_ms", Int("sqlite_checkpoint_rest_quiet_ms", &Config::sqlite_checkpoint_rest_quiet_ms, 0, 600000, "how long commits must pause before the background thread copies the write-ahead log pages left under the threshold")},
      {"listen_address", Str("listen_address", &Config::listen_address, "address of every listener")},
      {"http_port", Int("http_port", &Config::http_port, 0, 65535, "client, identity and management API (HTTP)")},
      {"server_ws_port", Int("server_ws_port", &Config::server_ws_port, 0, 65535, "game server socket, plain WebSocket")},
      {"server_wss_port", Int("server_wss_port", &Config::server_wss_port, 0, 65535, "game server socket over TLS (0 = off)")},
      {"tls_cert", Str("tls_cert", &Config::tls_cert, "PEM certificate for wss (default: generated self-signed in <data_dir>/tls)")},
      {"tls_key", Str("tls_key", &Config::tls_key, "PEM private key for wss")},
      {"threads", Int("threads", &Config::threads, 0, 256, "event loops for client and game server connections (0: one per core musterd may run on: its CPU affinity, lowered by a cgroup CPU quota); the node runs on a loop of its own")},
      {"matchmaking_thread", Bool("matchmaking_thread", &Config::matchmaking_thread, "run matchmaking as shards on threads of their own (matchmaking_threads of them, each owning the configurations whose names fall to it), apart from placement and fleets on the node's thread: each shard commits and reloads on its own, so a failed commit fences only its shard (docs/shell.md, Shards)")},
      {"matchmaking_threads", Int("matchmaking_threads", &Config::matchmaking_threads, 0, 64, "with matchmaking_thread: how many matchmaking shards, each with an owner thread, the configurations are spread over by name (0: one per usable core)")},
      {"max_connections", Int("max_connections", &Config::max_connections, 1, 1000000, "open connections per listener; when full, the longest-idle connection makes room, else new ones get 503")},
      {"max_connections_per_address", Int("max_connections_per_address", &Config::max_connections_per_address, 0, 1000000, "open connections per client address (IPv6: per /64) on the client API listener (0 = no cap)")},
      {"server_max_connections_per_address", Int("server_max_connections_per_address", &Config::server_max_connections_per_address, 0, 1000000, "open connections per address on the game server socket listeners (0 = no cap)")},
      {"header_timeout_seconds", Int("header_timeout_seconds", &Config::header_timeout_seconds, 1, 3600, "a new connection's first request header, any header section, TLS and WebSocket handshakes")},
      {"body_timeout_seconds", Int("body_timeout_seconds", &Config::body_timeout_seconds, 1, 3600, "a request body once its header arrived; writing a response")},
      {"idle_timeout_seconds", Int("idle_timeout_seconds", &Config::idle_timeout_seconds, 1, 86400, "keep-alive wait between requests; WebSocket silence")},
      {"server_replaced_close_seconds", Int("server_replaced_close_seconds", &Config::server_replaced_close_seconds, 0, 3600, "when a game server process reconnects (same pID and IdempotencyToken), its old socket is closed after this long unless the SDK closed it")},
      {"region", Str("region", &Config::region, "region name used in ids and ARNs")},
      {"account", Str("account", &Config::account, "account id used in ARNs")},
      {"identity_pool", Str("identity_pool", &Config::identity_pool, "identity pool id (<region>:<uuid>)")},
      {"allow_guests", Bool("allow_guests", &Config::allow_guests, "allow unauthenticated (guest) identities in the pool")},
      {"admin_access_key", Str("admin_access_key", &Config::admin_access_key, "admin access key (management API, SigV4 server connects)")},
      {"admin_secret_key", Str("admin_secret_key", &Config::admin_secret_key, "admin secret key")},
      {"default_skill", Int("default_skill", &Config::default_skill, 0, 1000000, "skill of a new player")},
      {"identity_rate_per_minute", Int("identity_rate_per_minute", &Config::identity_rate_per_minute, 0, 1000000, "GetId calls per client address a minute (0 = no limit); beyond: 429 TooManyRequestsException")},
      {"identity_burst", Int("identity_burst", &Config::identity_burst, 1, 1000000, "GetId calls a client address may make at once")},
      {"credentials_rate_per_minute", Int("credentials_rate_per_minute", &Config::credentials_rate_per_minute, 0, 1000000, "GetCredentialsForIdentity and GetOpenIdToken calls per client address a minute (0 = no limit)")},
      {"credentials_burst", Int("credentials_burst", &Config::credentials_burst, 1, 1000000, "credential calls a client address may make at once")},
      {"tickets_rate_per_minute", Int("tickets_rate_per_minute", &Config::tickets_rate_per_minute, 0, 1000000, "new matchmaking tickets per player a minute (0 = no limit); beyond: 429")},
      {"tickets_burst", Int("tickets_burst", &Config::tickets_burst, 1, 1000000, "new tickets a player may start at once")},
      {"admin_failures_per_minute", Int("admin_failures_per_minute", &Config::admin_failures_per_minute, 0, 1000000, "failed management API signatures per client address a minute (0 = no limit); beyond: 429 ThrottlingException for every management call from it")},
      {"admin_failures_burst", Int("admin_failures_burst", &Config::admin_failures_burst, 1, 1000000, "failed management API signatures a client address may make at once")},
      {"address_tickets_rate_per_minute", Int("address_tickets_rate_per_minute", &Config::address_tickets_rate_per_minute, 0, 1000000, "new matchmaking tickets per client address a minute, whatever the players behind it (0 = no limit); beyond: 429")},
      {"address_tickets_burst", Int("address_tickets_burst", &Config::address_tickets_burst, 1, 1000000, "new tickets a client address may start at once")},
      {"max_live_credentials", Int("max_live_credentials", &Config::max_live_credentials, 1, 100, "live credentials per identity; issuing more revokes the oldest")},
      {"ticket_retention", Duration("ticket_retention", &Config::ticket_retention_ms, "ended tickets stay readable this long, then are deleted (0 = keep forever)")},
      {"session_retention", Duration("session_retention", &Config::session_retention_ms, "ended game sessions, player sessions and placements are deleted after this (0 = keep forever)")},
      {"process_retention", Duration("process_retention", &Config::process_retention_ms, "terminated server processes are deleted after this (0 = keep forever)")},
      {"event_retention", Duration("event_retention", &Config::event_retention_ms, "outbox events every subscriber has read are deleted after this (0 = keep forever)")},
      // The keys before retentions were durations (still read: a value in hours or days).
      {"ticket_retention_hours", Scaled("ticket_retention_hours", &Config::ticket_retention_ms, "h", 3'600'000, "old spelling of ticket_retention, in hours")},
      {"session_retention_days", Scaled("session_retention_days", &Config::session_retention_ms, "d", 86'400'000, "old spelling of session_retention, in days")},
      {"process_retention_hours", Scaled("process_retention_hours", &Config::process_retention_ms, "h", 3'600'000, "old spelling of process_retention, in hours")},
      {"event_retention_hours", Scaled("event_retention_hours", &Config::event_retention_ms, "h", 3'600'000, "old spelling of event_retention, in hours")},
      {"event_log", Str("event_log", &Config::event_log, "append every outbox event to this file as a JSON line (empty = off); resumes after a restart from the last event it synced")},
      {"push_replay_seconds", Int("push_replay_seconds", &Config::push_replay_seconds, 0, 3600, "a push client that reconnects within this long gets the events of its tickets it missed, in order, once")},
      {"push_ping_seconds", Int("push_ping_seconds", &Config::push_ping_seconds, 0, 3600, "a push WebSocket silent this long is pinged, and dropped after twice as long (0: never pinged; idle_timeout drops it)")},
      {"push_max_age_seconds", Int("push_max_age_seconds", &Config::push_max_age_seconds, 0, 7 * 86400, "a push WebSocket is closed with 1001 at this age (0: no maximum); clients reconnect and miss nothing within push_replay_seconds")},
      {"push_connections_per_identity", Int("push_connections_per_identity", &Config::push_connections_per_identity, 1, 1000, "push WebSockets one identity may hold open at once; beyond, 429")},
      {"push_connects_per_minute", Int("push_connects_per_minute", &Config::push_connects_per_minute, 0, 1'000'000, "new push WebSockets per identity a minute (0 = no limit); beyond, 429")},
      {"push_connects_burst", Int("push_connects_burst", &Config::push_connects_burst, 1, 1'000'000, "new push WebSockets per identity at once")},
      {"push_address_connects_per_minute", Int("push_address_connects_per_minute", &Config::push_address_connects_per_minute, 0, 10'000'000, "new push WebSockets per client address a minute (0 = no limit); beyond, 429")},
      {"push_address_connects_burst", Int("push_address_connects_burst", &Config::push_address_connects_burst, 1, 10'000'000, "new push WebSockets per client address at once")},
      {"push_messages_per_minute", Int("push_messages_per_minute", &Config::push_messages_per_minute, 0, 10'000'000, "messages per push WebSocket a minute (0 = no limit); beyond, the connection is closed with 1008")},
      {"push_messages_burst", Int("push_messages_burst", &Config::push_messages_burst, 1, 10'000'000, "messages per push WebSocket at once")},
      {"push_identity_messages_per_minute", Int("push_identity_messages_per_minute", &Config::push_identity_messages_per_minute, 0, 10'000'000, "messages per identity a minute over all its push WebSockets (0 = no limit); beyond, the connection is closed with 1008")},
      {"push_identity_messages_burst", Int("push_identity_messages_burst", &Config::push_identity_messages_burst, 1, 10'000'000, "messages per identity at once")},
      {"push_address_messages_per_minute", Int("push_address_messages_per_minute", &Config::push_address_messages_per_minute, 0, 100'000'000, "messages per client address a minute over all its push WebSockets (0 = no limit); beyond, the connection is closed with 1008")},
      {"push_address_messages_burst", Int("push_address_messages_burst", &Config::push_address_messages_burst, 1, 100'000'000, "messages per client address at once")},
      {"push_send_queue_kib", Int("push_send_queue_kib", &Config::push_send_queue_kib, 16, 1'048'576, "bytes (KiB) queued for one push WebSocket; a client that reads slower is closed with 1008")},
      {"configuration", Str("configuration", &Config::configuration, "matchmaking configuration served by the client API")},
      {"client_configurations", StrList("client_configurations", &Config::client_configurations, "further configurations a push client may name in startMatchmaking, comma-separated (the default configuration is always open; others answer that they do not exist)")},
      {"rule_set_file", Str("rule_set_file", &Config::rule_set_file, "rule set body (JSON) for the configuration (default: built-in 2v2)")},
      {"request_timeout_seconds", Int("request_timeout_seconds", &Config::request_timeout_seconds, 1, 43200, "matchmaking request timeout")},
      {"acceptance_timeout_seconds", Int("acceptance_timeout_seconds", &Config::acceptance_timeout_seconds, 0, 600, "players must accept each match within this time (0 = no acceptance step)")},
      {"flexmatch_mode", Str("flexmatch_mode", &Config::flexmatch_mode, "WITH_QUEUE (matches are placed on game servers) or STANDALONE (a match completes without placement; the game makes its own session)")},
      {"backfill_mode", Str("backfill_mode", &Config::backfill_mode, "MANUAL (game servers ask for backfill) or AUTOMATIC (Muster fills open slots of matched sessions)")},
      {"queue", Str("queue", &Config::queue, "game session queue name")},
      {"queue_timeout_seconds", Int("queue_timeout_seconds", &Config::queue_timeout_seconds, 10, 600, "placement timeout")},
      {"fleet", Str("fleet", &Config::fleet, "fleet id")},
      {"locations", StrList("locations", &Config::locations, "fleet locations, comma-separated (each must start with custom-)")},
      {"compute_address", Str("compute_address", &Config::compute_address, "address announced for the local demo computes")},
      {"reserved_timeout_seconds", Int("reserved_timeout_seconds", &Config::reserved_timeout_seconds, 1, 3600, "RESERVED player session timeout")},
      {"activation_timeout_seconds", Int("activation_timeout_seconds", &Config::activation_timeout_seconds, 1, 3600, "game session activation timeout")},
      {"heartbeat_timeout_seconds", Int("heartbeat_timeout_seconds", &Config::heartbeat_timeout_seconds, 1, 3600, "silent server process timeout")},
      {"demo_servers", Int("demo_servers", &Config::demo_servers, 0, 64, "sample game servers to run per location (0 = none)")},
      {"sample_server_binary", Str("sample_server_binary", &Config::sample_server_binary, "path of sample-game-server")},
      {"sample_server_base_port", Int("sample_server_base_port", &Config::sample_server_base_port, 1, 65000, "first game port of the sample servers")},
      {"log_level", Str("log_level", &Config::log_level, "debug, info, warn or error")},
  };
  return keys;
}

const Key* Find(const std::string& name) {
  for (const auto& [k, key] : Keys()) {
    if (k == name) return &key;
  }
  return nullptr;
}

Status Validate(const Config& c) {
  if (c.locations.empty()) return Error::InvalidArgument("locations: at least one location is required");
  for (const auto& l : c.locations) {
    if (l.rfind("custom-", 0) != 0 || l.size() > 64 || l.find('_') != std::string::npos) {
      return Error::InvalidArgument("locations: '" + l + "' must start with custom-, have no '_' and be at most 64 characters");
    }
  }
  if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" && c.log_level != "error") {
    return Error::InvalidArgument("log_level: '" + c.log_level + "' is not debug, info, warn or error");
  }
  if (c.flexmatch_mode != "WITH_QUEUE" && c.flexmatch_mode != "STANDALONE") {
    return Error::InvalidArgument("flexmatch_mode: '" + c.flexmatch_mode + "' is not WITH_QUEUE or STANDALONE");
  }
  if (c.flexmatch_mode == "STANDALONE" && c.backfill_mode == "AUTOMATIC") {
    return Error::InvalidArgument("backfill_mode: AUTOMATIC needs flexmatch_mode WITH_QUEUE (a STANDALONE match has no game session to fill)");
  }
  if (c.backfill_mode != "MANUAL" && c.backfill_mode != "AUTOMATIC") {
    return Error::InvalidArgument("backfill_mode: '" + c.backfill_mode + "' is not MANUAL or AUTOMATIC");
  }
  if (c.admin_access_key.empty() || c.admin_secret_key.empty()) {
    return Error::InvalidArgument("admin_access_key and admin_secret_key must not be empty");
  }
  bool loopback = c.listen_address.rfind("127.", 0) == 0 || c.listen_address == "::1" ||
                  c.listen_address == "localhost";
  if (!loopback && c.admin_secret_key == Config{}.admin_secret_key) {
    return Error::InvalidArgument("admin_secret_key: the demo secret is only allowed on a loopback listen_address; set your own before listening on " + c.listen_address);
  }
  return OkStatus();
}

}  // namespace

Result<Config> LoadConfig(int argc, char** argv) {
  Config c;
  std::vector<std::pair<std::string, std::string>> flags;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      c.help = true;
      continue;
    }
    if (a.rfind("--", 0) != 0) return Error::InvalidArgument("unexpected argument '" + a + "' (see --help)");
    a = a.substr(2);
    std::string value;
    std::size_t eq = a.find('=');
    if (eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    } else {
      if (i + 1 >= argc) return Error::InvalidArgument("--" + a + " needs a value");
      value = argv[++i];
    }
    for (char& ch : a) {
      if (ch == '-') ch = '_';
    }
    flags.emplace_back(a, value);
  }
  for (const auto& [k, v] : flags) {
    if (k != "config") continue;
    toml::parse_result parsed = toml::parse_file(v);
    if (!parsed) {
      std::ostringstream os;
      os << parsed.error().description() << " at line " << parsed.error().source().begin.line;
      return Error::InvalidArgument("config file " + v + ": " + os.str());
    }
    for (const auto& [key, node] : parsed.table()) {
      std::string name(key.str());
      const Key* def = Find(name);
      if (!def) return Error::InvalidArgument("config file " + v + ": unknown key '" + name + "'");
      auto st = def->set_toml(c, node);
      if (!st.ok()) return Error::InvalidArgument("config file " + v + ": " + st.error().message);
    }
  }
  for (const auto& [k, v] : flags) {
    if (k == "config") continue;
    const Key* def = Find(k);
    if (!def) return Error::InvalidArgument("unknown flag --" + k + " (see --help)");
    MUSTER_RETURN_IF_ERROR(def->set(c, v));
  }
  MUSTER_RETURN_IF_ERROR(Validate(c));
  return c;
}

std::string HelpText() {
  std::ostringstream os;
  Config d;
  os << "musterd - self-hosted game session backend\n\n"
        "Usage: musterd [--config FILE] [--flag value ...]\n\n"
        "With no arguments musterd runs the demo: SQLite store in ./muster-data, client and\n"
        "management API on http://127.0.0.1:8080, game server socket on ws://127.0.0.1:9080 and\n"
        "wss://127.0.0.1:9443, identity pool local:00000000-0000-0000-0000-000000000000 with guests,\n"
        "configuration demo-2v2, queue demo-queue, fleet demo-fleet in custom-local-a and\n"
        "custom-local-b, admin credentials demo / demo-secret, one sample game server per location.\n\n"
        "Every flag is also a key of the TOML config file (flag --http-port = key http_port).\n"
        "Flags override the file. SIGTERM or SIGINT drains and exits.\n\nFlags:\n"
        "  --config FILE\n      TOML file with any of the keys below\n";
  for (const auto& [k, key] : Keys()) {
    std::string flag = k;
    for (char& ch : flag) {
      if (ch == '_') ch = '-';
    }
    os << "  --" << flag << "\n      " << key.help;
    std::string dflt = key.show(d);
    if (!dflt.empty()) os << " (default: " << dflt << ")";
    os << "\n";
  }
  return os.str();
}

const char* DemoRuleSet() {
  return R"({
  "name": "demo-2v2",
  "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 1000}],
  "teams": [
    {"name": "red", "minPlayers": 2, "maxPlayers": 2},
    {"name": "blue", "minPlayers": 2, "maxPlayers": 2}
  ],
  "rules": [
    {"name": "SkillBand", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 200},
    {"name": "LowLatency", "type": "latency", "maxLatency": 150}
  ],
  "expansions": [
    {"target": "rules[SkillBand].maxDistance",
     "steps": [{"waitTimeSeconds": 10, "value": 500}, {"waitTimeSeconds": 30, "value": 2000}]},
    {"target": "rules[LowLatency].maxLatency",
     "steps": [{"waitTimeSeconds": 20, "value": 300}]}
  ]
})";
}

}  // namespace muster::daemon
