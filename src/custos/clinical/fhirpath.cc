// The FHIRPath subset compiles to a small tree of Nodes. Evaluation streams values depth-first
// through callbacks (a `Sink`), so navigating `Observation.component.value` visits each value
// once without building intermediate collections; only the caller's result vector allocates.
//
// Semantics follow FHIRPath N1 (http://hl7.org/fhirpath/N1) where the search parameters need
// them: an expression that starts with a type name (`Observation.code`) selects the focus only
// when it is a resource of that type (or `Resource`/`DomainResource`), so a `|` union written
// across several types applies only its own branches; choice elements are found by their
// suffixed JSON names (`value` → `valueQuantity`, type "Quantity"); booleans use three-valued
// logic with the empty collection as "unknown".
#include "custos/clinical/fhirpath.h"

#include "custos/core/json.h"

#include <array>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace custos::clinical {
namespace {

enum class NodeKind {
  kFocus,      // $this: the item the expression is evaluated on
  kTypeRoot,   // a leading type name: the focus when it is a resource of that type
  kMember,     // input.name (choice-aware)
  kUnion,      // input | operand
  kWhere,      // input.where(operand)
  kAsType,     // input as T, input.as(T), input.ofType(T)
  kIsType,     // input is T, input.is(T)
  kResolve,    // input.resolve(): only allowed as the input of `is`
  kResolveIs,  // input.resolve() is T
  kExists,     // input.exists([operand])
  kEmpty,      // input.empty()
  kNot,        // input.not()
  kFirst,      // input.first()
  kExtension,  // input.extension('url')
  kIndex,      // input[index]
  kEquals,     // input = operand
  kNotEquals,  // input != operand
  kAnd,        // input and operand
  kOr,         // input or operand
  kLiteral,    // 'text', 12, true
};

}  // namespace

struct FhirPath::Node {
  NodeKind kind = NodeKind::kFocus;
  std::string text;  // member name, type name or extension url
  std::unique_ptr<Node> input;
  std::unique_ptr<Node> operand;
  // kLiteral only: the literal as JSON text and parsed (the document reads `literal_text`).
  std::string literal_text;
  JsonDocument literal;
  std::size_t index = 0;   // kIndex only
  bool has_union = false;  // root only: the result may hold a value twice
};

namespace {

using Node = FhirPath::Node;

// A value while evaluating; `type` views a static string or the JSON key it came from.
struct Item {
  JsonValue value;
  std::string_view type;
};

// A non-owning callable reference (the callbacks live on the caller's stack for the whole call).
class Sink {
 public:
  template <typename F>
  Sink(F&& function)  // NOLINT(google-explicit-constructor)
      : object_(const_cast<void*>(static_cast<const void*>(&function))),
        call_([](void* object, const Item& item) {
          return (*static_cast<std::remove_reference_t<F>*>(object))(item);
        }) {}
  // Returns false when the receiver wants no more values.
  bool operator()(const Item& item) const { return call_(object_, item); }

 private:
  void* object_;
  bool (*call_)(void*, const Item&);
};

enum class Tri { kEmpty, kFalse, kTrue };

JsonValue BoolJson(bool value) {
  static const JsonDocument* const kTrue = [] {
    auto* document = new JsonDocument();
    CUSTOS_CHECK(document->Parse("true").ok());
    return document;
  }();
  static const JsonDocument* const kFalse = [] {
    auto* document = new JsonDocument();
    CUSTOS_CHECK(document->Parse("false").ok());
    return document;
  }();
  return value ? kTrue->root() : kFalse->root();
}

// The FHIR R4 types a choice element ([x]) may take, by the suffix of its JSON name. Primitive
// types are spelled with a capital in the suffix (valueDateTime) and in lower camel case as types.
struct ChoiceType {
  std::string_view suffix;
  std::string_view type;
};
constexpr std::array kChoiceTypes = {
    ChoiceType{"Base64Binary", "base64Binary"},
    ChoiceType{"Boolean", "boolean"},
    ChoiceType{"Canonical", "canonical"},
    ChoiceType{"Code", "code"},
    ChoiceType{"Date", "date"},
    ChoiceType{"DateTime", "dateTime"},
    ChoiceType{"Decimal", "decimal"},
    ChoiceType{"Id", "id"},
    ChoiceType{"Instant", "instant"},
    ChoiceType{"Integer", "integer"},
    ChoiceType{"Markdown", "markdown"},
    ChoiceType{"Oid", "oid"},
    ChoiceType{"PositiveInt", "positiveInt"},
    ChoiceType{"String", "string"},
    ChoiceType{"Time", "time"},
    ChoiceType{"UnsignedInt", "unsignedInt"},
    ChoiceType{"Uri", "uri"},
    ChoiceType{"Url", "url"},
    ChoiceType{"Uuid", "uuid"},
    ChoiceType{"Address", "Address"},
    ChoiceType{"Age", "Age"},
    ChoiceType{"Annotation", "Annotation"},
    ChoiceType{"Attachment", "Attachment"},
    ChoiceType{"CodeableConcept", "CodeableConcept"},
    ChoiceType{"Coding", "Coding"},
    ChoiceType{"ContactPoint", "ContactPoint"},
    ChoiceType{"Count", "Count"},
    ChoiceType{"Distance", "Distance"},
    ChoiceType{"Duration", "Duration"},
    ChoiceType{"HumanName", "HumanName"},
    ChoiceType{"Identifier", "Identifier"},
    ChoiceType{"Money", "Money"},
    ChoiceType{"Period", "Period"},
    ChoiceType{"Quantity", "Quantity"},
    ChoiceType{"Range", "Range"},
    ChoiceType{"Ratio", "Ratio"},
    ChoiceType{"Reference", "Reference"},
    ChoiceType{"SampledData", "SampledData"},
    ChoiceType{"Signature", "Signature"},
    ChoiceType{"Timing", "Timing"},
    ChoiceType{"ContactDetail", "ContactDetail"},
    ChoiceType{"Contributor", "Contributor"},
    ChoiceType{"DataRequirement", "DataRequirement"},
    ChoiceType{"Expression", "Expression"},
    ChoiceType{"ParameterDefinition", "ParameterDefinition"},
    ChoiceType{"RelatedArtifact", "RelatedArtifact"},
    ChoiceType{"TriggerDefinition", "TriggerDefinition"},
    ChoiceType{"UsageContext", "UsageContext"},
    ChoiceType{"Dosage", "Dosage"},
    ChoiceType{"Meta", "Meta"},
};

std::string_view ChoiceTypeOf(std::string_view suffix) {
  for (const ChoiceType& choice : kChoiceTypes) {
    if (choice.suffix == suffix) return choice.type;
  }
  return {};
}

// FHIR type specialisations that FHIRPath's `as`/`is` accept for their base type.
struct Specialization {
  std::string_view type;
  std::string_view base;
};
constexpr std::array kSpecializations = {
    Specialization{"Age", "Quantity"},
    Specialization{"Count", "Quantity"},
    Specialization{"Distance", "Quantity"},
    Specialization{"Duration", "Quantity"},
    Specialization{"SimpleQuantity", "Quantity"},
    Specialization{"MoneyQuantity", "Quantity"},
    Specialization{"code", "string"},
    Specialization{"id", "string"},
    Specialization{"markdown", "string"},
    Specialization{"url", "uri"},
    Specialization{"canonical", "uri"},
    Specialization{"oid", "uri"},
    Specialization{"uuid", "uri"},
    Specialization{"positiveInt", "integer"},
    Specialization{"unsignedInt", "integer"},
};

bool IsResourceBaseType(std::string_view type) {
  return type == "Resource" || type == "DomainResource";
}

std::string_view ResourceTypeOf(const JsonValue& value) {
  return value.find("resourceType").string();
}

bool TypeMatches(const Item& item, std::string_view type) {
  if (!item.type.empty()) {
    if (item.type == type) return true;
    for (const Specialization& specialization : kSpecializations) {
      if (specialization.type == item.type && specialization.base == type) return true;
    }
    return IsResourceBaseType(type) && !ResourceTypeOf(item.value).empty();
  }
  std::string_view resource_type = ResourceTypeOf(item.value);
  if (!resource_type.empty()) return resource_type == type || IsResourceBaseType(type);
  // The type of a plain element is not tracked; accept it when its JSON shape can be that type.
  bool primitive_type = !type.empty() && std::islower(static_cast<unsigned char>(type[0]));
  return primitive_type ? item.value.is_primitive() : item.value.is_object();
}

// The resource type a Reference (or a reference/canonical string) points to: its `type`, else the
// type segment of "Type/id", "Type/id/_history/v" or an absolute URL ending in one of them.
std::string_view ReferenceTargetType(const JsonValue& value) {
  JsonValue reference = value;
  if (value.is_object()) {
    if (const JsonValue type = value.find("type"); type.is_string()) return type.string();
    reference = value.find("reference");
  }
  if (!reference.is_string()) return {};
  std::string_view text = reference.string();
  if (text.starts_with("urn:") || text.starts_with("#")) return {};
  text = text.substr(0, text.find('|'));
  std::array<std::string_view, 4> last{};  // the last segments, last[0] the final one
  std::size_t count = 0;
  while (!text.empty() && count < last.size()) {
    std::size_t slash = text.rfind('/');
    last[count++] = slash == std::string_view::npos ? text : text.substr(slash + 1);
    text = slash == std::string_view::npos ? std::string_view() : text.substr(0, slash);
  }
  std::string_view type =
      count >= 4 && last[1] == "_history" ? last[3] : (count >= 2 ? last[1] : std::string_view());
  if (type.empty() || !std::isupper(static_cast<unsigned char>(type[0]))) return {};
  for (char c : type) {
    if (!std::isalpha(static_cast<unsigned char>(c))) return {};
  }
  return type;
}

bool YieldAll(const JsonValue& value, std::string_view type, const Sink& sink) {
  if (value.is_array()) {
    for (const JsonValue element : value.children()) {
      if (!element.is_null() && !sink(Item{element, type})) return false;
    }
    return true;
  }
  if (value.is_null()) return true;
  return sink(Item{value, type});
}

// The children called `name` of an item, including choice elements (`value` → `valueQuantity`),
// in one pass over the members (objects are small).
bool Children(const Item& item, std::string_view name, const Sink& sink) {
  if (!item.value.is_object() || name.empty()) return true;
  for (const JsonValue child : item.value.children()) {
    const std::string_view key = child.key();
    if (key.size() < name.size() || key[0] != name[0] || key.compare(0, name.size(), name) != 0) {
      continue;
    }
    if (key.size() == name.size()) {
      if (!YieldAll(child, {}, sink)) return false;
      continue;
    }
    std::string_view type = ChoiceTypeOf(key.substr(name.size()));
    if (!type.empty() && !YieldAll(child, type, sink)) return false;
  }
  return true;
}

bool Eval(const Node& node, const Item& focus, const Sink& sink);
Tri Truth(const Node& node, const Item& focus);

// Up to kMaxCompared values of a collection, and how many it had in all.
constexpr std::size_t kMaxCompared = 4;
struct Collected {
  std::array<JsonValue, kMaxCompared> values{};
  std::size_t count = 0;
};

Collected Collect(const Node& node, const Item& focus) {
  Collected collected;
  Eval(node, focus, [&](const Item& item) {
    if (collected.count < kMaxCompared) collected.values[collected.count] = item.value;
    ++collected.count;
    return true;
  });
  return collected;
}

// FHIRPath `=`: empty when either side is empty; otherwise item-wise equality in order.
Tri Equal(const Node& left, const Node& right, const Item& focus) {
  Collected a = Collect(left, focus);
  if (a.count == 0) return Tri::kEmpty;
  Collected b = Collect(right, focus);
  if (b.count == 0) return Tri::kEmpty;
  if (a.count != b.count || a.count > kMaxCompared) return Tri::kFalse;
  for (std::size_t i = 0; i < a.count; ++i) {
    if (!a.values[i].Equals(b.values[i])) return Tri::kFalse;
  }
  return Tri::kTrue;
}

// The first item of a collection, if any.
bool First(const Node& node, const Item& focus, Item* first) {
  bool found = false;
  Eval(node, focus, [&](const Item& item) {
    *first = item;
    found = true;
    return false;
  });
  return found;
}

Tri FromBool(bool value) { return value ? Tri::kTrue : Tri::kFalse; }

Tri Truth(const Node& node, const Item& focus) {
  switch (node.kind) {
    case NodeKind::kExists:
    case NodeKind::kEmpty: {
      bool any = false;
      Eval(*node.input, focus, [&](const Item& item) {
        if (node.operand != nullptr && Truth(*node.operand, item) != Tri::kTrue) return true;
        any = true;
        return false;
      });
      return FromBool(node.kind == NodeKind::kExists ? any : !any);
    }
    case NodeKind::kNot: {
      Tri value = Truth(*node.input, focus);
      if (value == Tri::kEmpty) return value;
      return value == Tri::kTrue ? Tri::kFalse : Tri::kTrue;
    }
    case NodeKind::kEquals:
      return Equal(*node.input, *node.operand, focus);
    case NodeKind::kNotEquals: {
      Tri equal = Equal(*node.input, *node.operand, focus);
      if (equal == Tri::kEmpty) return equal;
      return equal == Tri::kTrue ? Tri::kFalse : Tri::kTrue;
    }
    case NodeKind::kAnd: {
      Tri left = Truth(*node.input, focus);
      if (left == Tri::kFalse) return left;
      Tri right = Truth(*node.operand, focus);
      if (right == Tri::kFalse) return right;
      return left == Tri::kTrue && right == Tri::kTrue ? Tri::kTrue : Tri::kEmpty;
    }
    case NodeKind::kOr: {
      Tri left = Truth(*node.input, focus);
      if (left == Tri::kTrue) return left;
      Tri right = Truth(*node.operand, focus);
      if (right == Tri::kTrue) return right;
      return left == Tri::kFalse && right == Tri::kFalse ? Tri::kFalse : Tri::kEmpty;
    }
    case NodeKind::kIsType: {
      Item first;
      if (!First(*node.input, focus, &first)) return Tri::kEmpty;
      return FromBool(TypeMatches(first, node.text));
    }
    case NodeKind::kResolveIs: {
      Item first;
      if (!First(*node.input, focus, &first)) return Tri::kEmpty;
      return FromBool(ReferenceTargetType(first.value) == node.text);
    }
    default: {
      // A collection in a boolean context: a single boolean is itself; any other value is true.
      Item first;
      if (!First(node, focus, &first)) return Tri::kEmpty;
      if (first.value.is_bool()) return FromBool(first.value.boolean());
      return Tri::kTrue;
    }
  }
}

bool Eval(const Node& node, const Item& focus, const Sink& sink) {
  switch (node.kind) {
    case NodeKind::kFocus:
      return sink(focus);
    case NodeKind::kTypeRoot: {
      // Evaluate() passes the resource's type with the root, saving a lookup per expression.
      std::string_view resource_type =
          focus.type.empty() ? ResourceTypeOf(focus.value) : focus.type;
      if (resource_type.empty()) return true;
      if (resource_type != node.text && !IsResourceBaseType(node.text)) return true;
      return sink(Item{focus.value, resource_type});
    }
    case NodeKind::kMember:
      return Eval(*node.input, focus,
                  [&](const Item& item) { return Children(item, node.text, sink); });
    case NodeKind::kUnion:
      return Eval(*node.input, focus, sink) && Eval(*node.operand, focus, sink);
    case NodeKind::kWhere:
      return Eval(*node.input, focus, [&](const Item& item) {
        return Truth(*node.operand, item) == Tri::kTrue ? sink(item) : true;
      });
    case NodeKind::kAsType:
      return Eval(*node.input, focus, [&](const Item& item) {
        return TypeMatches(item, node.text) ? sink(item) : true;
      });
    case NodeKind::kFirst: {
      bool keep_going = true;
      Eval(*node.input, focus, [&](const Item& item) {
        keep_going = sink(item);
        return false;
      });
      return keep_going;
    }
    case NodeKind::kExtension:
      return Eval(*node.input, focus, [&](const Item& item) {
        return Children(item, "extension", [&](const Item& extension) {
          const JsonValue url = extension.value.find("url");
          if (!url.is_string() || url.string() != node.text) return true;
          return sink(Item{extension.value, "Extension"});
        });
      });
    case NodeKind::kIndex: {
      std::size_t position = 0;
      bool keep_going = true;
      Eval(*node.input, focus, [&](const Item& item) {
        if (position++ < node.index) return true;
        keep_going = sink(item);
        return false;
      });
      return keep_going;
    }
    case NodeKind::kLiteral:
      return sink(Item{node.literal.root(), {}});
    case NodeKind::kResolve:
      return true;  // rejected by Compile
    default: {
      Tri value = Truth(node, focus);
      if (value == Tri::kEmpty) return true;
      return sink(Item{BoolJson(value == Tri::kTrue), "boolean"});
    }
  }
}

// ---- Parsing ------------------------------------------------------------------------------

enum class TokenKind { kIdentifier, kString, kNumber, kSymbol, kEnd };

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;  // identifier (unquoted), string (unescaped), number or symbol
  std::size_t position = 0;
};

// Longer integer literals are read as decimals rather than overflow an int64.
constexpr std::size_t kMaxIntegerDigits = 18;
// Bounds the parser's recursion; the specification's expressions nest at most three deep.
constexpr int kMaxDepth = 32;

class Parser {
 public:
  explicit Parser(std::string_view expression) : expression_(expression) {}

  Result<std::unique_ptr<Node>> Parse() {
    CUSTOS_RETURN_IF_ERROR(Tokenize());
    CUSTOS_ASSIGN_OR_RETURN(std::unique_ptr<Node> root, ParseOr());
    if (Peek().kind != TokenKind::kEnd) return Error("unexpected '" + Peek().text + "'");
    CUSTOS_RETURN_IF_ERROR(CheckResolve(*root));
    return root;
  }

 private:
  Status Error(const std::string& message) const {
    constexpr std::size_t kMaxQuoted = 200;
    std::string quoted(expression_.substr(0, kMaxQuoted));
    if (expression_.size() > kMaxQuoted) quoted += "...";
    return Status::InvalidArgument("FHIRPath " + message + " in '" + quoted + "'");
  }
  Status Unsupported(const std::string& construct) const {
    return Error("construct not supported: " + construct);
  }

  Status Tokenize() {
    std::size_t i = 0;
    const std::size_t size = expression_.size();
    while (i < size) {
      char c = expression_[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
        continue;
      }
      Token token;
      token.position = i;
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        std::size_t start = i;
        while (i < size &&
               (std::isalnum(static_cast<unsigned char>(expression_[i])) || expression_[i] == '_'))
          ++i;
        token.kind = TokenKind::kIdentifier;
        token.text = std::string(expression_.substr(start, i - start));
      } else if (c == '`') {
        std::size_t end = expression_.find('`', i + 1);
        if (end == std::string_view::npos) return Error("unterminated `identifier`");
        token.kind = TokenKind::kIdentifier;
        token.text = std::string(expression_.substr(i + 1, end - i - 1));
        i = end + 1;
      } else if (c == '\'') {
        token.kind = TokenKind::kString;
        ++i;
        bool closed = false;
        while (i < size) {
          char s = expression_[i++];
          if (s == '\'') {
            closed = true;
            break;
          }
          if (s == '\\' && i < size) {
            char escaped = expression_[i++];
            switch (escaped) {
              case 'n':
                token.text += '\n';
                break;
              case 't':
                token.text += '\t';
                break;
              case 'r':
                token.text += '\r';
                break;
              case 'f':
                token.text += '\f';
                break;
              case 'u':
                return Unsupported("\\u escape in a string literal");
              default:
                token.text += escaped;
                break;
            }
            continue;
          }
          token.text += s;
        }
        if (!closed) return Error("unterminated string literal");
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        std::size_t start = i;
        while (i < size && std::isdigit(static_cast<unsigned char>(expression_[i]))) ++i;
        if (i + 1 < size && expression_[i] == '.' &&
            std::isdigit(static_cast<unsigned char>(expression_[i + 1]))) {
          ++i;
          while (i < size && std::isdigit(static_cast<unsigned char>(expression_[i]))) ++i;
        }
        token.kind = TokenKind::kNumber;
        token.text = std::string(expression_.substr(start, i - start));
      } else if (c == '$') {
        std::size_t start = i++;
        while (i < size && std::isalnum(static_cast<unsigned char>(expression_[i]))) ++i;
        token.kind = TokenKind::kIdentifier;
        token.text = std::string(expression_.substr(start, i - start));
        if (token.text != "$this") return Unsupported("'" + token.text + "'");
      } else if (c == '!' && i + 1 < size && expression_[i + 1] == '=') {
        token.kind = TokenKind::kSymbol;
        token.text = "!=";
        i += 2;
      } else if (c == '.' || c == '(' || c == ')' || c == '|' || c == '=' || c == ',' || c == '[' ||
                 c == ']') {
        token.kind = TokenKind::kSymbol;
        token.text = std::string(1, c);
        ++i;
      } else {
        std::size_t length = 1;
        if (i + 1 < size && (expression_[i + 1] == '=' || expression_[i + 1] == '~')) length = 2;
        return Unsupported("operator '" + std::string(expression_.substr(i, length)) + "'");
      }
      tokens_.push_back(std::move(token));
    }
    tokens_.push_back(Token{TokenKind::kEnd, "end of expression", size});
    return Status::Ok();
  }

  const Token& Peek() const { return tokens_[next_]; }
  bool PeekSymbol(std::string_view symbol) const {
    return Peek().kind == TokenKind::kSymbol && Peek().text == symbol;
  }
  bool PeekKeyword(std::string_view keyword) const {
    return Peek().kind == TokenKind::kIdentifier && Peek().text == keyword;
  }
  Status Expect(std::string_view symbol) {
    if (!PeekSymbol(symbol))
      return Error("expected '" + std::string(symbol) + "' but found '" + Peek().text + "'");
    ++next_;
    return Status::Ok();
  }

  static std::unique_ptr<Node> MakeNode(NodeKind kind, std::unique_ptr<Node> input,
                                        std::unique_ptr<Node> operand = nullptr,
                                        std::string text = {}) {
    auto node = std::make_unique<Node>();
    node->kind = kind;
    node->input = std::move(input);
    node->operand = std::move(operand);
    node->text = std::move(text);
    return node;
  }

  Status CheckUnsupportedKeyword() const {
    static constexpr std::array kUnsupported = {"xor", "implies", "in", "contains", "div", "mod"};
    for (const char* keyword : kUnsupported) {
      if (PeekKeyword(keyword)) return Unsupported("operator '" + std::string(keyword) + "'");
    }
    return Status::Ok();
  }

  // Every nesting (parentheses, function arguments) passes through here.
  Result<std::unique_ptr<Node>> ParseOr() {
    if (++depth_ > kMaxDepth)
      return Unsupported("nesting deeper than " + std::to_string(kMaxDepth));
    Result<std::unique_ptr<Node>> node = ParseOrAtDepth();
    --depth_;
    return node;
  }

  Result<std::unique_ptr<Node>> ParseOrAtDepth() {
    CUSTOS_ASSIGN_OR_RETURN(std::unique_ptr<Node> left, ParseAnd());
    while (PeekKeyword("or")) {
      ++next_;
      CUSTOS_ASSIGN_OR_RETURN(std::unique_ptr<Node> right, ParseAnd());
      left = MakeNode(NodeKind::kOr, std::move(left), std::move(right));
    }
    CUSTOS_RETURN_IF_ERROR(CheckUnsupportedKeyword());
    return left;
  }

  Result<std::unique_ptr<Node>> ParseAnd() {
    CUSTOS_ASSIGN_OR_RETURN(std::unique_ptr<Node> left, ParseEquality());
    while (PeekKeyword("and")) {
      ++next_;
      CUSTOS_ASSIGN_OR_RETURN(std::unique_ptr<Node> right, ParseEquality());
      left = MakeNode(NodeKind::kAnd, std::move(left), std::move(right));
    }
    return left;
  }

  Result<std::unique_ptr<Node>> ParseEquality() {
    CUSTOS_ASSIGN_OR_RETURN(std::unique_ptr<Node> left, ParseUnion());
    if (PeekSymbol("=") || PeekSymbol("!=")) {
      NodeKind kind = PeekSymbol("=") ? NodeKind::kEquals : NodeKind::kNotEquals;
      ++next_;
      CUSTOS_ASSIGN_OR_RETURN(std::unique_ptr<Node> right, ParseUnion());
      left = MakeNode(kind, std::move(left), std::move(right));
    }
    return left;
  }

  Result<std::unique_ptr<Node>> ParseUnion() {
    CUSTOS_ASSIGN_OR_RETURN(std::unique_ptr<Node> left, ParseTypeExpression());
    while (PeekSymbol("|")) {
      ++next_;
      CUSTOS_ASSIGN_OR_RETURN(std::unique_ptr<Node> right, ParseTypeExpression());
      left = MakeNode(NodeKind::kUnion, std::move(left), std::move(right));
    }
    return left;
  }

  Result<std::unique_ptr<Node>> ParseTypeExpression() {
    CUSTOS_ASSIGN_OR_RETURN(std::unique_ptr<Node> left, ParseInvocations());
    while (PeekKeyword("is") || PeekKeyword("as")) {
      bool is = PeekKeyword("is");
      ++next_;
      CUSTOS_ASSIGN_OR_RETURN(std::string type, ParseTypeSpecifier());
      left = MakeTypeNode(is ? NodeKind::kIsType : NodeKind::kAsType, std::move(left),
                          std::move(type));
    }
    return left;
  }

  // `is` applied to resolve() becomes a check of the reference's target type.
  static std::unique_ptr<Node> MakeTypeNode(NodeKind kind, std::unique_ptr<Node> input,
                                            std::string type) {
    if (kind == NodeKind::kIsType && input->kind == NodeKind::kResolve) {
      return MakeNode(NodeKind::kResolveIs, std::move(input->input), nullptr, std::move(type));
    }
    return MakeNode(kind, std::move(input), nullptr, std::move(type));
  }

  // "Quantity", "FHIR.Quantity" → "Quantity".
  Result<std::string> ParseTypeSpecifier() {
    if (Peek().kind != TokenKind::kIdentifier)
      return Error("expected a type name but found '" + Peek().text + "'");
    std::string type = tokens_[next_++].text;
    if (PeekSymbol(".") && tokens_[next_ + 1].kind == TokenKind::kIdentifier) {
      if (type != "FHIR" && type != "System") return Error("unknown type namespace '" + type + "'");
      next_ += 1;
      type = tokens_[next_++].text;
    }
    return type;
  }

  Result<std::unique_ptr<Node>> ParseInvocations() {
    CUSTOS_ASSIGN_OR_RETURN(std::unique_ptr<Node> node, ParsePrimary());
    while (true) {
      if (PeekSymbol("[")) {
        ++next_;
        if (Peek().kind != TokenKind::kNumber || Peek().text.find('.') != std::string::npos ||
            Peek().text.size() >= kMaxIntegerDigits) {
          return Unsupported("indexer other than a whole number");
        }
        auto indexed = MakeNode(NodeKind::kIndex, std::move(node));
        indexed->index = std::strtoull(tokens_[next_++].text.c_str(), nullptr, 10);
        CUSTOS_RETURN_IF_ERROR(Expect("]"));
        node = std::move(indexed);
        continue;
      }
      if (!PeekSymbol(".")) break;
      ++next_;
      if (Peek().kind != TokenKind::kIdentifier)
        return Error("expected a name after '.' but found '" + Peek().text + "'");
      std::string name = tokens_[next_++].text;
      if (PeekSymbol("(")) {
        CUSTOS_ASSIGN_OR_RETURN(node, ParseFunction(name, std::move(node)));
      } else {
        node = MakeNode(NodeKind::kMember, std::move(node), nullptr, std::move(name));
      }
    }
    return node;
  }

  static void SetLiteral(Node& node, std::string json) {
    node.literal_text = std::move(json);
    CUSTOS_CHECK(node.literal.Parse(node.literal_text).ok());
  }

  Result<std::unique_ptr<Node>> ParsePrimary() {
    const Token& token = Peek();
    switch (token.kind) {
      case TokenKind::kString: {
        auto node = MakeNode(NodeKind::kLiteral, nullptr);
        SetLiteral(*node, Json(tokens_[next_++].text).dump());
        return node;
      }
      case TokenKind::kNumber: {
        auto node = MakeNode(NodeKind::kLiteral, nullptr);
        const std::string& text = tokens_[next_++].text;
        if (text.find('.') == std::string::npos && text.size() < kMaxIntegerDigits) {
          SetLiteral(*node, std::to_string(std::strtoll(text.c_str(), nullptr, 10)));
        } else {
          SetLiteral(*node, Json(std::strtod(text.c_str(), nullptr)).dump());
        }
        return node;
      }
      case TokenKind::kSymbol:
        if (token.text == "(") {
          ++next_;
          CUSTOS_ASSIGN_OR_RETURN(std::unique_ptr<Node> inner, ParseOr());
          CUSTOS_RETURN_IF_ERROR(Expect(")"));
          return inner;
        }
        return Error("unexpected '" + token.text + "'");
      case TokenKind::kEnd:
        return Error("unexpected end of expression");
      case TokenKind::kIdentifier:
        break;
    }
    std::string name = tokens_[next_++].text;
    if (name == "$this") return MakeNode(NodeKind::kFocus, nullptr);
    if (name == "true" || name == "false") {
      auto node = MakeNode(NodeKind::kLiteral, nullptr);
      SetLiteral(*node, name);
      return node;
    }
    if (PeekSymbol("(")) return ParseFunction(name, MakeNode(NodeKind::kFocus, nullptr));
    // FHIR element names start in lower case; a leading capital names a type (`Patient.name`).
    if (std::isupper(static_cast<unsigned char>(name[0])))
      return MakeNode(NodeKind::kTypeRoot, nullptr, nullptr, name);
    return MakeNode(NodeKind::kMember, MakeNode(NodeKind::kFocus, nullptr), nullptr,
                    std::move(name));
  }

  Result<std::unique_ptr<Node>> ParseFunction(const std::string& name,
                                              std::unique_ptr<Node> input) {
    CUSTOS_RETURN_IF_ERROR(Expect("("));
    auto no_arguments = [&](NodeKind kind) -> Result<std::unique_ptr<Node>> {
      CUSTOS_RETURN_IF_ERROR(Expect(")"));
      return MakeNode(kind, std::move(input));
    };
    if (name == "where" || name == "exists") {
      if (name == "exists" && PeekSymbol(")")) return no_arguments(NodeKind::kExists);
      CUSTOS_ASSIGN_OR_RETURN(std::unique_ptr<Node> criteria, ParseOr());
      CUSTOS_RETURN_IF_ERROR(Expect(")"));
      return MakeNode(name == "where" ? NodeKind::kWhere : NodeKind::kExists, std::move(input),
                      std::move(criteria));
    }
    if (name == "empty") return no_arguments(NodeKind::kEmpty);
    if (name == "not") return no_arguments(NodeKind::kNot);
    if (name == "first") return no_arguments(NodeKind::kFirst);
    if (name == "resolve") return no_arguments(NodeKind::kResolve);
    if (name == "hasValue") return no_arguments(NodeKind::kExists);
    if (name == "as" || name == "ofType" || name == "is") {
      CUSTOS_ASSIGN_OR_RETURN(std::string type, ParseTypeSpecifier());
      CUSTOS_RETURN_IF_ERROR(Expect(")"));
      return MakeTypeNode(name == "is" ? NodeKind::kIsType : NodeKind::kAsType, std::move(input),
                          std::move(type));
    }
    if (name == "extension") {
      if (Peek().kind != TokenKind::kString) return Error("extension() needs a url string");
      std::string url = tokens_[next_++].text;
      CUSTOS_RETURN_IF_ERROR(Expect(")"));
      return MakeNode(NodeKind::kExtension, std::move(input), nullptr, std::move(url));
    }
    return Unsupported("function '" + name + "()'");
  }

  Status CheckResolve(const Node& node) const {
    if (node.kind == NodeKind::kResolve)
      return Unsupported("resolve() other than in 'resolve() is Type'");
    if (node.input != nullptr) CUSTOS_RETURN_IF_ERROR(CheckResolve(*node.input));
    if (node.operand != nullptr) CUSTOS_RETURN_IF_ERROR(CheckResolve(*node.operand));
    return Status::Ok();
  }

  std::string_view expression_;
  std::vector<Token> tokens_;
  std::size_t next_ = 0;
  int depth_ = 0;
};

bool ContainsUnion(const Node& node) {
  if (node.kind == NodeKind::kUnion) return true;
  return (node.input != nullptr && ContainsUnion(*node.input)) ||
         (node.operand != nullptr && ContainsUnion(*node.operand));
}

}  // namespace

Result<FhirPath> FhirPath::Compile(std::string_view expression) {
  CUSTOS_ASSIGN_OR_RETURN(std::unique_ptr<Node> root, Parser(expression).Parse());
  root->has_union = ContainsUnion(*root);
  FhirPath path;
  path.expression_ = std::string(expression);
  path.root_ = std::shared_ptr<const Node>(std::move(root));
  return path;
}

std::vector<PathValue> FhirPath::Evaluate(const JsonValue& resource) const {
  std::vector<PathValue> values;
  if (root_ == nullptr) return values;
  Eval(*root_, Item{resource, ResourceTypeOf(resource)}, [&](const Item& item) {
    values.push_back(PathValue{item.value, item.type});
    return true;
  });
  // A union yields each value once (FHIRPath `|` removes duplicates).
  if (values.size() > 1 && root_->has_union) {
    std::size_t kept = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      bool seen = false;
      for (std::size_t j = 0; j < kept && !seen; ++j)
        seen = values[j].value.IsSameNode(values[i].value);
      if (!seen) values[kept++] = std::move(values[i]);
    }
    values.resize(kept);
  }
  return values;
}

}  // namespace custos::clinical
