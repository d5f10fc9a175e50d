#include "matchmaking/rule_eval.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

namespace muster::matchmaking {
namespace {

ExprValue Leaf(const EvalPlayer& p, const Expr& e) {
  ExprValue v;
  v.ticket = p.ticket;
  switch (e.projection) {
    case Projection::kPlayers:
    case Projection::kPlayerId:
      v.kind = ExprValue::kString;
      v.str = p.id;
      return v;
    case Projection::kAttribute: break;
  }
  const AttrRef ref = PlayerAttribute(p, e.attribute);
  if (!ref.present) return v;
  if (ref.number) {
    v.kind = ExprValue::kNumber;
    v.num = ref.n;
    return v;
  }
  const AttributeValue* a = ref.value;
  switch (a->type) {
    case AttributeType::kNumber: v.kind = ExprValue::kNumber; v.num = a->n; break;
    case AttributeType::kString: v.kind = ExprValue::kString; v.str = a->s; break;
    case AttributeType::kStringList:
      v.kind = ExprValue::kStrings;
      v.strs.assign(a->sl.begin(), a->sl.end());
      break;
    case AttributeType::kStringNumberMap: v.kind = ExprValue::kMap; v.map = &*a; break;
  }
  return v;
}

void PlayersOf(const std::vector<const EvalPlayer*>& team, const Expr& e, ExprValue* out) {
  out->kind = ExprValue::kList;
  for (const EvalPlayer* p : team) {
    ExprValue leaf = Leaf(*p, e);
    if (leaf.kind != ExprValue::kNull || e.projection != Projection::kAttribute) {
      out->list.push_back(std::move(leaf));
    }
  }
}

std::vector<double> Numbers(const ExprValue& list) {
  std::vector<double> out;
  for (const auto& v : list.list) {
    if (v.kind == ExprValue::kNumber && !std::isnan(v.num)) out.push_back(v.num);
  }
  return out;
}

// Mean that does not overflow when the plain sum would (1e308 + 1e308).
double MeanOf(const std::vector<double>& n) {
  double s = 0;
  for (double d : n) s += d;
  double mean = s / static_cast<double>(n.size());
  if (std::isfinite(mean)) return mean;
  mean = 0;
  for (double d : n) mean += d / static_cast<double>(n.size());
  return mean;
}

ExprValue Number(double d) {
  ExprValue v;
  v.kind = ExprValue::kNumber;
  v.num = d;
  return v;
}

ExprValue Aggregate(ExprFn fn, const ExprValue& list) {
  if (fn == ExprFn::kCount) return Number(static_cast<double>(list.list.size()));
  if (fn == ExprFn::kSetIntersection) {
    ExprValue out;
    out.kind = ExprValue::kStrings;
    bool first = true;
    std::set<std::string_view> acc;
    for (const auto& v : list.list) {
      std::set<std::string_view> cur;
      if (v.kind == ExprValue::kString) cur.insert(v.str);
      if (v.kind == ExprValue::kStrings) cur.insert(v.strs.begin(), v.strs.end());
      if (v.kind != ExprValue::kString && v.kind != ExprValue::kStrings) continue;
      if (first) {
        acc = std::move(cur);
        first = false;
      } else {
        std::set<std::string_view> keep;
        for (auto s : acc) {
          if (cur.count(s)) keep.insert(s);
        }
        acc = std::move(keep);
      }
    }
    out.strs.assign(acc.begin(), acc.end());
    return out;
  }
  std::vector<double> n = Numbers(list);
  if (fn == ExprFn::kSum) {
    double s = 0;
    for (double d : n) s += d;
    return Number(s);
  }
  if (n.empty()) return ExprValue{};
  switch (fn) {
    case ExprFn::kMin: return Number(*std::min_element(n.begin(), n.end()));
    case ExprFn::kMax: return Number(*std::max_element(n.begin(), n.end()));
    case ExprFn::kAvg: return Number(MeanOf(n));
    case ExprFn::kMedian: {
      std::sort(n.begin(), n.end());
      std::size_t k = n.size() / 2;
      double mid = (n[k - (n.size() % 2 ? 0 : 1)] + n[k]) / 2;
      if (!std::isfinite(mid)) mid = n[k - (n.size() % 2 ? 0 : 1)] / 2 + n[k] / 2;
      return Number(mid);
    }
    case ExprFn::kStddev: {
      double mean = MeanOf(n);
      double var = 0;
      for (double d : n) var += (d - mean) * (d - mean);
      double sd = std::sqrt(var / static_cast<double>(n.size()));
      if (std::isfinite(sd)) return Number(sd);
      // Scaled by the largest half-deviation so that neither d - mean nor its square overflows.
      double scale = 0;
      for (double d : n) scale = std::max(scale, std::fabs(d / 2 - mean / 2));
      var = 0;
      for (double d : n) var += ((d / 2 - mean / 2) / scale) * ((d / 2 - mean / 2) / scale);
      return Number(2 * (scale * std::sqrt(var / static_cast<double>(n.size()))));
    }
    default: return ExprValue{};
  }
}

ExprValue Apply(ExprFn fn, int arg_depth, ExprValue arg) {
  if (arg.kind != ExprValue::kList) return ExprValue{};
  if (fn == ExprFn::kFlatten) {
    if (arg_depth < 2) return arg;
    ExprValue out;
    out.kind = ExprValue::kList;
    for (auto& sub : arg.list) {
      if (sub.kind != ExprValue::kList) continue;
      for (auto& v : sub.list) out.list.push_back(std::move(v));
    }
    return out;
  }
  if (arg_depth >= 2) {
    ExprValue out;
    out.kind = ExprValue::kList;
    for (auto& sub : arg.list) {
      ExprValue r = Apply(fn, arg_depth - 1, std::move(sub));
      if (r.kind != ExprValue::kNull) out.list.push_back(std::move(r));
    }
    return out;
  }
  return Aggregate(fn, arg);
}

// All leaves of a value, depth first.
void Leaves(const ExprValue& v, std::vector<const ExprValue*>* out) {
  if (v.kind == ExprValue::kList) {
    for (const auto& c : v.list) Leaves(c, out);
  } else if (v.kind != ExprValue::kNull) {
    out->push_back(&v);
  }
}

double AggregateParty(PartyAggregation agg, const std::vector<double>& xs) {
  if (agg == PartyAggregation::kMin) return *std::min_element(xs.begin(), xs.end());
  if (agg == PartyAggregation::kMax) return *std::max_element(xs.begin(), xs.end());
  return MeanOf(xs);
}

// Numbers of a measurement; per-player values of one ticket are combined first.
std::vector<double> MeasuredNumbers(const Rule& r, const Expr& e, const ExprValue& v,
                                    bool* bad_type) {
  std::vector<const ExprValue*> leaves;
  Leaves(v, &leaves);
  std::vector<double> out;
  std::map<int, std::vector<double>> parties;
  for (const ExprValue* l : leaves) {
    if (l->kind != ExprValue::kNumber) {
      *bad_type = true;
      continue;
    }
    if (e.per_player && l->ticket >= 0) {
      parties[l->ticket].push_back(l->num);
    } else {
      out.push_back(l->num);
    }
  }
  PartyAggregation agg = r.party_aggregation.value_or(PartyAggregation::kAvg);
  for (const auto& [t, xs] : parties) out.push_back(AggregateParty(agg, xs));
  return out;
}

bool Compare(double a, CompareOp op, double b) {
  switch (op) {
    case CompareOp::kLt: return a < b;
    case CompareOp::kLe: return a <= b;
    case CompareOp::kEq: return a == b;
    case CompareOp::kNe: return a != b;
    case CompareOp::kGt: return a > b;
    case CompareOp::kGe: return a >= b;
  }
  return false;
}

using Params = std::array<std::optional<double>, kRuleParamCount>;

bool EvalDistance(const Rule& r, const Params& p, const MatchView& m) {
  double ref = 0;
  if (r.reference.kind == Reference::kNumber) {
    ref = p[kReferenceNumber].value_or(r.reference.number);
  } else if (r.reference.kind == Reference::kExpr) {
    ExprValue rv = EvaluateExpr(*r.reference.expr, m);
    if (rv.kind != ExprValue::kNumber) return false;
    ref = rv.num;
  } else {
    return false;
  }
  if (!std::isfinite(ref)) return false;
  std::size_t count = 0;
  for (const auto& e : r.measurements) {
    bool bad = false;
    ExprValue v = EvaluateExpr(*e, m);
    for (double x : MeasuredNumbers(r, *e, v, &bad)) {
      double d = std::fabs(x - ref);
      if (!std::isfinite(d)) return false;
      if (p[kMaxDistance] && d > *p[kMaxDistance]) return false;
      if (p[kMinDistance] && d < *p[kMinDistance]) return false;
      ++count;
    }
    if (bad) return false;
  }
  return count > 0;
}

bool EvalComparison(const Rule& r, const Params& p, const MatchView& m) {
  if (r.reference.kind == Reference::kNone) {
    // Across players: all equal (=) or all distinct (!=).
    std::vector<std::string> keys;
    for (const auto& e : r.measurements) {
      ExprValue v = EvaluateExpr(*e, m);
      std::vector<const ExprValue*> leaves;
      Leaves(v, &leaves);
      for (const ExprValue* l : leaves) {
        if (l->kind == ExprValue::kNumber) {
          if (!std::isfinite(l->num)) return false;
          char buf[40];
          std::snprintf(buf, sizeof buf, "N%.17g", l->num == 0 ? 0.0 : l->num);
          keys.push_back(buf);
        }
        else if (l->kind == ExprValue::kString) keys.push_back("S" + std::string(l->str));
        else return false;
      }
    }
    if (keys.empty()) return false;
    std::sort(keys.begin(), keys.end());
    if (r.op == CompareOp::kEq) return keys.front() == keys.back();
    return std::adjacent_find(keys.begin(), keys.end()) == keys.end();
  }
  ExprValue ref;
  if (r.reference.kind == Reference::kNumber) {
    ref = Number(p[kReferenceNumber].value_or(r.reference.number));
  } else if (r.reference.kind == Reference::kString) {
    ref.kind = ExprValue::kString;
    ref.str = r.reference.str;
  } else {
    ref = EvaluateExpr(*r.reference.expr, m);
  }
  std::size_t count = 0;
  for (const auto& e : r.measurements) {
    ExprValue v = EvaluateExpr(*e, m);
    if (ref.kind == ExprValue::kNumber) {
      bool bad = false;
      if (!std::isfinite(ref.num)) return false;
      for (double x : MeasuredNumbers(r, *e, v, &bad)) {
        if (!std::isfinite(x) || !Compare(x, r.op, ref.num)) return false;
        ++count;
      }
      if (bad) return false;
    } else if (ref.kind == ExprValue::kString) {
      std::vector<const ExprValue*> leaves;
      Leaves(v, &leaves);
      for (const ExprValue* l : leaves) {
        if (l->kind != ExprValue::kString) return false;
        bool eq = l->str == ref.str;
        if ((r.op == CompareOp::kEq) != eq) return false;
        if (r.op != CompareOp::kEq && r.op != CompareOp::kNe) return false;
        ++count;
      }
    } else {
      return false;
    }
  }
  return count > 0;
}

std::vector<std::string_view> StringsOf(const ExprValue& v) {
  if (v.kind == ExprValue::kString) return {v.str};
  if (v.kind == ExprValue::kStrings) return v.strs;
  return {};
}

bool InCount(double c, const Params& p) {
  if (p[kMinCount] && c < *p[kMinCount]) return false;
  if (p[kMaxCount] && c > *p[kMaxCount]) return false;
  return true;
}

bool EvalCollection(const Rule& r, const Params& p, const MatchView& m) {
  // One string set per leaf; per-player leaves of one ticket are combined (union by default).
  std::vector<std::vector<std::string_view>> sets;
  for (const auto& e : r.measurements) {
    ExprValue v = EvaluateExpr(*e, m);
    std::vector<const ExprValue*> leaves;
    Leaves(v, &leaves);
    std::map<int, std::vector<std::vector<std::string_view>>> parties;
    for (const ExprValue* l : leaves) {
      if (l->kind != ExprValue::kString && l->kind != ExprValue::kStrings) return false;
      if (e->per_player && l->ticket >= 0 && r.party_aggregation) {
        parties[l->ticket].push_back(StringsOf(*l));
      } else {
        sets.push_back(StringsOf(*l));
      }
    }
    for (auto& [t, lists] : parties) {
      if (*r.party_aggregation == PartyAggregation::kIntersection) {
        std::vector<std::string_view> acc = lists[0];
        for (std::size_t i = 1; i < lists.size(); ++i) {
          std::vector<std::string_view> keep;
          for (auto s : acc) {
            if (std::find(lists[i].begin(), lists[i].end(), s) != lists[i].end()) keep.push_back(s);
          }
          acc = std::move(keep);
        }
        sets.push_back(std::move(acc));
      } else {
        std::vector<std::string_view> all;
        for (auto& l : lists) all.insert(all.end(), l.begin(), l.end());
        sets.push_back(std::move(all));
      }
    }
  }
  switch (r.collection_op) {
    case CollectionOp::kIntersection: {
      if (sets.empty()) return false;
      std::set<std::string_view> acc(sets[0].begin(), sets[0].end());
      for (std::size_t i = 1; i < sets.size(); ++i) {
        std::set<std::string_view> cur(sets[i].begin(), sets[i].end());
        std::set<std::string_view> keep;
        for (auto s : acc) {
          if (cur.count(s)) keep.insert(s);
        }
        acc = std::move(keep);
      }
      return InCount(static_cast<double>(acc.size()), p);
    }
    case CollectionOp::kContains: {
      std::size_t c = 0;
      for (const auto& s : sets) c += std::count(s.begin(), s.end(), std::string_view(r.reference.str));
      return InCount(static_cast<double>(c), p);
    }
    case CollectionOp::kReferenceIntersectionCount: {
      std::set<std::string_view> ref;
      ExprValue rv;
      if (r.reference.kind == Reference::kString) {
        ref.insert(r.reference.str);
      } else if (r.reference.kind == Reference::kExpr) {
        rv = EvaluateExpr(*r.reference.expr, m);
        std::vector<const ExprValue*> leaves;
        Leaves(rv, &leaves);
        for (const ExprValue* l : leaves) {
          for (auto s : StringsOf(*l)) ref.insert(s);
        }
      } else {
        return false;
      }
      for (const auto& s : sets) {
        std::set<std::string_view> mine(s.begin(), s.end());
        std::size_t c = 0;
        for (auto x : mine) c += ref.count(x);
        if (!InCount(static_cast<double>(c), p)) return false;
      }
      return true;
    }
  }
  return false;
}

// Latency of `p` to `region` (hand-built form), or -1 when not reported.
int LatencyByName(const EvalPlayer& p, std::string_view region) {
  auto it = std::lower_bound(p.latency_ms.begin(), p.latency_ms.end(), region,
                             [](const auto& kv, std::string_view k) { return kv.first < k; });
  return it == p.latency_ms.end() || it->first != region ? -1 : it->second;
}

// Latency of `p` to an interned region (packed form), or -1 when not reported.
int LatencyById(const EvalPlayer& p, std::int32_t region) {
  const RegionLatency* end = p.packed_latency + p.packed_latency_count;
  const RegionLatency* it = std::lower_bound(
      p.packed_latency, end, region,
      [](const RegionLatency& kv, std::int32_t k) { return kv.region < k; });
  return it == end || it->region != region ? -1 : it->ms;
}

// One region of the first player: does every player meet the latency rule there?
template <typename LatencyOf>
bool RegionPasses(const Rule& r, const Params& p, const std::vector<const EvalPlayer*>& all,
                  double max_latency, LatencyOf latency_of, std::vector<double>* lat) {
  lat->clear();
  for (const EvalPlayer* pl : all) {
    int ms = latency_of(*pl);
    if (ms < 0 || ms > max_latency) return false;
    lat->push_back(ms);
  }
  if (!p[kMaxDistance]) return true;
  double ref = 0;
  if (r.distance_reference == DistanceReference::kAvg) {
    for (double d : *lat) ref += d;
    ref /= static_cast<double>(lat->size());
  } else {
    ref = *std::min_element(lat->begin(), lat->end());
  }
  for (double d : *lat) {
    if (std::fabs(d - ref) > *p[kMaxDistance]) return false;
  }
  return true;
}

bool EvalLatency(const Rule& r, const Params& p, const MatchView& m) {
  std::vector<const EvalPlayer*> all;
  for (const auto& t : m.teams) all.insert(all.end(), t.begin(), t.end());
  if (all.empty()) return true;
  double max_latency = p[kMaxLatency].value_or(0);
  std::vector<double> lat;
  if (all[0]->packed_latency != nullptr || all[0]->packed_attributes != nullptr) {
    for (int k = 0; k < all[0]->packed_latency_count; ++k) {
      std::int32_t region = all[0]->packed_latency[k].region;
      auto of = [region](const EvalPlayer& pl) { return LatencyById(pl, region); };
      if (RegionPasses(r, p, all, max_latency, of, &lat)) return true;
    }
    return false;
  }
  for (const auto& [region, ms0] : all[0]->latency_ms) {
    std::string_view name = region;
    auto of = [name](const EvalPlayer& pl) { return LatencyByName(pl, name); };
    if (RegionPasses(r, p, all, max_latency, of, &lat)) return true;
  }
  return false;
}

bool EvalBatchDistance(const Rule& r, const Params& p, const MatchView& m) {
  // Per-party aggregation without a map: players of one ticket are usually adjacent.
  struct Party {
    int ticket;
    double sum, lo, hi;
    int count;
  };
  // Kept per thread: a 100-player match would otherwise grow a fresh array on every evaluation.
  thread_local std::vector<Party> parties;
  parties.clear();
  std::string_view first_str;
  bool have_str = false;
  for (const auto& t : m.teams) {
    for (const EvalPlayer* pl : t) {
      const AttrRef a = PlayerAttribute(*pl, r.attribute);
      if (!a.present) return false;
      if (a.number || a.value->type == AttributeType::kNumber) {
        double x = a.number ? a.n : a.value->n;
        Party* party = nullptr;
        for (auto it = parties.rbegin(); it != parties.rend(); ++it) {
          if (it->ticket == pl->ticket) {
            party = &*it;
            break;
          }
        }
        if (party == nullptr) {
          parties.push_back({pl->ticket, x, x, x, 1});
        } else {
          party->sum += x;
          party->lo = std::min(party->lo, x);
          party->hi = std::max(party->hi, x);
          ++party->count;
        }
      } else if (a.value->type == AttributeType::kString) {
        if (have_str && a.value->s != first_str) return false;
        first_str = a.value->s;
        have_str = true;
      } else {
        return false;
      }
    }
  }
  if (parties.empty()) return true;
  PartyAggregation agg = r.party_aggregation.value_or(PartyAggregation::kAvg);
  double lo = INFINITY, hi = -INFINITY;
  for (const Party& party : parties) {
    double v = agg == PartyAggregation::kMin   ? party.lo
               : agg == PartyAggregation::kMax ? party.hi
                                               : party.sum / party.count;
    if (!std::isfinite(v)) return false;  // NaN/inf inputs or an overflowed party sum
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  return hi - lo <= p[kMaxDistance].value_or(0);
}

bool EvalNode(const RuleSet& rs, const CompoundNode& n, const MatchView& m,
              const EffectiveParams& p, RuleCounters* c, int depth) {
  if (depth > 64) return false;
  switch (n.kind) {
    case CompoundNode::kRule: return n.rule >= 0 && EvaluateRule(rs, n.rule, m, p, c);
    case CompoundNode::kAnd:
      for (const auto& ch : n.children) {
        if (!EvalNode(rs, ch, m, p, c, depth + 1)) return false;
      }
      return true;
    case CompoundNode::kOr:
      for (const auto& ch : n.children) {
        if (EvalNode(rs, ch, m, p, c, depth + 1)) return true;
      }
      return false;
    case CompoundNode::kNot:
      return !n.children.empty() && !EvalNode(rs, n.children[0], m, p, c, depth + 1);
    case CompoundNode::kXor: {
      int t = 0;
      for (const auto& ch : n.children) t += EvalNode(rs, ch, m, p, c, depth + 1) ? 1 : 0;
      return t == 1;
    }
  }
  return false;
}

}  // namespace

const AttributeValue* PackedNumberTag() {
  static const AttributeValue tag = AttributeValue::Number(0);
  return &tag;
}

AttrRef PlayerAttribute(const EvalPlayer& p, int attribute) {
  AttrRef out;
  if (p.packed_attributes != nullptr) {
    const PackedAttr& a = p.packed_attributes[attribute];
    if (a.value == nullptr) return out;
    out.present = true;
    if (a.value == PackedNumberTag()) {
      out.number = true;
      out.n = a.n;
    } else {
      out.value = a.value;
    }
    return out;
  }
  if (attribute < 0 || static_cast<std::size_t>(attribute) >= p.attributes.size()) return out;
  const auto& a = p.attributes[attribute];
  if (!a) return out;
  out.present = true;
  out.value = &*a;
  return out;
}

ExprValue EvaluateExpr(const Expr& e, const MatchView& m) {
  if (e.is_call) return Apply(e.fn, e.arg->depth, EvaluateExpr(*e.arg, m));
  ExprValue out;
  out.kind = ExprValue::kList;
  if (e.all_players) {
    for (const auto& t : m.teams) {
      ExprValue part;
      PlayersOf(t, e, &part);
      for (auto& v : part.list) out.list.push_back(std::move(v));
    }
    return out;
  }
  if (!e.team_list) {
    if (!e.teams.empty() && static_cast<std::size_t>(e.teams[0]) < m.teams.size()) {
      PlayersOf(m.teams[e.teams[0]], e, &out);
    }
    return out;
  }
  for (int t : e.teams) {
    if (static_cast<std::size_t>(t) >= m.teams.size()) continue;
    ExprValue part;
    PlayersOf(m.teams[t], e, &part);
    out.list.push_back(std::move(part));
  }
  return out;
}

EffectiveParams ParamsAtAge(const RuleSet& rs, Millis age_ms) {
  EffectiveParams p;
  p.rule.resize(rs.rules.size());
  for (std::size_t i = 0; i < rs.rules.size(); ++i) {
    for (int k = 0; k < kRuleParamCount; ++k) p.rule[i][k] = rs.rules[i].params[k];
  }
  std::vector<std::optional<int>> def_min(rs.definition_count), def_max(rs.definition_count);
  for (const Expansion& ex : rs.expansions) {
    const ExpansionStep* step = nullptr;
    for (const auto& s : ex.steps) {
      if (s.wait_ms <= age_ms) step = &s;
    }
    if (!step) continue;
    switch (ex.kind) {
      case Expansion::kRule: p.rule[ex.rule][ex.param] = step->value; break;
      case Expansion::kTeamMin: def_min[ex.definition] = static_cast<int>(step->value); break;
      case Expansion::kTeamMax: def_max[ex.definition] = static_cast<int>(step->value); break;
    }
  }
  for (const TeamDef& t : rs.teams) {
    p.team_min.push_back(def_min[t.definition].value_or(t.min_players));
    p.team_max.push_back(def_max[t.definition].value_or(t.max_players));
  }
  return p;
}

bool EvaluateRule(const RuleSet& rs, int rule, const MatchView& m, const EffectiveParams& p,
                  RuleCounters* c) {
  const Rule& r = rs.rules[rule];
  const Params& params = p.rule[rule];
  bool ok = true;
  switch (r.type) {
    case RuleType::kBatchDistance: ok = EvalBatchDistance(r, params, m); break;
    case RuleType::kComparison: ok = EvalComparison(r, params, m); break;
    case RuleType::kDistance: ok = EvalDistance(r, params, m); break;
    case RuleType::kCollection: ok = EvalCollection(r, params, m); break;
    case RuleType::kLatency: ok = EvalLatency(r, params, m); break;
    case RuleType::kAbsoluteSort:
    case RuleType::kDistanceSort: ok = true; break;
    case RuleType::kCompound: ok = EvalNode(rs, r.statement, m, p, c, 0); break;
  }
  if (c) {
    if (ok) ++c->passed[rule];
    else ++c->failed[rule];
  }
  return ok;
}

bool EvaluateMatch(const RuleSet& rs, const MatchView& m, const EffectiveParams& p,
                   RuleCounters* c) {
  for (std::size_t i = 0; i < rs.rules.size(); ++i) {
    const Rule& r = rs.rules[i];
    if (r.in_compound || r.type == RuleType::kAbsoluteSort || r.type == RuleType::kDistanceSort) {
      continue;
    }
    if (!EvaluateRule(rs, static_cast<int>(i), m, p, c)) return false;
  }
  return true;
}

bool EvaluateMonotoneRules(const RuleSet& rs, const MatchView& m, const EffectiveParams& p) {
  for (std::size_t i = 0; i < rs.rules.size(); ++i) {
    const Rule& r = rs.rules[i];
    if (r.in_compound) continue;
    if (r.type == RuleType::kBatchDistance || r.type == RuleType::kLatency) {
      if (!EvaluateRule(rs, static_cast<int>(i), m, p, nullptr)) return false;
    }
  }
  return true;
}

}  // namespace muster::matchmaking
