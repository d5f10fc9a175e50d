#include "identity/player_data.h"

#include <cmath>

namespace muster::identity {

namespace {

Status CheckPlayerId(std::string_view id) {
  if (id.empty() || id.size() > 1024) {
    return Error::InvalidArgument("player id must be 1 to 1024 characters");
  }
  return OkStatus();
}

bool IsFiniteNumber(const json::value& v) {
  if (v.is_int64() || v.is_uint64()) return true;
  return v.is_double() && std::isfinite(v.as_double());
}

}  // namespace

json::object DefaultPlayerAttributes() { return json::object{{"skill", json::object{{"N", 1000}}}}; }

Status ValidatePlayerAttributes(const json::object& attributes) {
  if (attributes.size() > kMaxPlayerAttributes) {
    return Error::InvalidArgument("at most " + std::to_string(kMaxPlayerAttributes) +
                                  " player attributes are allowed, got " +
                                  std::to_string(attributes.size()));
  }
  for (const auto& kv : attributes) {
    std::string name(kv.key());
    if (name.empty() || name.size() > 128) {
      return Error::InvalidArgument("attribute names must be 1 to 128 characters");
    }
    const json::object* v = kv.value().if_object();
    if (!v || v->size() != 1) {
      return Error::InvalidArgument(name + ": must be an object with exactly one of S, N, SL, SDM");
    }
    std::string type(v->begin()->key());
    const json::value& val = v->begin()->value();
    if (type == "S") {
      if (!val.is_string()) return Error::InvalidArgument(name + ".S: must be a string");
    } else if (type == "N") {
      if (!IsFiniteNumber(val)) return Error::InvalidArgument(name + ".N: must be a number");
    } else if (type == "SL") {
      const json::array* a = val.if_array();
      if (!a) return Error::InvalidArgument(name + ".SL: must be an array of strings");
      if (a->size() > 100) return Error::InvalidArgument(name + ".SL: at most 100 strings");
      for (const auto& e : *a) {
        if (!e.is_string()) return Error::InvalidArgument(name + ".SL: must be an array of strings");
      }
    } else if (type == "SDM") {
      const json::object* m = val.if_object();
      if (!m) return Error::InvalidArgument(name + ".SDM: must be an object of numbers");
      if (m->size() > 10) return Error::InvalidArgument(name + ".SDM: at most 10 pairs");
      for (const auto& e : *m) {
        if (!IsFiniteNumber(e.value())) {
          return Error::InvalidArgument(name + ".SDM." + std::string(e.key()) + ": must be a number");
        }
      }
    } else {
      return Error::InvalidArgument(name + "." + type + ": unknown attribute type (S, N, SL or SDM)");
    }
  }
  return OkStatus();
}

PlayerDataService::PlayerDataService(store::Store& store, const Clock& clock,
                                     json::object default_attributes)
    : store_(store), clock_(clock), default_(std::move(default_attributes)) {}

Result<json::object> PlayerDataService::GetOrCreate(std::string_view player_id) {
  MUSTER_RETURN_IF_ERROR(CheckPlayerId(player_id));
  for (int attempt = 0; attempt < 3; ++attempt) {
    MUSTER_ASSIGN_OR_RETURN(auto row, store_.Get(store::Table::kPlayerData, player_id));
    if (row) {
      auto parsed = ParseJson(row->body);
      if (!parsed.ok() || !parsed->is_object()) {
        return Error::Internal("player data of '" + std::string(player_id) + "' is corrupt");
      }
      return parsed->as_object();
    }
    Status st = store::CommitOne(
        store_, store::Write::Insert(store::Table::kPlayerData,
                                     {std::string(player_id), "", "", ToJson(default_), 0,
                                      clock_.NowMillis()}));
    if (st.ok()) return default_;
    if (st.error().code != ErrorCode::kConflict) return st.take_error();
    // A concurrent first read created it: read theirs.
  }
  return Error::Unavailable("player data of '" + std::string(player_id) + "' keeps changing");
}

Status PlayerDataService::Put(std::string_view player_id, const json::object& attributes) {
  MUSTER_RETURN_IF_ERROR(CheckPlayerId(player_id));
  MUSTER_RETURN_IF_ERROR(ValidatePlayerAttributes(attributes));
  return store::CommitOne(
      store_, store::Write::Upsert(store::Table::kPlayerData,
                                   {std::string(player_id), "", "", ToJson(attributes), 0,
                                    clock_.NowMillis()}));
}

}  // namespace muster::identity
