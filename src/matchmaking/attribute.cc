#include "matchmaking/attribute.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace muster::matchmaking {
namespace {

Error Bad(std::string_view path, const std::string& what) {
  return Error::InvalidArgument(std::string(path) + ": " + what);
}

Result<std::string> ReadString(const json::value& v, std::string_view path) {
  const json::string* s = v.if_string();
  if (!s) return Bad(path, "must be a string");
  if (s->size() > kMaxAttributeStringBytes) {
    return Bad(path, "string longer than " + std::to_string(kMaxAttributeStringBytes) + " bytes");
  }
  return std::string(s->data(), s->size());
}

Result<std::vector<std::string>> ReadStringList(const json::value& v, std::string_view path) {
  const json::array* a = v.if_array();
  if (!a) return Bad(path, "must be an array of strings");
  if (a->size() > kMaxStringListSize) {
    return Bad(path, "has " + std::to_string(a->size()) + " strings; the limit is " +
                         std::to_string(kMaxStringListSize));
  }
  std::vector<std::string> out;
  out.reserve(a->size());
  for (std::size_t i = 0; i < a->size(); ++i) {
    auto s = ReadString((*a)[i], IndexPath(path, i));
    if (!s.ok()) return s.take_error();
    out.push_back(std::move(*s));
  }
  return out;
}

Result<std::vector<std::pair<std::string, double>>> ReadMap(const json::value& v,
                                                            std::string_view path) {
  const json::object* o = v.if_object();
  if (!o) return Bad(path, "must be an object of numbers");
  if (o->size() > kMaxStringMapSize) {
    return Bad(path, "has " + std::to_string(o->size()) + " pairs; the limit is " +
                         std::to_string(kMaxStringMapSize));
  }
  std::vector<std::pair<std::string, double>> out;
  for (const auto& kv : *o) {
    std::string key(kv.key().data(), kv.key().size());
    if (key.size() > kMaxAttributeStringBytes) {
      return Bad(path, "map key longer than " + std::to_string(kMaxAttributeStringBytes) + " bytes");
    }
    double n = 0;
    if (!JsonToNumber(kv.value(), false, &n)) {
      return Bad(JoinPath(path, key), "must be a finite number");
    }
    out.emplace_back(std::move(key), n);
  }
  std::sort(out.begin(), out.end());
  for (std::size_t i = 1; i < out.size(); ++i) {
    if (out[i - 1].first == out[i].first) return Bad(JoinPath(path, out[i].first), "duplicate map key");
  }
  return out;
}

}  // namespace

const char* AttributeTypeName(AttributeType t) {
  switch (t) {
    case AttributeType::kString: return "string";
    case AttributeType::kNumber: return "number";
    case AttributeType::kStringList: return "string_list";
    case AttributeType::kStringNumberMap: return "string_number_map";
  }
  return "?";
}

bool ParseAttributeTypeName(std::string_view name, AttributeType* out) {
  for (AttributeType t : {AttributeType::kString, AttributeType::kNumber,
                          AttributeType::kStringList, AttributeType::kStringNumberMap}) {
    if (name == AttributeTypeName(t)) {
      *out = t;
      return true;
    }
  }
  return false;
}

AttributeValue AttributeValue::String(std::string v) {
  AttributeValue a;
  a.type = AttributeType::kString;
  a.s = std::move(v);
  return a;
}
AttributeValue AttributeValue::Number(double v) {
  AttributeValue a;
  a.type = AttributeType::kNumber;
  a.n = v;
  return a;
}
AttributeValue AttributeValue::StringList(std::vector<std::string> v) {
  AttributeValue a;
  a.type = AttributeType::kStringList;
  a.sl = std::move(v);
  return a;
}
AttributeValue AttributeValue::StringNumberMap(std::vector<std::pair<std::string, double>> v) {
  AttributeValue a;
  a.type = AttributeType::kStringNumberMap;
  std::sort(v.begin(), v.end());
  a.sdm = std::move(v);
  return a;
}

bool AttributeValue::operator==(const AttributeValue& o) const {
  if (type != o.type) return false;
  switch (type) {
    case AttributeType::kString: return s == o.s;
    case AttributeType::kNumber: return n == o.n;
    case AttributeType::kStringList: return sl == o.sl;
    case AttributeType::kStringNumberMap: return sdm == o.sdm;
  }
  return false;
}

bool JsonToNumber(const json::value& v, bool allow_string, double* out) {
  double d = 0;
  if (v.is_int64()) {
    d = static_cast<double>(v.get_int64());
  } else if (v.is_uint64()) {
    d = static_cast<double>(v.get_uint64());
  } else if (v.is_double()) {
    d = v.get_double();
  } else if (allow_string && v.is_string()) {
    const json::string& s = v.get_string();
    if (s.empty() || s.size() > 64) return false;
    const char* b = s.data();
    const char* e = b + s.size();
    auto [p, ec] = std::from_chars(b, e, d);
    if (ec != std::errc() || p != e) return false;
  } else {
    return false;
  }
  if (!std::isfinite(d)) return false;
  *out = d;
  return true;
}

Status CheckAttributeValue(const AttributeValue& v, std::string_view path) {
  switch (v.type) {
    case AttributeType::kString:
      if (v.s.size() > kMaxAttributeStringBytes) {
        return Bad(path, "string longer than " + std::to_string(kMaxAttributeStringBytes) + " bytes");
      }
      break;
    case AttributeType::kNumber:
      if (!std::isfinite(v.n)) return Bad(path, "number must be finite (NaN and infinity are rejected)");
      break;
    case AttributeType::kStringList:
      if (v.sl.size() > kMaxStringListSize) {
        return Bad(path, "has " + std::to_string(v.sl.size()) + " strings; the limit is " +
                             std::to_string(kMaxStringListSize));
      }
      for (std::size_t i = 0; i < v.sl.size(); ++i) {
        if (v.sl[i].size() > kMaxAttributeStringBytes) {
          return Bad(IndexPath(path, i),
                     "string longer than " + std::to_string(kMaxAttributeStringBytes) + " bytes");
        }
      }
      break;
    case AttributeType::kStringNumberMap:
      if (v.sdm.size() > kMaxStringMapSize) {
        return Bad(path, "has " + std::to_string(v.sdm.size()) + " pairs; the limit is " +
                             std::to_string(kMaxStringMapSize));
      }
      for (std::size_t i = 0; i < v.sdm.size(); ++i) {
        const auto& [k, n] = v.sdm[i];
        if (k.size() > kMaxAttributeStringBytes) {
          return Bad(path, "map key longer than " + std::to_string(kMaxAttributeStringBytes) + " bytes");
        }
        if (!std::isfinite(n)) return Bad(JoinPath(path, k), "must be a finite number");
        if (i > 0 && v.sdm[i - 1].first == k) return Bad(JoinPath(path, k), "duplicate map key");
      }
      break;
  }
  return OkStatus();
}

Result<AttributeValue> ParseAttributeValue(const json::value& v, std::string_view path) {
  const json::object* o = v.if_object();
  if (!o || o->size() != 1) {
    return Bad(path, "must be an object with exactly one of S, N, SL, SDM");
  }
  const auto& kv = *o->begin();
  std::string_view key(kv.key().data(), kv.key().size());
  std::string sub = JoinPath(path, key);
  if (key == "S") {
    MUSTER_ASSIGN_OR_RETURN(std::string s, ReadString(kv.value(), sub));
    return AttributeValue::String(std::move(s));
  }
  if (key == "N") {
    double n = 0;
    if (!JsonToNumber(kv.value(), false, &n)) return Bad(sub, "must be a finite number");
    return AttributeValue::Number(n);
  }
  if (key == "SL") {
    MUSTER_ASSIGN_OR_RETURN(auto sl, ReadStringList(kv.value(), sub));
    return AttributeValue::StringList(std::move(sl));
  }
  if (key == "SDM") {
    MUSTER_ASSIGN_OR_RETURN(auto m, ReadMap(kv.value(), sub));
    return AttributeValue::StringNumberMap(std::move(m));
  }
  return Bad(path, "unknown attribute value kind '" + std::string(key) +
                       "' (expected S, N, SL or SDM)");
}

Result<AttributeValue> ParseAttributeDefault(const json::value& v, AttributeType type,
                                             std::string_view path) {
  if (const json::object* o = v.if_object(); o && o->size() == 1) {
    std::string_view k(o->begin()->key().data(), o->begin()->key().size());
    if (k == "S" || k == "N" || k == "SL" || k == "SDM") {
      MUSTER_ASSIGN_OR_RETURN(AttributeValue a, ParseAttributeValue(v, path));
      if (a.type != type) {
        return Bad(path, std::string("default must be a ") + AttributeTypeName(type));
      }
      return a;
    }
  }
  switch (type) {
    case AttributeType::kString: {
      if (!v.is_string()) return Bad(path, "default for a string attribute must be a string");
      MUSTER_ASSIGN_OR_RETURN(std::string s, ReadString(v, path));
      return AttributeValue::String(std::move(s));
    }
    case AttributeType::kNumber: {
      double n = 0;
      if (!JsonToNumber(v, true, &n)) {
        return Bad(path, "default for a number attribute must be a finite number");
      }
      return AttributeValue::Number(n);
    }
    case AttributeType::kStringList: {
      MUSTER_ASSIGN_OR_RETURN(auto sl, ReadStringList(v, path));
      return AttributeValue::StringList(std::move(sl));
    }
    case AttributeType::kStringNumberMap: {
      MUSTER_ASSIGN_OR_RETURN(auto m, ReadMap(v, path));
      return AttributeValue::StringNumberMap(std::move(m));
    }
  }
  return Bad(path, "unsupported type");
}

json::value AttributeValueToJson(const AttributeValue& v) {
  json::object o;
  switch (v.type) {
    case AttributeType::kString: o["S"] = v.s; break;
    case AttributeType::kNumber: o["N"] = v.n; break;
    case AttributeType::kStringList: {
      json::array a;
      for (const auto& s : v.sl) a.emplace_back(s);
      o["SL"] = std::move(a);
      break;
    }
    case AttributeType::kStringNumberMap: {
      json::object m;
      for (const auto& [k, n] : v.sdm) m[k] = n;
      o["SDM"] = std::move(m);
      break;
    }
  }
  return o;
}

}  // namespace muster::matchmaking
