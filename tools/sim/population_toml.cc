// Population file (TOML). Every key is optional; unknown keys are errors so a typo is not
// silently ignored:
//   rate = 20                       # tickets per second
//   [skill]     mean, sd, min, max, attribute
//   [party]     weights = [w1, w2, ...]          # weight of party size 1, 2, ...
//   [[region]]  name, weight, home_latency_mean, home_latency_sd, away_latency_mean, away_latency_sd
//   [[attribute]] name, values = [..], weights = [..], mean, sd, min, max
#include "tools/sim/population.h"

#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include <functional>
#include <map>
#include <sstream>

namespace muster::sim {

namespace {

using Setter = std::function<Status(const toml::node&)>;

Setter Number(const std::string& path, double* out) {
  return [path, out](const toml::node& n) -> Status {
    if (!n.is_number()) return Error::InvalidArgument(path + " must be a number");
    *out = *n.value<double>();
    return OkStatus();
  };
}

Setter String(const std::string& path, std::string* out) {
  return [path, out](const toml::node& n) -> Status {
    auto s = n.value_exact<std::string>();
    if (!s) return Error::InvalidArgument(path + " must be a string");
    *out = *s;
    return OkStatus();
  };
}

Setter Numbers(const std::string& path, std::vector<double>* out) {
  return [path, out](const toml::node& n) -> Status {
    const toml::array* arr = n.as_array();
    if (!arr) return Error::InvalidArgument(path + " must be an array of numbers");
    out->clear();
    for (const auto& e : *arr) {
      if (!e.is_number()) return Error::InvalidArgument(path + " must be an array of numbers");
      out->push_back(*e.value<double>());
    }
    return OkStatus();
  };
}

Setter Strings(const std::string& path, std::vector<std::string>* out) {
  return [path, out](const toml::node& n) -> Status {
    const toml::array* arr = n.as_array();
    if (!arr) return Error::InvalidArgument(path + " must be an array of strings");
    out->clear();
    for (const auto& e : *arr) {
      auto s = e.value_exact<std::string>();
      if (!s) return Error::InvalidArgument(path + " must be an array of strings");
      out->push_back(*s);
    }
    return OkStatus();
  };
}

// Applies every key of `table` through `setters`; an unknown key is an error.
Status ApplyTable(const toml::table& table, const std::string& prefix,
                  const std::map<std::string, Setter>& setters) {
  for (const auto& [key, node] : table) {
    std::string name(key.str());
    auto it = setters.find(name);
    if (it == setters.end()) return Error::InvalidArgument("unknown key " + prefix + name);
    MUSTER_RETURN_IF_ERROR(it->second(node));
  }
  return OkStatus();
}

using Keys = std::map<std::string, Setter>;

// An array of tables (`[[name]]`) read into `out`, each element's keys from `keys(element, path)`.
template <class T>
Setter TableList(const std::string& name, std::vector<T>* out,
                 std::function<Keys(T*, const std::string&)> keys) {
  return [name, out, keys = std::move(keys)](const toml::node& n) -> Status {
    const toml::array* arr = n.as_array();
    if (!arr) return Error::InvalidArgument(name + " must be an array of tables ([[" + name + "]])");
    out->clear();
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const toml::table* t = (*arr)[i].as_table();
      std::string path = name + "[" + std::to_string(i) + "]";
      if (!t) return Error::InvalidArgument(path + " must be a table");
      T item;
      MUSTER_RETURN_IF_ERROR(ApplyTable(*t, path + ".", keys(&item, path + ".")));
      out->push_back(std::move(item));
    }
    return OkStatus();
  };
}

Setter Table(const std::string& name, std::map<std::string, Setter> setters) {
  return [name, setters = std::move(setters)](const toml::node& n) -> Status {
    const toml::table* t = n.as_table();
    if (!t) return Error::InvalidArgument(name + " must be a table ([" + name + "])");
    return ApplyTable(*t, name + ".", setters);
  };
}

}  // namespace

Status ParsePopulationToml(std::string_view text, PopulationSpec* spec) {
  toml::parse_result parsed = toml::parse(text);
  if (!parsed) {
    std::ostringstream os;
    os << parsed.error().description() << " at line " << parsed.error().source().begin.line;
    return Error::InvalidArgument(os.str());
  }
  const toml::table& root = parsed.table();
  PopulationSpec& s = *spec;
  std::map<std::string, Setter> setters = {
      {"rate", Number("rate", &s.rate_per_second)},
      {"skill", Table("skill", {{"mean", Number("skill.mean", &s.skill_mean)},
                                {"sd", Number("skill.sd", &s.skill_sd)},
                                {"min", Number("skill.min", &s.skill_min)},
                                {"max", Number("skill.max", &s.skill_max)},
                                {"attribute", String("skill.attribute", &s.skill_attribute)}})},
      {"party", Table("party", {{"weights", Numbers("party.weights", &s.party_weights)}})},
      {"region", TableList<RegionSpec>("region", &s.regions, [](RegionSpec* r, const std::string& p) {
         return Keys{{"name", String(p + "name", &r->name)},
                     {"weight", Number(p + "weight", &r->weight)},
                     {"home_latency_mean", Number(p + "home_latency_mean", &r->home_latency_mean)},
                     {"home_latency_sd", Number(p + "home_latency_sd", &r->home_latency_sd)},
                     {"away_latency_mean", Number(p + "away_latency_mean", &r->away_latency_mean)},
                     {"away_latency_sd", Number(p + "away_latency_sd", &r->away_latency_sd)}};
       })},
      {"attribute", TableList<AttributeSpec>("attribute", &s.attributes, [](AttributeSpec* a, const std::string& p) {
         return Keys{{"name", String(p + "name", &a->name)},
                     {"values", Strings(p + "values", &a->values)},
                     {"weights", Numbers(p + "weights", &a->weights)},
                     {"mean", Number(p + "mean", &a->mean)},
                     {"sd", Number(p + "sd", &a->sd)},
                     {"min", Number(p + "min", &a->min)},
                     {"max", Number(p + "max", &a->max)}};
       })},
  };
  return ApplyTable(root, "", setters);
}

}  // namespace muster::sim
