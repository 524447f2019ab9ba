// A file compiled into the binary (SQL migrations, small reference data); see
// custos_embed_files() in cmake/CustosModule.cmake.
#pragma once

#include <string_view>
#include <vector>

namespace custos {

struct EmbeddedFile {
  std::string_view name;
  std::string_view contents;
};

}  // namespace custos
