#include "node/definitions.h"

#include <iterator>

#include "common/log.h"
#include "node/node.h"

// Row layouts (body JSON; times in epoch milliseconds):
//   kRuleSets       id = name  {"RuleSetName","RuleSetArn","RuleSetBody","CreationTime"}
//   kConfigurations id = name  every ConfigurationSpec field under its API name, plus
//                              "GameSessionQueueName" and "CreationTime"; the rule set is
//                              referenced by name and re-read from kRuleSets on load.

namespace muster::node {

namespace {

// Definitions are few; a bound keeps a runaway script from filling the store.
constexpr std::size_t kMaxRuleSets = 1000;
constexpr std::size_t kMaxConfigurations = 1000;
constexpr std::size_t kListBound = 100'000;

std::string Arn(const std::string& region, const std::string& account, std::string_view kind,
                const std::string& name) {
  return "arn:aws:gamelift:" + region + ":" + account + ":" + std::string(kind) + "/" + name;
}

// "arn:...:<kind>/<name>" → name; anything else is taken as a name.
std::string NameOf(const std::string& name_or_arn, std::string_view kind) {
  if (name_or_arn.rfind("arn:", 0) != 0) return name_or_arn;
  std::string marker = ":" + std::string(kind) + "/";
  auto at = name_or_arn.find(marker);
  if (at == std::string::npos) return name_or_arn;
  return name_or_arn.substr(at + marker.size());
}

// Definitions are bounded (kMax* plus the few of the set-up), so one read returns them all.
Result<std::vector<store::Row>> AllRows(store::Store& s, store::Table t) {
  return s.List(t, "", kListBound);
}

Result<RuleSetRecord> RuleSetFromRow(const store::Row& row) {
  MUSTER_ASSIGN_OR_RETURN(auto o, ParseStoredObject(row.body, "rule set " + row.id));
  return RuleSetRecord{row.id, StringOr(o, "RuleSetArn"), StringOr(o, "RuleSetBody"),
                       IntOr(o, "CreationTime")};
}

store::Row RuleSetRow(const RuleSetRecord& r, Millis now) {
  return {r.name, "", "", ToJson(json::object{{"RuleSetName", r.name},
                                              {"RuleSetArn", r.arn},
                                              {"RuleSetBody", r.body},
                                              {"CreationTime", r.creation_time}}),
          0, now};
}

store::Row ConfigurationRow(const matchmaking::ConfigurationSpec& s, Millis now) {
  using matchmaking::BackfillMode;
  using matchmaking::FlexMatchMode;
  json::array arns, props;
  for (const auto& a : s.game_session_queue_arns) arns.push_back(json::string(a));
  for (const auto& [k, v] : s.game_properties) props.push_back(json::object{{"Key", k}, {"Value", v}});
  json::object o{{"Name", s.name},
                 {"ConfigurationArn", s.arn},
                 {"Description", s.description},
                 {"RuleSetName", s.rule_set_name},
                 {"RuleSetArn", s.rule_set_arn},
                 {"RequestTimeoutSeconds", s.request_timeout_ms / 1000},
                 {"AcceptanceRequired", s.acceptance_required},
                 {"AcceptanceTimeoutSeconds", s.acceptance_timeout_ms / 1000},
                 {"FlexMatchMode", s.mode == FlexMatchMode::kStandalone ? "STANDALONE" : "WITH_QUEUE"},
                 {"GameSessionQueueName", s.queue_name},
                 {"GameSessionQueueArns", std::move(arns)},
                 {"NotificationTarget", s.notification_target},
                 {"AdditionalPlayerCount", s.additional_player_count},
                 {"BackfillMode", s.backfill_mode == BackfillMode::kAutomatic ? "AUTOMATIC" : "MANUAL"},
                 {"CustomEventData", s.custom_event_data},
                 {"GameSessionData", s.game_session_data},
                 {"GameProperties", std::move(props)},
                 {"CreationTime", s.creation_time}};
  return {s.name, "", "", ToJson(o), 0, now};
}

Result<matchmaking::ConfigurationSpec> ConfigurationFromRow(const store::Row& row) {
  using matchmaking::BackfillMode;
  using matchmaking::FlexMatchMode;
  MUSTER_ASSIGN_OR_RETURN(auto o, ParseStoredObject(row.body, "configuration " + row.id));
  matchmaking::ConfigurationSpec s;
  s.name = row.id;
  s.arn = StringOr(o, "ConfigurationArn");
  s.description = StringOr(o, "Description");
  s.rule_set_name = StringOr(o, "RuleSetName");
  s.rule_set_arn = StringOr(o, "RuleSetArn");
  s.request_timeout_ms = IntOr(o, "RequestTimeoutSeconds", 120) * 1000;
  s.acceptance_required = BoolOr(o, "AcceptanceRequired", false);
  s.acceptance_timeout_ms = IntOr(o, "AcceptanceTimeoutSeconds") * 1000;
  s.mode = StringOr(o, "FlexMatchMode") == "STANDALONE" ? FlexMatchMode::kStandalone : FlexMatchMode::kWithQueue;
  s.queue_name = StringOr(o, "GameSessionQueueName");
  if (const auto* a = o.if_contains("GameSessionQueueArns"); a && a->is_array()) {
    for (const auto& v : a->get_array()) {
      if (v.is_string()) s.game_session_queue_arns.emplace_back(v.get_string());
    }
  }
  s.notification_target = StringOr(o, "NotificationTarget");
  s.additional_player_count = static_cast<int>(IntOr(o, "AdditionalPlayerCount"));
  s.backfill_mode = StringOr(o, "BackfillMode") == "AUTOMATIC" ? BackfillMode::kAutomatic : BackfillMode::kManual;
  s.custom_event_data = StringOr(o, "CustomEventData");
  s.game_session_data = StringOr(o, "GameSessionData");
  if (const auto* a = o.if_contains("GameProperties"); a && a->is_array()) {
    for (const auto& v : a->get_array()) {
      if (const auto* p = v.if_object()) s.game_properties.emplace_back(StringOr(*p, "Key"), StringOr(*p, "Value"));
    }
  }
  s.creation_time = IntOr(o, "CreationTime");
  return s;
}

// The limits of WIRE.md §2 that do not depend on other definitions. The management API checks
// them with field paths first; this guards every other caller.
Status CheckLimits(const matchmaking::ConfigurationSpec& s) {
  using matchmaking::BackfillMode;
  using matchmaking::FlexMatchMode;
  if (s.name.empty()) return Error::InvalidArgument("Name: is required");
  if (s.request_timeout_ms < 1000 || s.request_timeout_ms > 43'200'000) {
    return Error::InvalidArgument("RequestTimeoutSeconds: must be between 1 and 43200");
  }
  if (s.acceptance_required && (s.acceptance_timeout_ms < 1000 || s.acceptance_timeout_ms > 600'000)) {
    return Error::InvalidArgument("AcceptanceTimeoutSeconds: must be between 1 and 600 when AcceptanceRequired is true");
  }
  if (s.additional_player_count < 0) return Error::InvalidArgument("AdditionalPlayerCount: must not be negative");
  if (s.custom_event_data.size() > 256) return Error::InvalidArgument("CustomEventData: is longer than 256 characters");
  if (s.game_session_data.size() > 4096) return Error::InvalidArgument("GameSessionData: is longer than 4096 characters");
  if (s.game_properties.size() > 16) return Error::InvalidArgument("GameProperties: at most 16 properties");
  if (s.mode == FlexMatchMode::kStandalone && s.backfill_mode == BackfillMode::kAutomatic) {
    return Error::InvalidArgument("BackfillMode: AUTOMATIC is not available with FlexMatchMode STANDALONE");
  }
  return OkStatus();
}

}  // namespace

// --- rule sets ------------------------------------------------------------------------------

Result<RuleSetRecord> Definitions::CreateRuleSet(const std::string& name, const std::string& body) {
  if (name.empty()) return Error::InvalidArgument("Name: is required");
  std::lock_guard serial(changes_mu_);
  auto parsed = matchmaking::ParseRuleSet(body);
  if (!parsed.ok()) return Error::InvalidArgument("RuleSetBody: " + parsed.error().message);
  MUSTER_ASSIGN_OR_RETURN(auto existing, node_.store_.Get(store::Table::kRuleSets, name));
  if (existing) return Error::Conflict("matchmaking rule set '" + name + "' already exists");
  if (ListRuleSets().size() >= kMaxRuleSets) {
    return Error::LimitExceeded("at most " + std::to_string(kMaxRuleSets) + " matchmaking rule sets");
  }
  RuleSetRecord r{name, Arn(node_.region_, node_.account_, "matchmakingruleset", name), body, node_.clock_.NowMillis()};
  core::Effects fx;
  fx.writes.push_back(store::Write::Insert(store::Table::kRuleSets, RuleSetRow(r, node_.clock_.NowMillis())));
  // Nothing in memory to undo; committed through the side this runs on (any side can).
  auto st = node_.match_shard(node_.Here("")).Apply(std::move(fx), /*fatal=*/false);
  if (!st.ok()) {
    if (st.error().code == ErrorCode::kConflict) {
      return Error::Conflict("matchmaking rule set '" + name + "' already exists");
    }
    return st.take_error();
  }
  return r;
}

std::vector<RuleSetRecord> Definitions::ListRuleSets() const {
  std::vector<RuleSetRecord> out;
  auto rows = AllRows(node_.store_, store::Table::kRuleSets);
  if (!rows.ok()) {
    MLOG(kError) << "listing rule sets: " << rows.error().message;
    return out;
  }
  for (const auto& row : *rows) {
    auto r = RuleSetFromRow(row);
    if (r.ok()) out.push_back(std::move(r).value());
  }
  return out;
}

Result<RuleSetRecord> Definitions::FindRuleSet(const std::string& name_or_arn) const {
  std::string name = NameOf(name_or_arn, "matchmakingruleset");
  auto missing = Error::NotFound("matchmaking rule set '" + name_or_arn + "' does not exist");
  if (name.empty()) return missing;
  MUSTER_ASSIGN_OR_RETURN(auto row, node_.store_.Get(store::Table::kRuleSets, name));
  if (!row) return missing;
  MUSTER_ASSIGN_OR_RETURN(auto r, RuleSetFromRow(*row));
  if (r.arn.empty()) r.arn = Arn(node_.region_, node_.account_, "matchmakingruleset", r.name);
  return r;
}

Status Definitions::DeleteRuleSet(const std::string& name_or_arn) {
  std::lock_guard serial(changes_mu_);  // no configuration starts using it meanwhile
  MUSTER_ASSIGN_OR_RETURN(auto r, FindRuleSet(name_or_arn));
  // The stored configurations, not only this node's: another node sharing the store may have
  // created one that uses the rule set.
  MUSTER_ASSIGN_OR_RETURN(auto cfg_rows, AllRows(node_.store_, store::Table::kConfigurations));
  for (const auto& row : cfg_rows) {
    auto spec = ConfigurationFromRow(row);
    if (!spec.ok()) {
      return Error::Conflict("matchmaking configuration row '" + row.id +
                             "' cannot be read, so it may use rule set '" + r.name + "': " + spec.error().message);
    }
    if (NameOf(spec->rule_set_name, "matchmakingruleset") == r.name) {
      return Error::Conflict("matchmaking rule set '" + r.name + "' is used by matchmaking configuration '" +
                             spec->name + "'");
    }
  }
  core::Effects fx;
  fx.writes.push_back(store::Write::Delete(store::Table::kRuleSets, r.name));
  return node_.match_shard(node_.Here("")).Apply(std::move(fx), /*fatal=*/false);
}

// --- configurations -------------------------------------------------------------------------

namespace {

// Fills the rule set (parsed) and the queue of `spec` from the node's definitions.
struct Resolver {
  const Definitions& definitions;
  const core::ServerReads& server;
  const std::string& region;
  const std::string& account;

  Status RuleSet(matchmaking::ConfigurationSpec& spec, const matchmaking::ConfigurationSpec* current) const {
    if (spec.rule_set_name.empty()) return Error::InvalidArgument("RuleSetName: is required");
    MUSTER_ASSIGN_OR_RETURN(auto r, definitions.FindRuleSet(spec.rule_set_name));
    spec.rule_set_name = r.name;
    spec.rule_set_arn = r.arn;
    if (current && current->rule_set && current->rule_set_name == r.name && current->rule_set_body == r.body) {
      spec.rule_set = current->rule_set;  // unchanged: the pool of searching tickets stays
    } else {
      auto parsed = matchmaking::ParseRuleSet(r.body);
      if (!parsed.ok()) {
        return Error::Internal("stored rule set '" + r.name + "' does not parse: " + parsed.error().message);
      }
      spec.rule_set = std::move(parsed).value();
    }
    spec.rule_set_body = r.body;
    return OkStatus();
  }

  Status Queue(matchmaking::ConfigurationSpec& spec) const {
    if (spec.mode == matchmaking::FlexMatchMode::kStandalone) {
      spec.queue_name.clear();
      return OkStatus();
    }
    if (spec.game_session_queue_arns.size() > 1) {
      return Error::InvalidArgument("GameSessionQueueArns: Muster places each match through one queue; give one");
    }
    if (!spec.game_session_queue_arns.empty()) {
      spec.queue_name = NameOf(spec.game_session_queue_arns.front(), "gamesessionqueue");
    }
    if (spec.queue_name.empty()) {
      return Error::InvalidArgument("GameSessionQueueArns: is required when FlexMatchMode is WITH_QUEUE");
    }
    auto q = server.Queue(spec.queue_name);
    if (!q) return Error::NotFound("game session queue '" + spec.queue_name + "' does not exist");
    spec.game_session_queue_arns = {q->arn.empty() ? Arn(region, account, "gamesessionqueue", spec.queue_name) : q->arn};
    return OkStatus();
  }
};

}  // namespace

Result<matchmaking::ConfigurationSpec> Definitions::CreateConfiguration(matchmaking::ConfigurationSpec spec) {
  MUSTER_RETURN_IF_ERROR(CheckLimits(spec));
  std::lock_guard serial(changes_mu_);
  const std::size_t side = node_.Here(spec.name);
  auto& core = node_.core(side);
  if (core.FindConfiguration(spec.name)) {
    return Error::Conflict("matchmaking configuration '" + spec.name + "' already exists");
  }
  if (ListConfigurations().size() >= kMaxConfigurations) {
    return Error::LimitExceeded("at most " + std::to_string(kMaxConfigurations) + " matchmaking configurations");
  }
  Resolver resolve{*this, node_.server_reads(), node_.region_, node_.account_};
  MUSTER_RETURN_IF_ERROR(resolve.RuleSet(spec, nullptr));
  MUSTER_RETURN_IF_ERROR(resolve.Queue(spec));
  spec.arn = ConfigurationArn(spec.name);
  spec.creation_time = node_.clock_.NowMillis();
  // Checked, committed, and only then put in memory: a failed commit leaves nothing to undo.
  MUSTER_RETURN_IF_ERROR(core.CheckConfiguration(spec));
  core::Effects fx;
  fx.writes.push_back(store::Write::Insert(store::Table::kConfigurations, ConfigurationRow(spec, node_.clock_.NowMillis())));
  auto st = node_.match_shard(side).Apply(std::move(fx), /*fatal=*/false);
  if (!st.ok()) {
    if (st.error().code == ErrorCode::kConflict) {
      return Error::Conflict("matchmaking configuration '" + spec.name + "' already exists");
    }
    return st.take_error();
  }
  return PutCommitted(side, std::move(spec));
}

Result<matchmaking::ConfigurationSpec> Definitions::PutCommitted(std::size_t side, matchmaking::ConfigurationSpec spec) {
  const std::string name = spec.name;
  Status put = node_.core(side).PutConfiguration(std::move(spec));
  if (!put.ok()) {  // checked before the commit: only a defect gets here
    MLOG(kError) << "configuration '" << name << "' was stored but not applied: " << put.error().message;
    return Error::Internal("configuration '" + name + "' was stored but not applied: " + put.error().message);
  }
  matchmaking::ConfigurationSpec out = *node_.core(side).FindConfiguration(name);
  Catalogue(side, out);
  return out;
}

void Definitions::Catalogue(std::size_t side, const matchmaking::ConfigurationSpec& spec) {
  std::lock_guard lock(catalog_mu_);
  catalog_[spec.name] = {side, spec};
}

std::optional<matchmaking::ConfigurationSpec> Definitions::FindConfiguration(const std::string& name_or_arn) const {
  std::lock_guard lock(catalog_mu_);
  auto it = catalog_.find(NameOf(name_or_arn, "matchmakingconfiguration"));
  if (it == catalog_.end()) return std::nullopt;
  return it->second.spec;
}

Result<matchmaking::ConfigurationSpec> Definitions::UpdateConfiguration(matchmaking::ConfigurationSpec spec) {
  spec.name = NameOf(spec.name, "matchmakingconfiguration");
  std::lock_guard serial(changes_mu_);
  const std::size_t side = node_.Here(spec.name);
  auto& core = node_.core(side);
  const auto* current = core.FindConfiguration(spec.name);
  if (!current) return Error::NotFound("matchmaking configuration '" + spec.name + "' does not exist");
  matchmaking::ConfigurationSpec old = *current;
  MUSTER_RETURN_IF_ERROR(CheckLimits(spec));
  Resolver resolve{*this, node_.server_reads(), node_.region_, node_.account_};
  MUSTER_RETURN_IF_ERROR(resolve.RuleSet(spec, &old));
  MUSTER_RETURN_IF_ERROR(resolve.Queue(spec));
  spec.arn = old.arn;
  spec.creation_time = old.creation_time;
  MUSTER_RETURN_IF_ERROR(core.CheckConfiguration(spec));
  core::Effects fx;
  fx.writes.push_back(store::Write::Upsert(store::Table::kConfigurations, ConfigurationRow(spec, node_.clock_.NowMillis())));
  MUSTER_RETURN_IF_ERROR(node_.match_shard(side).Apply(std::move(fx), /*fatal=*/false));
  return PutCommitted(side, std::move(spec));
}

std::vector<matchmaking::ConfigurationSpec> Definitions::ListConfigurations() const {
  std::lock_guard lock(catalog_mu_);
  std::vector<matchmaking::ConfigurationSpec> out;
  out.reserve(catalog_.size());
  for (const auto& [name, entry] : catalog_) out.push_back(entry.spec);
  return out;
}

Status Definitions::DeleteConfiguration(const std::string& name_or_arn) {
  std::string name = NameOf(name_or_arn, "matchmakingconfiguration");
  std::lock_guard serial(changes_mu_);
  const std::size_t side = node_.Here(name);
  MUSTER_RETURN_IF_ERROR(node_.match_shard(side).Serving());
  MUSTER_ASSIGN_OR_RETURN(auto fx, node_.core(side).RemoveConfiguration(name));
  fx.writes.push_back(store::Write::Delete(store::Table::kConfigurations, name));
  {
    std::lock_guard lock(catalog_mu_);
    catalog_.erase(name);
  }
  // The configuration and its tickets are gone from memory: the commit must happen (a failure
  // reloads the side, which reads the configuration back from the store).
  return node_.match_shard(side).Apply(std::move(fx));
}

// --- start ----------------------------------------------------------------------------------

Status Definitions::SetUp(std::size_t side, const NodeSetup& setup, core::Effects* out) {
  core::Effects& fx = *out;
  auto& core = node_.core(side);
  auto mine = [&](const std::string& name) { return node_.MatchmakingSideOf(name) == side; };
  std::vector<matchmaking::ConfigurationSpec> loaded;  // the side's part of the catalogue, at the end
  const Millis now = node_.clock_.NowMillis();
  std::map<std::string, RuleSetRecord> rule_sets;  // stored, then the set-up over them
  MUSTER_ASSIGN_OR_RETURN(auto rs_rows, AllRows(node_.store_, store::Table::kRuleSets));
  for (const auto& row : rs_rows) {
    auto r = RuleSetFromRow(row);
    if (r.ok()) rule_sets[row.id] = std::move(r).value();
  }
  std::map<std::string, std::shared_ptr<const matchmaking::RuleSet>> parsed;
  for (const auto& rs : setup.rule_sets) {
    auto p = matchmaking::ParseRuleSet(rs.body);
    if (!p.ok()) return Error::InvalidArgument("rule set '" + rs.name + "': " + p.error().message);
    parsed[rs.name] = std::move(p).value();
    RuleSetRecord r{rs.name, Arn(node_.region_, node_.account_, "matchmakingruleset", rs.name), rs.body, now};
    if (auto it = rule_sets.find(rs.name); it != rule_sets.end() && it->second.creation_time > 0) {
      r.creation_time = it->second.creation_time;
    }
    if (side == 0) fx.writes.push_back(store::Write::Upsert(store::Table::kRuleSets, RuleSetRow(r, now)));
    rule_sets[rs.name] = std::move(r);
  }
  auto rule_set_of = [&](matchmaking::ConfigurationSpec& spec) -> Status {
    auto it = rule_sets.find(NameOf(spec.rule_set_name, "matchmakingruleset"));
    if (it == rule_sets.end()) {
      return Error::InvalidArgument("configuration '" + spec.name + "': rule set '" + spec.rule_set_name +
                                    "' is not defined");
    }
    auto& p = parsed[it->first];
    if (!p) {
      auto r = matchmaking::ParseRuleSet(it->second.body);
      if (!r.ok()) return Error::InvalidArgument("rule set '" + it->first + "': " + r.error().message);
      p = std::move(r).value();
    }
    spec.rule_set_name = it->first;
    spec.rule_set_arn = it->second.arn;
    spec.rule_set_body = it->second.body;
    spec.rule_set = p;
    return OkStatus();
  };

  std::map<std::string, matchmaking::ConfigurationSpec> stored;
  MUSTER_ASSIGN_OR_RETURN(auto cfg_rows, AllRows(node_.store_, store::Table::kConfigurations));
  for (const auto& row : cfg_rows) {
    auto s = ConfigurationFromRow(row);
    if (s.ok()) stored[row.id] = std::move(s).value();
  }
  Resolver resolve{*this, node_.server_reads(), node_.region_, node_.account_};
  for (matchmaking::ConfigurationSpec spec : setup.configurations) {
    if (!mine(spec.name)) continue;  // applied by its own side
    MUSTER_RETURN_IF_ERROR(rule_set_of(spec));
    if (spec.game_session_queue_arns.empty() && !spec.queue_name.empty()) {
      spec.game_session_queue_arns = {spec.queue_name};
    }
    if (auto st = resolve.Queue(spec); !st.ok()) {
      return Error::InvalidArgument("configuration '" + spec.name + "': " + st.error().message);
    }
    if (spec.arn.empty()) spec.arn = ConfigurationArn(spec.name);
    auto it = stored.find(spec.name);
    spec.creation_time = it != stored.end() && it->second.creation_time > 0 ? it->second.creation_time : now;
    if (it != stored.end()) stored.erase(it);
    fx.writes.push_back(store::Write::Upsert(store::Table::kConfigurations, ConfigurationRow(spec, now)));
    const std::string name = spec.name;
    auto st = core.PutConfiguration(std::move(spec));
    if (!st.ok()) return Error::InvalidArgument("configuration: " + st.error().message);
    loaded.push_back(*core.FindConfiguration(name));
  }
  // Configurations created through the management API in earlier runs. One that no longer fits
  // (its queue left the set-up) is kept in the store but not served; the log says why.
  for (auto& [name, spec] : stored) {
    if (!mine(name)) continue;
    Status st = rule_set_of(spec);
    if (st.ok()) st = resolve.Queue(spec);
    if (st.ok()) st = core.PutConfiguration(spec);
    if (!st.ok()) {
      MLOG(kWarn) << "stored matchmaking configuration '" << name << "' not loaded: " << st.error().message;
      continue;
    }
    loaded.push_back(*core.FindConfiguration(name));
  }
  // The side's entries are replaced at once: a list on another side never sees them missing.
  std::lock_guard lock(catalog_mu_);
  for (auto it = catalog_.begin(); it != catalog_.end();) {
    it = it->second.side == side ? catalog_.erase(it) : std::next(it);
  }
  for (auto& spec : loaded) {
    std::string name = spec.name;
    catalog_[name] = {side, std::move(spec)};
  }
  return OkStatus();
}

std::string Definitions::ConfigurationArn(const std::string& configuration) const {
  return Arn(node_.region_, node_.account_, "matchmakingconfiguration", configuration);
}

}  // namespace muster::node
