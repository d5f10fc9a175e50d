#include "matchmaking/expression.h"

#include <cctype>

namespace muster::matchmaking {
namespace {

struct FnName {
  const char* name;
  ExprFn fn;
};
constexpr FnName kFns[] = {
    {"min", ExprFn::kMin},         {"max", ExprFn::kMax},         {"avg", ExprFn::kAvg},
    {"median", ExprFn::kMedian},   {"sum", ExprFn::kSum},         {"count", ExprFn::kCount},
    {"stddev", ExprFn::kStddev},   {"flatten", ExprFn::kFlatten},
    {"set_intersection", ExprFn::kSetIntersection},
};

const char* FnName(ExprFn fn) {
  for (const auto& f : kFns) {
    if (f.fn == fn) return f.name;
  }
  return "?";
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

class Parser {
 public:
  Parser(std::string_view text, const std::vector<TeamDef>& teams,
         const std::vector<AttributeDef>& attributes)
      : s_(text), teams_(teams), attributes_(attributes) {}

  Result<ExprPtr> Run() {
    auto e = ParseExpr(0);
    if (!e.ok()) return e.take_error();
    SkipSpace();
    if (pos_ != s_.size()) return Fail("unexpected '" + std::string(s_.substr(pos_, 10)) + "'");
    return ExprPtr(std::move(*e));
  }

 private:
  Error Fail(const std::string& what) const {
    return Error::InvalidArgument("invalid expression '" + std::string(s_) + "': " + what +
                                  " (at offset " + std::to_string(pos_) + ")");
  }
  void SkipSpace() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool Eat(std::string_view tok) {
    SkipSpace();
    if (s_.substr(pos_, tok.size()) == tok) {
      pos_ += tok.size();
      return true;
    }
    return false;
  }
  std::string_view Ident() {
    SkipSpace();
    std::size_t b = pos_;
    while (pos_ < s_.size() &&
           (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) {
      ++pos_;
    }
    return s_.substr(b, pos_ - b);
  }
  // Reads a bracketed name up to ',' or ']'.
  std::string_view BracketName() {
    std::size_t b = pos_;
    while (pos_ < s_.size() && s_[pos_] != ',' && s_[pos_] != ']' && s_[pos_] != '[' &&
           s_[pos_] != '(' && s_[pos_] != ')') {
      ++pos_;
    }
    return Trim(s_.substr(b, pos_ - b));
  }

  Result<std::unique_ptr<Expr>> ParseExpr(int depth) {
    if (depth > kMaxExpressionDepth) {
      return Fail("nested deeper than " + std::to_string(kMaxExpressionDepth) + " calls");
    }
    SkipSpace();
    std::size_t save = pos_;
    std::string_view id = Ident();
    if (Eat("(")) {
      const ExprFn* fn = nullptr;
      for (const auto& f : kFns) {
        if (id == f.name) fn = &f.fn;
      }
      if (!fn) {
        pos_ = save;
        return Fail("unknown function '" + std::string(id) +
                    "' (expected min, max, avg, median, sum, count, stddev, flatten or "
                    "set_intersection)");
      }
      auto arg = ParseExpr(depth + 1);
      if (!arg.ok()) return arg.take_error();
      if (!Eat(")")) return Fail("expected ')'");
      return MakeCall(*fn, std::move(*arg));
    }
    pos_ = save;
    return ParsePath();
  }

  Result<std::unique_ptr<Expr>> MakeCall(ExprFn fn, std::unique_ptr<Expr> arg) {
    auto e = std::make_unique<Expr>();
    e->is_call = true;
    e->fn = fn;
    const std::string name = FnName(fn);
    switch (fn) {
      case ExprFn::kFlatten:
        e->depth = arg->depth >= 2 ? arg->depth - 1 : arg->depth;
        e->leaf = arg->leaf;
        e->per_player = arg->per_player;
        if (arg->depth == 0) return Fail("flatten() needs a list");
        break;
      case ExprFn::kCount:
        if (arg->depth == 0) return Fail("count() needs a list");
        e->depth = arg->depth - 1;
        e->leaf = LeafKind::kNumber;
        break;
      case ExprFn::kSetIntersection:
        if (arg->depth == 0) return Fail("set_intersection() needs a list");
        if (arg->leaf != LeafKind::kStringList && arg->leaf != LeafKind::kString) {
          return Fail("set_intersection() needs string or string_list values, not " +
                      std::string(LeafKindName(arg->leaf)));
        }
        e->depth = arg->depth - 1;
        e->leaf = LeafKind::kStringList;
        break;
      default:
        if (arg->depth == 0) return Fail(name + "() needs a list");
        if (arg->leaf != LeafKind::kNumber) {
          return Fail(name + "() needs number values, not " +
                      std::string(LeafKindName(arg->leaf)));
        }
        e->depth = arg->depth - 1;
        e->leaf = LeafKind::kNumber;
        break;
    }
    e->arg = std::move(arg);
    return e;
  }

  Result<std::unique_ptr<Expr>> ParsePath() {
    auto e = std::make_unique<Expr>();
    SkipSpace();
    if (Eat("teams")) {
      if (!Eat("[")) return Fail("expected '[' after teams");
      std::vector<std::string_view> names;
      do {
        SkipSpace();
        std::string_view n = BracketName();
        if (n.empty()) return Fail("empty team name");
        names.push_back(n);
      } while (Eat(","));
      if (!Eat("]")) return Fail("expected ']'");
      MUSTER_RETURN_IF_ERROR(ResolveTeams(names, e.get()));
      if (!Eat(".")) return Fail("expected '.players' after teams[...]");
    } else {
      e->all_players = true;
      Eat(".");
    }
    if (!Eat("players")) return Fail("expected 'players'");
    e->depth = e->team_list ? 2 : 1;
    e->per_player = true;
    if (Eat("[")) {
      SkipSpace();
      std::string_view n = BracketName();
      if (n != "playerId") return Fail("expected players[playerId], got players[" + std::string(n) + "]");
      if (!Eat("]")) return Fail("expected ']'");
      e->projection = Projection::kPlayerId;
      e->leaf = LeafKind::kString;
    } else if (Eat(".")) {
      if (!Eat("attributes")) return Fail("expected 'attributes'");
      if (!Eat("[")) return Fail("expected '[' after attributes");
      std::string_view n = BracketName();
      if (!Eat("]")) return Fail("expected ']'");
      int idx = -1;
      for (std::size_t i = 0; i < attributes_.size(); ++i) {
        if (attributes_[i].name == n) idx = static_cast<int>(i);
      }
      if (idx < 0) return Fail("unknown player attribute '" + std::string(n) + "'");
      e->projection = Projection::kAttribute;
      e->attribute = idx;
      switch (attributes_[idx].type) {
        case AttributeType::kNumber: e->leaf = LeafKind::kNumber; break;
        case AttributeType::kString: e->leaf = LeafKind::kString; break;
        case AttributeType::kStringList: e->leaf = LeafKind::kStringList; break;
        case AttributeType::kStringNumberMap: e->leaf = LeafKind::kStringNumberMap; break;
      }
    } else {
      e->projection = Projection::kPlayers;
      e->leaf = LeafKind::kPlayer;
    }
    return e;
  }

  Status ResolveTeams(const std::vector<std::string_view>& names, Expr* e) {
    if (names.size() == 1 && names[0] == "*") {
      for (std::size_t i = 0; i < teams_.size(); ++i) e->teams.push_back(static_cast<int>(i));
      e->team_list = true;
      return OkStatus();
    }
    bool list = names.size() > 1;
    for (std::string_view n : names) {
      bool found = false;
      for (std::size_t i = 0; i < teams_.size() && !found; ++i) {
        if (teams_[i].name == n) {
          e->teams.push_back(static_cast<int>(i));
          found = true;
        }
      }
      if (!found) {
        for (std::size_t i = 0; i < teams_.size(); ++i) {
          if (teams_[i].base_name == n) {
            e->teams.push_back(static_cast<int>(i));
            found = true;
            list = true;
          }
        }
      }
      if (!found) return Fail("unknown team '" + std::string(n) + "'");
    }
    e->team_list = list;
    return OkStatus();
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  const std::vector<TeamDef>& teams_;
  const std::vector<AttributeDef>& attributes_;
};

}  // namespace

const char* LeafKindName(LeafKind k) {
  switch (k) {
    case LeafKind::kNumber: return "number";
    case LeafKind::kString: return "string";
    case LeafKind::kStringList: return "string_list";
    case LeafKind::kStringNumberMap: return "string_number_map";
    case LeafKind::kPlayer: return "player";
  }
  return "?";
}

bool LooksLikeExpression(std::string_view text) {
  text = Trim(text);
  if (text.starts_with("teams[") || text.starts_with("players") || text.starts_with(".players")) {
    return true;
  }
  for (const auto& f : kFns) {
    std::string_view n = f.name;
    if (text.starts_with(n) && Trim(text.substr(n.size())).starts_with("(")) return true;
  }
  return false;
}

Result<ExprPtr> ParseExpression(std::string_view text, const std::vector<TeamDef>& teams,
                                const std::vector<AttributeDef>& attributes) {
  if (text.size() > kMaxExpressionBytes) {
    return Error::InvalidArgument("expression longer than " + std::to_string(kMaxExpressionBytes) +
                                  " bytes");
  }
  return Parser(text, teams, attributes).Run();
}

}  // namespace muster::matchmaking
