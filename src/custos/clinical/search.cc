#include "custos/clinical/search.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "custos/audit/read_audit.h"
#include "custos/auth/permissions.h"

namespace custos::clinical {

namespace {

constexpr std::int64_t kMicrosPerSecond = 1000000;

// Statement text and its parameters, built together so that numbering cannot go wrong.
// Values are always copied in: conditions are built from short-lived strings.
struct SqlBuilder {
  storage::Params params;
  std::string Bind(std::string value) { return Add(storage::Param(std::move(value))); }
  std::string Bind(const char* value) { return Bind(std::string(value)); }
  std::string Bind(std::int64_t value) { return Add(storage::Param(value)); }
  std::string Bind(int value) { return Add(storage::Param(std::int64_t{value})); }
  std::string Bind(double value) { return Add(storage::Param(value)); }

 private:
  std::string Add(storage::Param value) {
    params.push_back(std::move(value));
    return "$" + std::to_string(params.size());
  }
};

// One search condition: `subquery` selects the rids that match (alias x); a negated condition
// keeps the rids that do not.
struct Condition {
  std::string subquery;
  bool negated = false;
  int rank = 9;  // lower is more selective: the most selective condition drives the query
};

std::vector<std::string> SplitValues(std::string_view text) {
  // Commas separate alternatives; "\," is a literal comma.
  std::vector<std::string> values(1);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() &&
        (text[i + 1] == ',' || text[i + 1] == '|' || text[i + 1] == '$')) {
      values.back() += text[++i];
    } else if (text[i] == ',') {
      values.emplace_back();
    } else {
      values.back() += text[i];
    }
  }
  return values;
}

// "ge2026-01" → ("ge", "2026-01").
std::pair<std::string, std::string> SplitPrefix(const std::string& value) {
  static const char* kPrefixes[] = {"eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"};
  if (value.size() > 2) {
    for (const char* prefix : kPrefixes) {
      if (value.compare(0, 2, prefix) == 0 &&
          (std::isdigit(static_cast<unsigned char>(value[2])) || value[2] == '-')) {
        return {prefix, value.substr(2)};
      }
    }
  }
  return {"eq", value};
}

struct Range {
  std::int64_t low = 0;   // inclusive
  std::int64_t high = 0;  // exclusive
};

// The period a date search value covers: "2026" is the whole year, "2026-11-25T10:00Z" a minute.
std::optional<Range> DateValueRange(const std::string& text) {
  using namespace std::chrono;
  auto micros = [](sys_days day) {
    return duration_cast<microseconds>(day.time_since_epoch()).count();
  };
  int y = 0, m = 0;
  if (text.size() == 4 && std::from_chars(text.data(), text.data() + 4, y).ec == std::errc()) {
    return Range{micros(sys_days(year(y) / 1 / 1)), micros(sys_days(year(y + 1) / 1 / 1))};
  }
  if (text.size() == 7 && text[4] == '-' &&
      std::from_chars(text.data(), text.data() + 4, y).ec == std::errc() &&
      std::from_chars(text.data() + 5, text.data() + 7, m).ec == std::errc() && m >= 1 && m <= 12) {
    const year_month start = year(y) / month(static_cast<unsigned>(m));
    const year_month next = start + months(1);
    return Range{micros(sys_days(start / 1)), micros(sys_days(next / 1))};
  }
  const auto at = ParseTimestamp(text);
  if (!at) return std::nullopt;
  const std::int64_t low = at->time_since_epoch().count();
  std::int64_t width = 86400 * kMicrosPerSecond;  // a date
  if (text.size() > 10) {
    const size_t colon = text.find(':');
    const size_t second_colon = text.find(':', colon + 1);
    const size_t zone = text.find_first_of("Zz+-", 11);
    const bool has_seconds =
        second_colon != std::string::npos && (zone == std::string::npos || second_colon < zone);
    const bool has_fraction = text.find('.') != std::string::npos;
    width = has_fraction ? 1 : has_seconds ? kMicrosPerSecond : 60 * kMicrosPerSecond;
  }
  return Range{low, low + width};
}

// SQL for a date-range prefix against columns `low`/`high` (the target's range, high exclusive).
std::string DatePredicate(const std::string& prefix, const Range& range, SqlBuilder& sql,
                          const std::string& low, const std::string& high) {
  // Bind only what the predicate uses: PostgreSQL cannot type an unused parameter.
  auto sl = [&] { return sql.Bind(range.low); };
  auto sh = [&] { return sql.Bind(range.high); };
  auto within = [&] {
    const std::string a = sl();
    const std::string b = sh();
    return "(" + low + " >= " + a + " AND " + high + " <= " + b + ")";
  };
  if (prefix == "eq" || prefix == "ap") return within();
  if (prefix == "ne") return "NOT " + within();
  if (prefix == "gt") return "(" + high + " > " + sh() + ")";
  if (prefix == "lt") return "(" + low + " < " + sl() + ")";
  if (prefix == "ge") {
    const std::string above = "(" + high + " > " + sh() + ")";
    return "(" + above + " OR " + within() + ")";
  }
  if (prefix == "le") {
    const std::string below = "(" + low + " < " + sl() + ")";
    return "(" + below + " OR " + within() + ")";
  }
  if (prefix == "sa") return "(" + low + " >= " + sh() + ")";
  return "(" + high + " <= " + sl() + ")";  // eb
}

// SQL for a prefix against an instant stored as text (core/clock.h form), e.g. last_updated.
std::string InstantPredicate(const std::string& prefix, const Range& range, SqlBuilder& sql,
                             const std::string& column) {
  auto text = [](std::int64_t micros) {
    return FormatTimestamp(Timestamp(std::chrono::microseconds(micros)));
  };
  auto sl = [&] { return sql.Bind(text(range.low)); };
  auto sh = [&] { return sql.Bind(text(range.high)); };
  if (prefix == "eq" || prefix == "ap") {
    const std::string a = sl();
    return "(" + column + " >= " + a + " AND " + column + " < " + sh() + ")";
  }
  if (prefix == "ne") {
    const std::string a = sl();
    return "(" + column + " < " + a + " OR " + column + " >= " + sh() + ")";
  }
  if (prefix == "gt" || prefix == "sa") return "(" + column + " >= " + sh() + ")";
  if (prefix == "lt" || prefix == "eb") return "(" + column + " < " + sl() + ")";
  if (prefix == "ge") return "(" + column + " >= " + sl() + ")";
  return "(" + column + " < " + sh() + ")";  // le
}

// A number's implied range from its precision: "5.4" means [5.35, 5.45).
std::optional<std::pair<double, double>> NumberRange(const std::string& text) {
  double value = 0;
  const auto [ptr, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  const size_t dot = text.find('.');
  const int decimals = dot == std::string::npos ? 0 : static_cast<int>(text.size() - dot - 1);
  const double half = 0.5 * std::pow(10.0, -decimals);
  return std::make_pair(value - half, value + half);
}

std::string NumberPredicate(const std::string& prefix, const std::string& text, SqlBuilder& sql,
                            const std::string& column, bool& ok) {
  const auto range = NumberRange(text);
  ok = range.has_value();
  if (!ok) return "";
  double value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  if (prefix == "eq" || prefix == "ap") {
    return "(" + column + " >= " + sql.Bind(range->first) + " AND " + column + " < " +
           sql.Bind(range->second) + ")";
  }
  if (prefix == "ne") {
    return "(" + column + " < " + sql.Bind(range->first) + " OR " + column +
           " >= " + sql.Bind(range->second) + ")";
  }
  static const std::map<std::string, std::string> kOps = {
      {"gt", " > "}, {"lt", " < "}, {"ge", " >= "}, {"le", " <= "}, {"sa", " > "}, {"eb", " < "}};
  return "(" + column + kOps.at(prefix) + sql.Bind(value) + ")";
}

std::string LikeEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// "x.param IN (…) [AND x.target_type = …]": the index rows that hold a parameter's values. The
// ids are our own numbers, written as literals so that each parameter keeps its own plan.
std::string ParamCondition(const ParamSource& source, const std::string& alias, SqlBuilder& sql) {
  std::string condition = alias + ".param";
  if (source.param_ids.size() == 1) {
    condition += " = " + std::to_string(source.param_ids.front());
  } else {
    condition += " IN (";
    for (size_t i = 0; i < source.param_ids.size(); ++i)
      condition += (i ? ", " : "") + std::to_string(source.param_ids[i]);
    condition += ")";
  }
  if (!source.target_type.empty())
    condition += " AND " + alias + ".target_type = " + sql.Bind(source.target_type);
  return condition;
}

class ConditionBuilder {
 public:
  ConditionBuilder(const Definitions& definitions, const IndexLayout& layout, SqlBuilder& sql,
                   storage::Backend backend)
      : definitions_(definitions), layout_(layout), sql_(sql), backend_(backend) {}

  // One query parameter `name` (with modifier and chain) = `value` on `type`.
  Result<Condition> Build(const std::string& type, const std::string& name,
                          const std::string& value, bool allow_chain) {
    std::string code = name;
    std::string chain;
    if (const size_t dot = code.find('.'); dot != std::string::npos) {
      if (!allow_chain) return Status::InvalidArgument("chains go one level deep", name);
      chain = code.substr(dot + 1);
      code = code.substr(0, dot);
    }
    std::string modifier;
    if (const size_t colon = code.find(':'); colon != std::string::npos) {
      modifier = code.substr(colon + 1);
      code = code.substr(0, colon);
    }
    if (code == "_id") return IdCondition(type, value, modifier, name);
    const SearchParameterDef* parameter = definitions_.SearchParameter(type, code);
    if (!parameter) {
      return Status::InvalidArgument("unknown search parameter " + code + " for " + type, name);
    }
    if (!layout_.Source(type, code)) {
      return Status::InvalidArgument("searching by " + code + " is not supported", name);
    }
    if (!chain.empty()) return ChainCondition(type, *parameter, modifier, chain, value, name);
    if (modifier == "missing") return MissingCondition(type, *parameter, value, name);
    switch (parameter->type) {
      case SearchParamType::kToken:
        return TokenCondition(type, code, value, modifier, name);
      case SearchParamType::kString:
        return StringCondition(type, code, value, modifier, name);
      case SearchParamType::kDate:
        return DateCondition(type, code, value, modifier, name);
      case SearchParamType::kReference:
        return ReferenceCondition(type, *parameter, value, modifier, name);
      case SearchParamType::kQuantity:
        return QuantityCondition(type, code, value, modifier, name);
      case SearchParamType::kNumber:
        return NumberCondition(type, code, value, modifier, name);
      case SearchParamType::kUri:
        return UriCondition(type, code, value, modifier, name);
      default:
        return Status::InvalidArgument("searching by " + code + " is not supported", name);
    }
  }

 private:
  static const char* TableFor(SearchParamType type) {
    switch (type) {
      case SearchParamType::kToken:
        return "search_token";
      case SearchParamType::kString:
        return "search_string";
      case SearchParamType::kDate:
        return "search_date";
      case SearchParamType::kReference:
        return "search_reference";
      case SearchParamType::kQuantity:
        return "search_quantity";
      case SearchParamType::kNumber:
        return "search_number";
      case SearchParamType::kUri:
        return "search_uri";
      default:
        return nullptr;
    }
  }

  // The rows of parameter `code` of `type` (see IndexLayout) that satisfy `predicate`.
  std::string Subquery(const char* table, const std::string& type, const std::string& code,
                       const std::string& predicate) {
    return std::string("SELECT x.rid FROM ") + table + " x WHERE " +
           ParamCondition(*layout_.Source(type, code), "x", sql_) + " AND (" + predicate + ")";
  }

  static Status NoModifier(const std::string& modifier, const std::string& name) {
    if (modifier.empty()) return Status::Ok();
    return Status::InvalidArgument("the modifier :" + modifier + " is not supported here", name);
  }

  Result<Condition> IdCondition(const std::string& type, const std::string& value,
                                const std::string& modifier, const std::string& name) {
    CUSTOS_RETURN_IF_ERROR(NoModifier(modifier, name));
    std::string in;
    for (const auto& id : SplitValues(value)) in += (in.empty() ? "" : ", ") + sql_.Bind(id);
    return Condition{"SELECT x.rid FROM resources x WHERE x.resource_type = " + sql_.Bind(type) +
                         " AND x.id IN (" + in + ")",
                     false, 0};
  }

  Result<Condition> MissingCondition(const std::string& type, const SearchParameterDef& parameter,
                                     const std::string& value, const std::string& name) {
    const char* table = TableFor(parameter.type);
    if (!table || (value != "true" && value != "false")) {
      return Status::InvalidArgument(":missing takes true or false", name);
    }
    // :missing=true keeps resources without any value: the negation of "has a value".
    return Condition{Subquery(table, type, parameter.code, "1=1"), value == "true", 8};
  }

  Result<Condition> TokenCondition(const std::string& type, const std::string& code,
                                   const std::string& value, const std::string& modifier,
                                   const std::string& name) {
    if (!modifier.empty() && modifier != "not") {
      return Status::InvalidArgument("the modifier :" + modifier + " is not supported for tokens",
                                     name);
    }
    std::string predicate;
    int rank = 3;
    for (const auto& alternative : SplitValues(value)) {
      std::string one;
      const size_t bar = alternative.find('|');
      if (bar == std::string::npos) {
        one = "x.code = " + sql_.Bind(alternative);
      } else {
        const std::string system = alternative.substr(0, bar);
        const std::string token = alternative.substr(bar + 1);
        if (token.empty()) {
          one = "x.system = " + sql_.Bind(system);
          rank = 6;
        } else {
          one = "x.code = " + sql_.Bind(token) + " AND x.system = " + sql_.Bind(system);
          rank = std::min(rank, 2);
        }
      }
      predicate += (predicate.empty() ? "(" : " OR (") + one + ")";
    }
    return Condition{Subquery("search_token", type, code, predicate), modifier == "not", rank};
  }

  Result<Condition> StringCondition(const std::string& type, const std::string& code,
                                    const std::string& value, const std::string& modifier,
                                    const std::string& name) {
    if (!modifier.empty() && modifier != "exact" && modifier != "contains") {
      return Status::InvalidArgument("the modifier :" + modifier + " is not supported for strings",
                                     name);
    }
    std::string predicate;
    for (const auto& alternative : SplitValues(value)) {
      std::string one;
      if (modifier == "exact") {
        one = "x.exact = " + sql_.Bind(alternative);
      } else if (modifier == "contains") {
        one = "x.normalized LIKE " +
              sql_.Bind("%" + LikeEscape(NormalizeForSearch(alternative)) + "%") + " ESCAPE '\\'";
      } else {
        // Starts with, on the folded form. SQLite compares bytes, so a range uses its index;
        // PostgreSQL's collation does not order bytes, so it uses LIKE on a pattern index.
        const std::string folded = NormalizeForSearch(alternative);
        if (backend_ == storage::Backend::kSqlite) {
          const std::string from = sql_.Bind(folded);
          one = "x.normalized >= " + from + " AND x.normalized < " + sql_.Bind(folded + "\xff");
        } else {
          one = "x.normalized LIKE " + sql_.Bind(LikeEscape(folded) + "%") + " ESCAPE '\\'";
        }
      }
      predicate += (predicate.empty() ? "(" : " OR (") + one + ")";
    }
    return Condition{Subquery("search_string", type, code, predicate), false,
                     modifier == "contains" ? 7 : 4};
  }

  Result<Condition> DateCondition(const std::string& type, const std::string& code,
                                  const std::string& value, const std::string& modifier,
                                  const std::string& name) {
    CUSTOS_RETURN_IF_ERROR(NoModifier(modifier, name));
    std::string predicate;
    for (const auto& alternative : SplitValues(value)) {
      const auto [prefix, text] = SplitPrefix(alternative);
      const auto range = DateValueRange(text);
      if (!range) return Status::InvalidArgument("not a FHIR date: " + text, name);
      predicate += (predicate.empty() ? "" : " OR ") +
                   DatePredicate(prefix, *range, sql_, "x.low", "x.high");
    }
    return Condition{Subquery("search_date", type, code, predicate), false, 5};
  }

  Result<Condition> ReferenceCondition(const std::string& type, const SearchParameterDef& parameter,
                                       const std::string& value, const std::string& modifier,
                                       const std::string& name) {
    std::string predicate;
    for (const auto& alternative : SplitValues(value)) {
      std::string target_type = modifier;
      std::string target_id = alternative;
      const size_t slash = alternative.rfind('/');
      if (slash != std::string::npos) {
        target_id = alternative.substr(slash + 1);
        const size_t before = alternative.rfind('/', slash - 1);
        target_type = alternative.substr(before == std::string::npos ? 0 : before + 1,
                                         slash - (before == std::string::npos ? 0 : before + 1));
      }
      if (!target_type.empty() && !definitions_.IsResourceType(target_type)) {
        return Status::InvalidArgument("unknown resource type " + target_type, name);
      }
      std::string one = "x.target_id = " + sql_.Bind(target_id);
      if (!target_type.empty()) one += " AND x.target_type = " + sql_.Bind(target_type);
      predicate += (predicate.empty() ? "(" : " OR (") + one + ")";
    }
    return Condition{Subquery("search_reference", type, parameter.code, predicate), false, 1};
  }

  Result<Condition> ChainCondition(const std::string& type, const SearchParameterDef& parameter,
                                   const std::string& modifier, const std::string& chain,
                                   const std::string& value, const std::string& name) {
    if (parameter.type != SearchParamType::kReference) {
      return Status::InvalidArgument(
          parameter.code + " is not a reference, so it cannot be chained", name);
    }
    std::string target = modifier;
    if (target.empty()) {
      if (parameter.targets.size() != 1) {
        return Status::InvalidArgument(parameter.code +
                                           " may point to several types: name one, e.g. " +
                                           parameter.code + ":Patient." + chain,
                                       name);
      }
      target = parameter.targets.front();
    }
    CUSTOS_ASSIGN_OR_RETURN(Condition inner, Build(target, chain, value, false));
    if (inner.negated) return Status::InvalidArgument("negated conditions cannot be chained", name);
    const std::string predicate =
        "x.target_type = " + sql_.Bind(target) +
        " AND x.target_id IN (SELECT t.id FROM resources t WHERE t.rid IN (" + inner.subquery +
        "))";
    return Condition{Subquery("search_reference", type, parameter.code, predicate), false,
                     inner.rank + 1};
  }

  Result<Condition> QuantityCondition(const std::string& type, const std::string& code,
                                      const std::string& value, const std::string& modifier,
                                      const std::string& name) {
    CUSTOS_RETURN_IF_ERROR(NoModifier(modifier, name));
    std::string predicate;
    for (const auto& alternative : SplitValues(value)) {
      // [prefix]number|system|code
      std::vector<std::string> parts;
      size_t start = 0;
      for (size_t bar = alternative.find('|'); bar != std::string::npos;
           bar = alternative.find('|', start)) {
        parts.push_back(alternative.substr(start, bar - start));
        start = bar + 1;
      }
      parts.push_back(alternative.substr(start));
      const auto [prefix, number] = SplitPrefix(parts[0]);
      bool ok = false;
      std::string one = NumberPredicate(prefix, number, sql_, "x.value", ok);
      if (!ok) return Status::InvalidArgument("not a number: " + number, name);
      if (parts.size() >= 3) {
        if (!parts[1].empty()) one += " AND x.system = " + sql_.Bind(parts[1]);
        if (!parts[2].empty())
          one +=
              " AND (x.code = " + sql_.Bind(parts[2]) + " OR x.unit = " + sql_.Bind(parts[2]) + ")";
      } else if (parts.size() == 2) {
        return Status::InvalidArgument("a quantity is number|system|code", name);
      }
      predicate += (predicate.empty() ? "(" : " OR (") + one + ")";
    }
    return Condition{Subquery("search_quantity", type, code, predicate), false, 5};
  }

  Result<Condition> NumberCondition(const std::string& type, const std::string& code,
                                    const std::string& value, const std::string& modifier,
                                    const std::string& name) {
    CUSTOS_RETURN_IF_ERROR(NoModifier(modifier, name));
    std::string predicate;
    for (const auto& alternative : SplitValues(value)) {
      const auto [prefix, number] = SplitPrefix(alternative);
      bool ok = false;
      const std::string one = NumberPredicate(prefix, number, sql_, "x.value", ok);
      if (!ok) return Status::InvalidArgument("not a number: " + number, name);
      predicate += (predicate.empty() ? "" : " OR ") + one;
    }
    return Condition{Subquery("search_number", type, code, predicate), false, 5};
  }

  Result<Condition> UriCondition(const std::string& type, const std::string& code,
                                 const std::string& value, const std::string& modifier,
                                 const std::string& name) {
    CUSTOS_RETURN_IF_ERROR(NoModifier(modifier, name));
    std::string in;
    for (const auto& uri : SplitValues(value)) in += (in.empty() ? "" : ", ") + sql_.Bind(uri);
    return Condition{Subquery("search_uri", type, code, "x.uri IN (" + in + ")"), false, 3};
  }

  const Definitions& definitions_;
  const IndexLayout& layout_;
  SqlBuilder& sql_;
  storage::Backend backend_;
};

// The stored resource's columns (kResourceColumns), then its row id.
const std::string kSelectColumns = std::string(kResourceColumns) + ", r.rid";

Result<StoredResource> ResourceFromRow(const storage::Row& row) {
  return StoredResourceFromRow(row);
}

struct Include {
  std::string source_type;
  std::string param;
  std::string target_type;              // may be empty
  const ParamSource* source = nullptr;  // where the parameter's rows are
};

Result<Include> ParseInclude(const Definitions& definitions, const IndexLayout& layout,
                             const std::string& value, const std::string& name) {
  Include include;
  const size_t first = value.find(':');
  if (first == std::string::npos)
    return Status::InvalidArgument("use Type:parameter[:TargetType]", name);
  include.source_type = value.substr(0, first);
  const size_t second = value.find(':', first + 1);
  include.param =
      value.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
  if (second != std::string::npos) include.target_type = value.substr(second + 1);
  const SearchParameterDef* parameter =
      definitions.SearchParameter(include.source_type, include.param);
  include.source = layout.Source(include.source_type, include.param);
  if (!parameter || parameter->type != SearchParamType::kReference || !include.source) {
    return Status::InvalidArgument(
        include.source_type + ":" + include.param + " is not a reference parameter", name);
  }
  return include;
}

}  // namespace

// WHERE clause of a plain search (no paging, sorting or includes): the matching current resources.
Result<std::string> PlainWhere(const Definitions& definitions, const IndexLayout& layout,
                               storage::Backend backend, const std::string& type,
                               const QueryParameters& parameters, SqlBuilder& sql) {
  ConditionBuilder builder(definitions, layout, sql, backend);
  std::string where = "r.resource_type = " + sql.Bind(type) + " AND r.deleted = 0";
  for (const auto& [name, value] : parameters) {
    CUSTOS_ASSIGN_OR_RETURN(Condition condition, builder.Build(type, name, value, true));
    where += std::string(condition.negated ? " AND NOT EXISTS (" : " AND EXISTS (") +
             condition.subquery + " AND x.rid = r.rid)";
  }
  return where;
}

Result<std::vector<std::string>> Search::MatchIds(storage::Transaction& tx,
                                                  const std::string& resource_type,
                                                  const QueryParameters& parameters) const {
  SqlBuilder sql;
  CUSTOS_ASSIGN_OR_RETURN(const std::string where, PlainWhere(definitions_, *layout_, tx.backend(),
                                                              resource_type, parameters, sql));
  std::vector<std::string> ids;
  CUSTOS_RETURN_IF_ERROR(tx.Query("SELECT r.id FROM resources r WHERE " + where + " LIMIT 2",
                                  sql.params, [&](const storage::Row& row) {
                                    ids.push_back(row.String(0));
                                    return true;
                                  }));
  return ids;
}

Search::Search(storage::Database& database, audit::AuditSink& audit, const Definitions& definitions)
    : database_(database),
      audit_(audit),
      definitions_(definitions),
      layout_(IndexLayout::For(definitions)) {}

Result<SearchResult> Search::Run(const RequestContext& context, const std::string& resource_type,
                                 const QueryParameters& parameters) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, auth::Permission::kClinicalRead));
  SearchResult result;
  result.count = kDefaultCount;
  SqlBuilder sql;
  ConditionBuilder builder(definitions_, *layout_, sql, database_.backend());
  std::vector<Condition> conditions;
  std::vector<std::string> order;
  std::vector<Include> includes;
  std::vector<Include> revincludes;
  std::string last_updated_predicate;

  for (const auto& [name, value] : parameters) {
    if (name == "_count") {
      int count = 0;
      const auto [ptr, error] = std::from_chars(value.data(), value.data() + value.size(), count);
      if (error != std::errc() || ptr != value.data() + value.size() || count < 0 ||
          count > kMaxCount) {
        return Status::InvalidArgument(
            "_count must be a whole number from 0 to " + std::to_string(kMaxCount), "_count");
      }
      result.count = count;
    } else if (name == "_offset") {
      const auto [ptr, error] =
          std::from_chars(value.data(), value.data() + value.size(), result.offset);
      if (error != std::errc() || ptr != value.data() + value.size() || result.offset < 0) {
        return Status::InvalidArgument("_offset must be a whole number", "_offset");
      }
      continue;  // not repeated in paging links
    } else if (name == "_summary") {
      if (value != "count")
        return Status::InvalidArgument("only _summary=count is supported", "_summary");
      result.summary_count = true;
    } else if (name == "_elements") {
      for (const auto& element : SplitValues(value)) result.elements.push_back(element);
    } else if (name == "_sort") {
      for (auto key : SplitValues(value)) {
        const bool descending = !key.empty() && key[0] == '-';
        if (descending) key.erase(0, 1);
        std::string expression;
        if (key == "_id") {
          expression = "r.id";
        } else if (key == "_lastUpdated") {
          expression = "r.last_updated";
        } else {
          const SearchParameterDef* parameter = definitions_.SearchParameter(resource_type, key);
          if (!parameter)
            return Status::InvalidArgument("cannot sort by unknown parameter " + key, "_sort");
          const ParamSource* source = layout_->Source(resource_type, key);
          static const std::map<SearchParamType, std::pair<const char*, const char*>> kSortColumns =
              {{SearchParamType::kDate, {"search_date", "low"}},
               {SearchParamType::kString, {"search_string", "normalized"}},
               {SearchParamType::kToken, {"search_token", "code"}},
               {SearchParamType::kNumber, {"search_number", "value"}},
               {SearchParamType::kQuantity, {"search_quantity", "value"}},
               {SearchParamType::kUri, {"search_uri", "uri"}},
               {SearchParamType::kReference, {"search_reference", "target_id"}}};
          const auto column = kSortColumns.find(parameter->type);
          if (column == kSortColumns.end() || !source)
            return Status::InvalidArgument("cannot sort by " + key, "_sort");
          // A restriction's target type is bound later, into the page query only (the count has
          // no ORDER BY).
          expression =
              std::string("(SELECT MIN(s.") + column->second.second + ") FROM " +
              column->second.first + " s WHERE s.rid = r.rid AND " +
              ParamCondition(ParamSource{source->param_ids, ""}, "s", sql) +
              (source->target_type.empty() ? ""
                                           : " AND s.target_type = @" + source->target_type + "@") +
              ")";
        }
        order.push_back(expression + (descending ? " DESC" : " ASC"));
      }
    } else if (name == "_include") {
      CUSTOS_ASSIGN_OR_RETURN(Include include, ParseInclude(definitions_, *layout_, value, name));
      if (include.source_type != resource_type) {
        return Status::InvalidArgument("_include must start with " + resource_type, name);
      }
      includes.push_back(include);
    } else if (name == "_revinclude") {
      CUSTOS_ASSIGN_OR_RETURN(Include include, ParseInclude(definitions_, *layout_, value, name));
      revincludes.push_back(include);
    } else if (name == "_lastUpdated") {
      for (const auto& alternative : SplitValues(value)) {
        const auto [prefix, text] = SplitPrefix(alternative);
        const auto range = DateValueRange(text);
        if (!range) return Status::InvalidArgument("not a FHIR date: " + text, name);
        const std::string predicate = InstantPredicate(prefix, *range, sql, "r.last_updated");
        last_updated_predicate += (last_updated_predicate.empty() ? "" : " OR ") + predicate;
      }
    } else if (name == "_format" || name == "_pretty") {
      continue;
    } else {
      CUSTOS_ASSIGN_OR_RETURN(Condition condition, builder.Build(resource_type, name, value, true));
      conditions.push_back(std::move(condition));
    }
    result.paging_parameters.emplace_back(name, value);
  }

  // The most selective positive condition drives the query; the others filter its rows.
  std::stable_sort(conditions.begin(), conditions.end(),
                   [](const Condition& a, const Condition& b) {
                     return (a.negated ? 100 : a.rank) < (b.negated ? 100 : b.rank);
                   });
  std::string where = "r.resource_type = " + sql.Bind(resource_type) + " AND r.deleted = 0";
  for (size_t i = 0; i < conditions.size(); ++i) {
    const Condition& condition = conditions[i];
    if (i == 0 && !condition.negated) {
      where += " AND r.rid IN (" + condition.subquery + ")";
    } else {
      where += std::string(condition.negated ? " AND NOT EXISTS (" : " AND EXISTS (") +
               condition.subquery + " AND x.rid = r.rid)";
    }
  }
  if (!last_updated_predicate.empty()) where += " AND (" + last_updated_predicate + ")";

  std::vector<std::pair<std::int64_t, StoredResource>> page;
  Status failure;  // a stored resource that could not be read
  {
    CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kReadOnly));
    if (tx->backend() == storage::Backend::kPostgres) {
      // The same search statement runs for a patient with five observations and one with fifty
      // thousand. After five runs PostgreSQL may settle on one generic plan for all values,
      // which was 10x slower here than planning each run (well under a millisecond).
      CUSTOS_RETURN_IF_ERROR(tx->ExecuteScript("SET LOCAL plan_cache_mode = force_custom_plan"));
    }
    const std::string from = "FROM resources r";
    CUSTOS_ASSIGN_OR_RETURN(
        result.total, tx->QueryInt("SELECT COUNT(*) " + from + " WHERE " + where, sql.params));
    if (!result.summary_count && result.count > 0) {
      SqlBuilder page_sql = sql;
      std::string order_by = order.empty() ? "r.rid ASC" : "";
      for (std::string key : order) {
        if (const size_t at = key.find('@'); at != std::string::npos) {
          const size_t end = key.find('@', at + 1);
          key.replace(at, end - at + 1, page_sql.Bind(key.substr(at + 1, end - at - 1)));
        }
        order_by += (order_by.empty() ? "" : ", ") + key;
      }
      if (!order.empty()) order_by += ", r.rid ASC";
      const std::string limit = page_sql.Bind(std::int64_t{result.count});
      const std::string offset = page_sql.Bind(std::int64_t{result.offset});
      CUSTOS_RETURN_IF_ERROR(
          tx->Query("SELECT " + std::string(kSelectColumns) +
                        " FROM resources r JOIN resource_versions v ON v.rid = r.rid AND "
                        "v.version = r.version WHERE " +
                        where + " ORDER BY " + order_by + " LIMIT " + limit + " OFFSET " + offset,
                    page_sql.params, [&](const storage::Row& row) {
                      auto resource = ResourceFromRow(row);
                      if (!resource.ok()) {
                        failure = resource.status();
                        return false;
                      }
                      page.emplace_back(row.Int(kResourceColumnCount), std::move(resource).value());
                      return true;
                    }));
      CUSTOS_RETURN_IF_ERROR(failure);
    }
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& [rid, resource] : page) seen.emplace(resource.resource_type, resource.id);
    auto add_included = [&](const storage::Row& row) {
      auto read = ResourceFromRow(row);
      if (!read.ok()) {
        failure = read.status();
        return false;
      }
      StoredResource resource = std::move(read).value();
      if (seen.emplace(resource.resource_type, resource.id).second)
        result.included.push_back(std::move(resource));
      return true;
    };
    if (!page.empty()) {
      for (const Include& include : includes) {
        SqlBuilder q;
        std::string rids;
        for (const auto& [rid, resource] : page) rids += (rids.empty() ? "" : ", ") + q.Bind(rid);
        std::string statement =
            "SELECT " + std::string(kSelectColumns) +
            " FROM search_reference s JOIN resources r ON r.resource_type = s.target_type AND "
            "r.id = s.target_id JOIN resource_versions v ON v.rid = r.rid AND v.version = "
            "r.version WHERE s.rid IN (" +
            rids + ") AND " + ParamCondition(*include.source, "s", q) + " AND r.deleted = 0";
        if (!include.target_type.empty())
          statement += " AND s.target_type = " + q.Bind(include.target_type);
        CUSTOS_RETURN_IF_ERROR(tx->Query(statement, q.params, add_included));
        CUSTOS_RETURN_IF_ERROR(failure);
      }
      for (const Include& include : revincludes) {
        SqlBuilder q;
        std::string ids;
        for (const auto& [rid, resource] : page)
          ids += (ids.empty() ? "" : ", ") + q.Bind(resource.id);
        const std::string statement =
            "SELECT " + std::string(kSelectColumns) +
            " FROM search_reference s JOIN resources r ON r.rid = s.rid JOIN resource_versions v "
            "ON v.rid = r.rid "
            "AND v.version = r.version WHERE " +
            ParamCondition(*include.source, "s", q) +
            " AND s.target_type = " + q.Bind(resource_type) + " AND s.target_id IN (" + ids +
            ") AND r.deleted = 0 ORDER BY r.rid";
        CUSTOS_RETURN_IF_ERROR(tx->Query(statement, q.params, add_included));
        CUSTOS_RETURN_IF_ERROR(failure);
      }
    }
  }
  for (auto& [rid, resource] : page) result.matches.push_back(std::move(resource));

  // Whose data was returned goes on the audit trail, one event per patient.
  std::set<std::string> patients;
  for (const auto* list : {&result.matches, &result.included}) {
    for (const auto& resource : *list) {
      if (resource.patient_id) patients.insert(*resource.patient_id);
    }
  }
  Json query = Json::object();
  for (const auto& [name, value] : parameters) query[name] = value;
  auto event = [&](std::optional<std::string> patient) {
    audit::AuditEvent e = audit::AuditEvent::For(context, "resource.search", resource_type, "");
    if (patient) e.WithPatient(*patient);
    e.WithDetails({{"query", query},
                   {"total", result.total},
                   {"returned", result.matches.size() + result.included.size()}});
    return e;
  };
  std::vector<audit::AuditEvent> events;
  if (patients.empty()) {
    events.push_back(event(std::nullopt));
  } else {
    for (const auto& patient : patients) events.push_back(event(patient));
  }
  CUSTOS_RETURN_IF_ERROR(audit::RecordRead(database_, audit_, context, std::move(events)));
  return result;
}

}  // namespace custos::clinical
