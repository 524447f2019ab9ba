#include "custos/core/json_document.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace custos {

// ---- Parsing --------------------------------------------------------------------------------

// One pass over the text, recursive descent. Nodes are appended in document order (a value's
// children follow it), and each container links its children through `next`.
class JsonParser {
 public:
  JsonParser(JsonDocument& document, std::string_view text)
      : document_(document),
        nodes_(document.nodes_),
        decoded_(document.decoded_),
        text_(text.data()),
        end_(text.data() + text.size()) {}

  Status Run() {
    if (static_cast<std::uint64_t>(end_ - text_) >= std::numeric_limits<std::uint32_t>::max()) {
      return Status::InvalidArgument("JSON text larger than 4 GB");
    }
    SkipSpace();
    if (!ParseValue(0)) return Failure();
    SkipSpace();
    if (at_ != end_) {
      error_ = "unexpected text after the value";
      return Failure();
    }
    return Status::Ok();
  }

 private:
  Status Failure() const {
    return Status::InvalidArgument("not valid JSON: " + std::string(error_) + " at byte " +
                                   std::to_string(at_ - text_));
  }

  std::uint32_t Offset(const char* p) const { return static_cast<std::uint32_t>(p - text_); }

  // Strings and indentation are read a word (eight bytes) at a time. In a word loaded from
  // memory the byte at the lowest address is the least significant (checked below), so the first
  // byte of interest is the lowest one flagged.
  static_assert(std::endian::native == std::endian::little);
  static std::uint64_t Word(const char* p) {
    std::uint64_t word;
    std::memcpy(&word, p, sizeof word);
    return word;
  }
  static constexpr std::uint64_t kOnes = 0x0101010101010101;
  static constexpr std::uint64_t kHighBits = 0x8080808080808080;
  // The high bit of each byte of `word` below `n` (n <= 128). A byte below `n` borrows from the
  // one above it, which may flag that one too, but never a byte below it: the lowest flag is
  // exact, which is all the callers use.
  static std::uint64_t BytesBelow(std::uint64_t word, std::uint64_t n) {
    return (word - kOnes * n) & ~word & kHighBits;
  }
  // Index of the lowest flagged byte of a nonzero `flags`.
  static std::ptrdiff_t FirstFlagged(std::uint64_t flags) { return std::countr_zero(flags) / 8; }

  void SkipSpace() {
    while (at_ != end_) {
      switch (*at_) {
        case ' ':
          // Pretty-printed JSON is mostly indentation (58 % of the bytes of the Synthea
          // bundles): a run of spaces a word at a time, up to its first other byte.
          while (end_ - at_ >= 8) {
            const std::uint64_t not_spaces = Word(at_) ^ (kOnes * ' ');  // zero bytes are spaces
            if (not_spaces != 0) {
              at_ += FirstFlagged(not_spaces);
              break;
            }
            at_ += 8;
          }
          if (at_ != end_ && *at_ == ' ') ++at_;  // fewer than eight bytes were left
          break;
        case '\n':
        case '\r':
        case '\t':
          ++at_;
          break;
        default:
          return;  // most often at once: no space before a ':' or ',' or after a '{'
      }
    }
  }

  bool Fail(const char* error) {
    error_ = error;
    return false;
  }

  std::uint32_t NewNode(JsonKind kind) {
    nodes_.emplace_back();
    nodes_.back().kind = kind;
    nodes_.back().raw_begin = Offset(at_);
    return static_cast<std::uint32_t>(nodes_.size() - 1);
  }

  bool ParseValue(int depth) {
    if (at_ == end_) return Fail("unexpected end of text");
    switch (*at_) {
      case '{':
        return ParseContainer(depth, JsonKind::kObject);
      case '[':
        return ParseContainer(depth, JsonKind::kArray);
      case '"': {
        const std::uint32_t index = NewNode(JsonKind::kString);
        std::uint32_t begin = 0, length = 0;
        bool in_buffer = false;
        if (!ParseString(&begin, &length, &in_buffer)) return false;
        JsonDocument::Node& node = nodes_[index];
        node.string_begin = begin;
        node.string_length = length;
        node.string_in_buffer = in_buffer;
        node.raw_length = Offset(at_) - node.raw_begin;
        return true;
      }
      case 't':
        return ParseLiteral("true", JsonKind::kBool, true);
      case 'f':
        return ParseLiteral("false", JsonKind::kBool, false);
      case 'n':
        return ParseLiteral("null", JsonKind::kNull, false);
      default:
        return ParseNumber();
    }
  }

  bool ParseLiteral(std::string_view word, JsonKind kind, bool value) {
    if (static_cast<std::size_t>(end_ - at_) < word.size() ||
        std::memcmp(at_, word.data(), word.size()) != 0) {
      return Fail("unexpected character");
    }
    const std::uint32_t index = NewNode(kind);
    nodes_[index].boolean = value;
    nodes_[index].raw_length = static_cast<std::uint32_t>(word.size());
    at_ += word.size();
    return true;
  }

  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }

  bool ParseNumber() {
    const char* start = at_;
    if (at_ != end_ && *at_ == '-') ++at_;
    if (at_ == end_ || !IsDigit(*at_))
      return Fail(start == at_ ? "unexpected character" : "bad number");
    if (*at_ == '0') {
      ++at_;
    } else {
      while (at_ != end_ && IsDigit(*at_)) ++at_;
    }
    if (at_ != end_ && *at_ == '.') {
      ++at_;
      if (at_ == end_ || !IsDigit(*at_)) return Fail("bad number");
      while (at_ != end_ && IsDigit(*at_)) ++at_;
    }
    if (at_ != end_ && (*at_ == 'e' || *at_ == 'E')) {
      ++at_;
      if (at_ != end_ && (*at_ == '+' || *at_ == '-')) ++at_;
      if (at_ == end_ || !IsDigit(*at_)) return Fail("bad number");
      while (at_ != end_ && IsDigit(*at_)) ++at_;
    }
    nodes_.emplace_back();
    JsonDocument::Node& node = nodes_.back();
    node.kind = JsonKind::kNumber;
    node.raw_begin = Offset(start);
    node.raw_length = static_cast<std::uint32_t>(at_ - start);
    return true;
  }

  bool ParseContainer(int depth, JsonKind kind) {
    if (depth >= JsonDocument::kMaxDepth) return Fail("nested too deeply");
    const std::uint32_t index = NewNode(kind);
    const bool object = kind == JsonKind::kObject;
    ++at_;  // '{' or '['
    SkipSpace();
    const char close = object ? '}' : ']';
    std::uint32_t last = 0;
    std::uint32_t count = 0;
    if (at_ != end_ && *at_ == close) {
      ++at_;
    } else {
      for (;;) {
        std::uint32_t key_begin = 0, key_length = 0;
        bool key_in_buffer = false;
        if (object) {
          if (at_ == end_ || *at_ != '"') return Fail("expected a member name");
          if (!ParseString(&key_begin, &key_length, &key_in_buffer)) return false;
          SkipSpace();
          if (at_ == end_ || *at_ != ':') return Fail("expected ':'");
          ++at_;
          SkipSpace();
        }
        const auto child = static_cast<std::uint32_t>(nodes_.size());
        if (!ParseValue(depth + 1)) return false;
        JsonDocument::Node& node = nodes_[child];
        node.key_begin = key_begin;
        node.key_length = key_length;
        node.key_in_buffer = key_in_buffer;
        if (last == 0) {
          nodes_[index].first = child;
        } else {
          nodes_[last].next = child;
        }
        last = child;
        ++count;
        SkipSpace();
        if (at_ == end_) return Fail("unexpected end of text");
        if (*at_ == ',') {
          ++at_;
          SkipSpace();
          continue;
        }
        if (*at_ != close) return Fail(object ? "expected ',' or '}'" : "expected ',' or ']'");
        ++at_;
        break;
      }
    }
    JsonDocument::Node& node = nodes_[index];
    node.count = count;
    node.raw_length = Offset(at_) - node.raw_begin;
    return true;
  }

  // A string at `at_` (its opening quote). Its decoded text is in the source (no escapes) or
  // appended to decoded_ (`*in_buffer`).
  bool ParseString(std::uint32_t* begin, std::uint32_t* length, bool* in_buffer) {
    ++at_;  // opening quote
    const char* start = at_;
    // The common case: no escapes, so the decoded text is the source text.
    for (;;) {
      // Straight to the next byte that ends the string or needs a closer look: a quote, a
      // backslash, a control character or a byte of a multi-byte UTF-8 sequence.
      while (end_ - at_ >= 8) {
        const std::uint64_t word = Word(at_);
        const std::uint64_t flags = (word & kHighBits) | BytesBelow(word, 0x20) |
                                    BytesBelow(word ^ (kOnes * '"'), 1) |
                                    BytesBelow(word ^ (kOnes * '\\'), 1);
        if (flags != 0) {
          at_ += FirstFlagged(flags);
          break;
        }
        at_ += 8;
      }
      if (at_ == end_) return Fail("unterminated string");
      const auto c = static_cast<unsigned char>(*at_);
      if (c == '"') {
        *begin = Offset(start);
        *length = static_cast<std::uint32_t>(at_ - start);
        *in_buffer = false;
        ++at_;
        return true;
      }
      if (c == '\\') break;
      if (c < 0x20) return Fail("control character in string");
      if (c < 0x80) {
        ++at_;
      } else if (!SkipUtf8()) {
        return false;
      }
    }
    // Escapes: decode into the buffer.
    *in_buffer = true;
    *begin = static_cast<std::uint32_t>(decoded_.size());
    decoded_.append(start, at_);
    for (;;) {
      if (at_ == end_) return Fail("unterminated string");
      const auto c = static_cast<unsigned char>(*at_);
      if (c == '"') {
        ++at_;
        break;
      }
      if (c < 0x20) return Fail("control character in string");
      if (c == '\\') {
        if (!DecodeEscape()) return false;
        continue;
      }
      const char* from = at_;
      if (c < 0x80) {
        ++at_;
      } else if (!SkipUtf8()) {
        return false;
      }
      decoded_.append(from, at_);
    }
    *length = static_cast<std::uint32_t>(decoded_.size() - *begin);
    return true;
  }

  // Checks one multi-byte UTF-8 sequence at `at_` and steps over it.
  bool SkipUtf8() {
    const auto* p = reinterpret_cast<const unsigned char*>(at_);
    const auto available = static_cast<std::size_t>(end_ - at_);
    std::size_t length = 0;
    std::uint32_t code_point = 0;
    if ((p[0] & 0xE0) == 0xC0) {
      length = 2;
      code_point = p[0] & 0x1F;
    } else if ((p[0] & 0xF0) == 0xE0) {
      length = 3;
      code_point = p[0] & 0x0F;
    } else if ((p[0] & 0xF8) == 0xF0) {
      length = 4;
      code_point = p[0] & 0x07;
    } else {
      return Fail("invalid UTF-8");
    }
    if (available < length) return Fail("invalid UTF-8");
    for (std::size_t i = 1; i < length; ++i) {
      if ((p[i] & 0xC0) != 0x80) return Fail("invalid UTF-8");
      code_point = (code_point << 6) | (p[i] & 0x3F);
    }
    static constexpr std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kSmallest[length] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return Fail("invalid UTF-8");
    }
    at_ += length;
    return true;
  }

  bool ReadHex4(std::uint32_t* value) {
    if (end_ - at_ < 4) return Fail("bad \\u escape");
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = at_[i];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        return Fail("bad \\u escape");
      }
    }
    at_ += 4;
    *value = v;
    return true;
  }

  void AppendUtf8(std::uint32_t code_point) {
    if (code_point < 0x80) {
      decoded_.push_back(static_cast<char>(code_point));
    } else if (code_point < 0x800) {
      decoded_.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
      decoded_.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
    } else if (code_point < 0x10000) {
      decoded_.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
      decoded_.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
      decoded_.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
    } else {
      decoded_.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
      decoded_.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
      decoded_.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
      decoded_.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
    }
  }

  bool DecodeEscape() {
    ++at_;  // backslash
    if (at_ == end_) return Fail("unterminated string");
    const char c = *at_++;
    switch (c) {
      case '"':
      case '\\':
      case '/':
        decoded_.push_back(c);
        return true;
      case 'b':
        decoded_.push_back('\b');
        return true;
      case 'f':
        decoded_.push_back('\f');
        return true;
      case 'n':
        decoded_.push_back('\n');
        return true;
      case 'r':
        decoded_.push_back('\r');
        return true;
      case 't':
        decoded_.push_back('\t');
        return true;
      case 'u': {
        std::uint32_t unit = 0;
        if (!ReadHex4(&unit)) return false;
        if (unit >= 0xDC00 && unit <= 0xDFFF) return Fail("lone surrogate in \\u escape");
        if (unit >= 0xD800 && unit <= 0xDBFF) {
          std::uint32_t low = 0;
          if (end_ - at_ < 2 || at_[0] != '\\' || at_[1] != 'u')
            return Fail("lone surrogate in \\u escape");
          at_ += 2;
          if (!ReadHex4(&low)) return false;
          if (low < 0xDC00 || low > 0xDFFF) return Fail("lone surrogate in \\u escape");
          unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
        }
        AppendUtf8(unit);
        return true;
      }
      default:
        return Fail("bad escape in string");
    }
  }

  JsonDocument& document_;
  std::vector<JsonDocument::Node>& nodes_;
  std::string& decoded_;
  const char* text_;
  const char* end_;
  const char* at_ = text_;
  const char* error_ = "";
};

Status JsonDocument::Parse(std::string_view text) {
  nodes_.clear();
  decoded_.clear();
  text_ = text;
  Status status = JsonParser(*this, text).Run();
  if (!status.ok()) {
    nodes_.clear();
    decoded_.clear();
    text_ = {};
  }
  return status;
}

// ---- Reading --------------------------------------------------------------------------------

bool JsonValue::is_integer() const {
  if (!is_number()) return false;
  const std::string_view text = raw();
  return text.find_first_of(".eE") == std::string_view::npos;
}

bool JsonValue::boolean() const { return is_bool() && document_->nodes_[index_].boolean; }

std::string_view JsonValue::string() const {
  if (!is_string()) return {};
  const JsonDocument::Node& node = document_->nodes_[index_];
  const std::string_view source =
      node.string_in_buffer ? std::string_view(document_->decoded_) : document_->text_;
  return source.substr(node.string_begin, node.string_length);
}

double JsonValue::number() const {
  if (!is_number()) return 0;
  const std::string_view text = raw();
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error == std::errc::result_out_of_range) {
    // Too large (±infinity) or too small (0): strtod says which, rarely needed.
    return std::strtod(std::string(text).c_str(), nullptr);
  }
  return value;
}

std::optional<std::int64_t> JsonValue::integer() const {
  if (!is_integer()) return std::nullopt;
  const std::string_view text = raw();
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string_view JsonValue::raw() const {
  if (!exists()) return {};
  const JsonDocument::Node& node = document_->nodes_[index_];
  return document_->text_.substr(node.raw_begin, node.raw_length);
}

std::size_t JsonValue::size() const {
  if (!is_array() && !is_object()) return 0;
  return document_->nodes_[index_].count;
}

JsonValue JsonValue::find(std::string_view key) const {
  if (!is_object()) return {};
  const auto& nodes = document_->nodes_;
  for (std::uint32_t child = nodes[index_].first; child != 0; child = nodes[child].next) {
    if (JsonValue(document_, child).key() == key) return JsonValue(document_, child);
  }
  return {};
}

bool JsonValue::Equals(const JsonValue& other) const {
  if (!exists() || !other.exists()) return exists() == other.exists();
  if (kind() != other.kind()) return false;
  switch (kind()) {
    case JsonKind::kNull:
      return true;
    case JsonKind::kBool:
      return boolean() == other.boolean();
    case JsonKind::kNumber:
      return raw() == other.raw() || number() == other.number();
    case JsonKind::kString:
      return string() == other.string();
    case JsonKind::kArray: {
      if (size() != other.size()) return false;
      auto a = children().begin();
      auto b = other.children().begin();
      for (; a != children().end(); ++a, ++b) {
        if (!(*a).Equals(*b)) return false;
      }
      return true;
    }
    case JsonKind::kObject: {
      if (size() != other.size()) return false;
      for (const JsonValue member : children()) {
        if (!member.Equals(other.find(member.key()))) return false;
      }
      return true;
    }
  }
  return false;
}

void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += "\\u00";
      out.push_back(kHex[(c >> 4) & 0xF]);
      out.push_back(kHex[c & 0xF]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

void JsonValue::AppendName(std::string& out) const {
  if (!exists()) return;
  const JsonDocument::Node& node = document_->nodes_[index_];
  if (node.key_in_buffer) {
    AppendJsonString(out, key());  // escaped names are rare: write the decoded one escaped again
    return;
  }
  // As written, between the quotes around it in the text.
  out.append(document_->text_.data() + node.key_begin - 1, node.key_length + 2);
}

void JsonValue::AppendCompact(std::string& out) const {
  AppendCompact(out, [](const JsonValue&, std::string&) { return false; });
}

std::string JsonValue::Compact() const {
  std::string out;
  out.reserve(raw().size());
  AppendCompact(out);
  return out;
}

}  // namespace custos
