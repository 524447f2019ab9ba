#include "custos/clinical/index_layout.h"

#include <algorithm>

namespace custos::clinical {

namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

// "(A)" → "A" when the parentheses enclose the whole term.
std::string_view StripOuterParentheses(std::string_view term) {
  while (term.size() >= 2 && term.front() == '(' && term.back() == ')') {
    int depth = 0;
    bool encloses = true;
    for (std::size_t i = 0; i < term.size(); ++i) {
      if (term[i] == '(') ++depth;
      if (term[i] == ')') --depth;
      if (depth == 0 && i + 1 < term.size()) {
        encloses = false;
        break;
      }
    }
    if (!encloses) break;
    term = Trim(term.substr(1, term.size() - 2));
  }
  return term;
}

// The alternatives of an expression: its terms separated by `|` outside parentheses and quotes,
// sorted, without repeats. "(A) | B" → {"A", "B"}.
std::vector<std::string> Terms(std::string_view expression) {
  std::vector<std::string> terms;
  int depth = 0;
  bool quoted = false;
  std::size_t start = 0;
  auto add = [&](std::size_t end) {
    terms.emplace_back(StripOuterParentheses(Trim(expression.substr(start, end - start))));
  };
  for (std::size_t i = 0; i < expression.size(); ++i) {
    const char c = expression[i];
    if (c == '\'') quoted = !quoted;
    if (quoted) continue;
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == '|' && depth == 0) {
      add(i);
      start = i + 1;
    }
  }
  add(expression.size());
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  return terms;
}

bool IsSubset(const std::vector<std::string>& part, const std::vector<std::string>& whole) {
  return std::includes(whole.begin(), whole.end(), part.begin(), part.end());
}

constexpr std::string_view kRestriction = ".where(resolve() is ";

// "X.where(resolve() is T)" → ("X", "T"); empty when the term is not such a restriction.
std::pair<std::string, std::string> SplitRestriction(const std::vector<std::string>& terms) {
  if (terms.size() != 1 || !terms[0].ends_with(")")) return {};
  const std::string& term = terms[0];
  const std::size_t at = term.rfind(kRestriction);
  if (at == std::string::npos) return {};
  return {term.substr(0, at),
          term.substr(at + kRestriction.size(), term.size() - at - kRestriction.size() - 1)};
}

struct Candidate {
  const SearchParameterDef* parameter;
  std::vector<std::string> terms;
  bool decided = false;
  ParamSource source;
};

}  // namespace

std::int32_t ParamId(std::string_view resource_type, std::string_view code) {
  std::uint32_t hash = 2166136261u;
  auto mix = [&hash](std::string_view text) {
    for (const char c : text) {
      hash ^= static_cast<unsigned char>(c);
      hash *= 16777619u;
    }
  };
  mix(resource_type);
  mix(".");
  mix(code);
  return static_cast<std::int32_t>(hash & 0x7fffffffu);
}

const IndexLayout& IndexLayout::R4() {
  static const IndexLayout* const kLayout = new IndexLayout(Definitions::R4());
  return *kLayout;
}

std::shared_ptr<const IndexLayout> IndexLayout::For(const Definitions& definitions) {
  if (&definitions == &Definitions::R4()) {
    return std::shared_ptr<const IndexLayout>(&R4(), [](const IndexLayout*) {});
  }
  return std::make_shared<const IndexLayout>(definitions);
}

IndexLayout::IndexLayout(const Definitions& definitions) {
  for (const std::string& type : definitions.StoredResourceTypes()) {
    std::vector<Candidate> candidates;
    for (const SearchParameterDef& parameter : definitions.SearchParameters(type)) {
      if (parameter.code == "_id" || parameter.code == "_lastUpdated" ||
          parameter.type == SearchParamType::kComposite ||
          parameter.type == SearchParamType::kSpecial || parameter.expression.empty()) {
        continue;
      }
      candidates.push_back({&parameter, Terms(parameter.expression)});
    }
    // Fewer alternatives first, so that a union is decided after its parts, and restrictions
    // last, after what they restrict; the definitions' order breaks ties, so of two identical
    // parameters the first keeps the rows.
    std::vector<Candidate*> order;
    for (Candidate& candidate : candidates) order.push_back(&candidate);
    auto rank = [](const Candidate* c) {
      const bool restriction = c->parameter->type == SearchParamType::kReference &&
                               !SplitRestriction(c->terms).first.empty();
      return std::make_pair(restriction, c->terms.size());
    };
    std::stable_sort(order.begin(), order.end(),
                     [&](const Candidate* a, const Candidate* b) { return rank(a) < rank(b); });
    auto& stored = stored_[type];
    auto& sources = sources_[type];
    for (Candidate* candidate : order) {
      const SearchParameterDef& parameter = *candidate->parameter;
      // Decided parameters of the same search type whose alternatives are all among this one's.
      std::vector<std::string> covered;
      std::vector<std::int32_t> ids;
      for (const Candidate* part : order) {
        if (!part->decided || part->parameter->type != parameter.type ||
            !part->source.target_type.empty() || !IsSubset(part->terms, candidate->terms)) {
          continue;
        }
        covered.insert(covered.end(), part->terms.begin(), part->terms.end());
        for (std::int32_t id : part->source.param_ids) {
          if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
        }
      }
      std::sort(covered.begin(), covered.end());
      covered.erase(std::unique(covered.begin(), covered.end()), covered.end());
      if (!ids.empty() && covered == candidate->terms) {
        candidate->source.param_ids = std::move(ids);  // the same values, already written
      } else if (const auto [base_term, target] = SplitRestriction(candidate->terms);
                 parameter.type == SearchParamType::kReference && !base_term.empty()) {
        for (const Candidate* base : order) {
          if (base->decided && base->parameter->type == SearchParamType::kReference &&
              base->source.target_type.empty() && base->terms.size() == 1 &&
              base->terms[0] == base_term) {
            candidate->source.param_ids = base->source.param_ids;
            candidate->source.target_type = target;
            break;
          }
        }
      }
      if (candidate->source.param_ids.empty()) {
        candidate->source.param_ids = {ParamId(type, parameter.code)};
        stored.push_back(parameter);
      }
      candidate->decided = true;
      sources[parameter.code] = candidate->source;
    }
    // Extraction follows the definitions' order (tests and index rows read more naturally).
    std::vector<SearchParameterDef> in_order;
    for (const SearchParameterDef& parameter : definitions.SearchParameters(type)) {
      for (const SearchParameterDef& kept : stored) {
        if (kept.code == parameter.code) in_order.push_back(kept);
      }
    }
    stored = std::move(in_order);
  }
}

const std::vector<SearchParameterDef>& IndexLayout::StoredParameters(
    std::string_view resource_type) const {
  static const std::vector<SearchParameterDef> kNone;
  const auto it = stored_.find(resource_type);
  return it == stored_.end() ? kNone : it->second;
}

const ParamSource* IndexLayout::Source(std::string_view resource_type,
                                       std::string_view code) const {
  const auto type = sources_.find(resource_type);
  if (type == sources_.end()) return nullptr;
  const auto it = type->second.find(code);
  return it == type->second.end() ? nullptr : &it->second;
}

}  // namespace custos::clinical
