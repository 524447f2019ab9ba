// FhirPath: the subset of FHIRPath (http://hl7.org/fhirpath/N1) that the R4 search parameter
// expressions use — navigation, `|` union, `where(…)`, `as`/`ofType`, `resolve() is Type`,
// `exists()`, `first()`, `extension('url')`, equality on strings, and parentheses. An expression
// is compiled once and evaluated many times. Thread-safe after compilation.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "custos/core/json_document.h"
#include "custos/core/status.h"

namespace custos::clinical {

// A value FHIRPath produced: a pointer into the evaluated JSON plus the FHIR type when known
// (choice elements such as value[x] tell it by their suffix: valueQuantity → "Quantity").
struct PathValue {
  JsonValue value;
  std::string_view type;  // "Quantity", "dateTime", "Reference", "" when not known; lives as
                          // long as the value
};

class FhirPath {
 public:
  // kInvalidArgument naming the construct that is not supported.
  static Result<FhirPath> Compile(std::string_view expression);
  // The values of the expression on `resource`; valid while `resource`'s document is.
  std::vector<PathValue> Evaluate(const JsonValue& resource) const;
  const std::string& expression() const { return expression_; }

  struct Node;  // the compiled form

 private:
  std::string expression_;
  std::shared_ptr<const Node> root_;
};

}  // namespace custos::clinical
