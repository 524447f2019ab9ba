// JsonDocument: JSON text parsed for reading, fast. The clinical record reads every resource it
// stores — to validate it, to index it and to write it back with its id and meta — and a DOM that
// allocates a node per value (nlohmann's) spent more time parsing and freeing than everything
// else in a bulk import. Here one pass builds a flat array of nodes that point into the text,
// reused from one parse to the next, so a warm document allocates nothing.
//
// It also keeps what a DOM loses: the order of object members, the exact text of numbers (a FHIR
// decimal keeps its precision: 1.50 stays 1.50) and the source text of every value, so writing a
// value back is a copy of its bytes.
//
// Strict RFC 8259: UTF-8 only (no invalid sequences, no lone surrogates in \u escapes), no
// trailing commas, no comments, one value per text, nesting at most kMaxDepth deep.
//
// The text is not copied: it must outlive the document and every JsonValue taken from it. A
// document is not thread-safe while it parses; afterwards any number of threads may read it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custos/core/status.h"

namespace custos {

class JsonDocument;

enum class JsonKind : std::uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };

// A value in a JsonDocument: a document and a position, cheap to copy. A default JsonValue
// refers to nothing (exists() is false); reading it answers as an absent value would (empty
// string, no children). Valid until its document parses another text or is destroyed.
class JsonValue {
 public:
  JsonValue() = default;

  bool exists() const { return document_ != nullptr; }
  explicit operator bool() const { return exists(); }

  JsonKind kind() const;
  bool is_null() const { return exists() && kind() == JsonKind::kNull; }
  bool is_bool() const { return exists() && kind() == JsonKind::kBool; }
  bool is_number() const { return exists() && kind() == JsonKind::kNumber; }
  bool is_string() const { return exists() && kind() == JsonKind::kString; }
  bool is_array() const { return exists() && kind() == JsonKind::kArray; }
  bool is_object() const { return exists() && kind() == JsonKind::kObject; }
  bool is_primitive() const { return exists() && !is_array() && !is_object(); }
  // A number written without fraction or exponent ("12", "-3"; not "12.0").
  bool is_integer() const;

  // The value of a bool (false for other kinds).
  bool boolean() const;
  // The decoded text of a string ("" for other kinds).
  std::string_view string() const;
  // A number's value (0 for other kinds; a number too large for a double is infinite).
  double number() const;
  // An integer's value; nullopt for non-integers and integers outside int64.
  std::optional<std::int64_t> integer() const;
  // The value exactly as written in the text: a number's digits, a string with its quotes and
  // escapes, "true", or an array or object with everything inside it.
  std::string_view raw() const;

  // Members of an object or elements of an array, in the order written (0 for other kinds).
  std::size_t size() const;
  bool empty() const { return size() == 0; }
  // The member called `key` of an object (the first, should it be repeated); nothing when there
  // is none or this is not an object.
  JsonValue find(std::string_view key) const;
  // The decoded name of this value when it is an object member ("" otherwise).
  std::string_view key() const;

  // The children of an array or object, in order: `for (JsonValue member : object.children())`
  // (with member.key() for objects).
  class ChildIterator;
  class Children;
  Children children() const;

  // The same JSON value: same kind, equal strings, numbers equal by value, arrays element by
  // element, objects with the same members in any order.
  bool Equals(const JsonValue& other) const;
  // The same place in the same document.
  bool IsSameNode(const JsonValue& other) const {
    return document_ == other.document_ && index_ == other.index_;
  }

  // Appends the value as compact JSON (no white space outside strings; strings, numbers and
  // literals copied as written).
  void AppendCompact(std::string& out) const;
  std::string Compact() const;
  // The same, but `replace` sees every object member below this value first (its name already
  // written): when it returns true it has appended the member's value itself.
  template <typename Replace>
  void AppendCompact(std::string& out, Replace&& replace) const;
  // Appends this member's name as a JSON string, as written.
  void AppendName(std::string& out) const;

 private:
  friend class JsonDocument;
  JsonValue(const JsonDocument* document, std::uint32_t index)
      : document_(document), index_(index) {}

  const JsonDocument* document_ = nullptr;
  std::uint32_t index_ = 0;
};

// Appends `text` as a JSON string (quotes and escapes).
void AppendJsonString(std::string& out, std::string_view text);

class JsonValue::ChildIterator {
 public:
  JsonValue operator*() const { return JsonValue(document_, index_); }
  ChildIterator& operator++();
  bool operator==(const ChildIterator& other) const { return index_ == other.index_; }
  bool operator!=(const ChildIterator& other) const { return index_ != other.index_; }

 private:
  friend class JsonValue;
  ChildIterator(const JsonDocument* document, std::uint32_t index)
      : document_(document), index_(index) {}
  const JsonDocument* document_;
  std::uint32_t index_;  // 0: the end (the root is never a child)
};

class JsonValue::Children {
 public:
  ChildIterator begin() const { return ChildIterator(document_, first_); }
  ChildIterator end() const { return ChildIterator(document_, 0); }

 private:
  friend class JsonValue;
  Children(const JsonDocument* document, std::uint32_t first)
      : document_(document), first_(first) {}
  const JsonDocument* document_;
  std::uint32_t first_;
};

class JsonDocument {
 public:
  static constexpr int kMaxDepth = 512;

  JsonDocument() = default;
  // Values point into the document, which must therefore stay where it is.
  JsonDocument(const JsonDocument&) = delete;
  JsonDocument& operator=(const JsonDocument&) = delete;

  // Parses `text`, replacing what the document held (and invalidating its values); keeps its
  // memory for the next text. kInvalidArgument naming the byte offset of the first error; the
  // document is then empty.
  Status Parse(std::string_view text);

  // The top-level value; nothing before a successful Parse.
  JsonValue root() const { return nodes_.empty() ? JsonValue() : JsonValue(this, 0); }
  std::string_view text() const { return text_; }

 private:
  friend class JsonValue;
  friend class JsonParser;
  struct Node {
    JsonKind kind = JsonKind::kNull;
    bool boolean = false;
    bool key_in_buffer = false;                   // the decoded key is in decoded_ (it had escapes)
    bool string_in_buffer = false;                // the decoded string is in decoded_
    std::uint32_t next = 0;                       // next sibling; 0 for none
    std::uint32_t first = 0;                      // first child; 0 for none
    std::uint32_t count = 0;                      // children
    std::uint32_t key_begin = 0, key_length = 0;  // decoded member name
    std::uint32_t raw_begin = 0, raw_length = 0;  // the value's source text
    std::uint32_t string_begin = 0, string_length = 0;  // decoded string
  };

  std::string_view text_;
  std::vector<Node> nodes_;
  std::string decoded_;  // strings and keys that had escapes, decoded
};

// The accessors that walking a document calls for every node, inline: the validator, the index
// extraction and the writer of stored text call them millions of times in an import.
inline JsonKind JsonValue::kind() const { return document_->nodes_[index_].kind; }

inline std::string_view JsonValue::key() const {
  if (!exists()) return {};
  const JsonDocument::Node& node = document_->nodes_[index_];
  const char* source = node.key_in_buffer ? document_->decoded_.data() : document_->text_.data();
  return std::string_view(source + node.key_begin, node.key_length);
}

inline JsonValue::ChildIterator& JsonValue::ChildIterator::operator++() {
  index_ = document_->nodes_[index_].next;
  return *this;
}

inline JsonValue::Children JsonValue::children() const {
  if (!is_array() && !is_object()) return Children(document_, 0);
  return Children(document_, document_->nodes_[index_].first);
}

template <typename Replace>
void JsonValue::AppendCompact(std::string& out, Replace&& replace) const {
  if (!is_array() && !is_object()) {
    out.append(raw());
    return;
  }
  const bool object = is_object();
  out.push_back(object ? '{' : '[');
  bool first = true;
  for (const JsonValue child : children()) {
    if (!first) out.push_back(',');
    first = false;
    if (object) {
      child.AppendName(out);
      out.push_back(':');
      if (replace(child, out)) continue;
    }
    child.AppendCompact(out, replace);
  }
  out.push_back(object ? '}' : ']');
}

}  // namespace custos
