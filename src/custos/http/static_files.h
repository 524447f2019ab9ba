// StaticFiles: the built web app (web/dist), loaded into memory at start with a gzip copy of
// each compressible file. Hashed assets (/assets/…) are cached by browsers for a year;
// index.html is revalidated every time, so a new release is picked up at once. Any other path
// that is not a file gets index.html (the app routes in the browser). Thread-safe after Load.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>

#include "custos/core/status.h"
#include "custos/http/request.h"

namespace custos::http {

class StaticFiles {
 public:
  // Loads every file under `root`. An absent folder is not an error (the API still works); the
  // server then answers / with a short note on how to build the web app.
  Status Load(const std::string& root);
  bool loaded() const { return !files_.empty(); }
  // The response for a GET of `path`; `accepts_gzip` from Accept-Encoding.
  Response Serve(std::string_view path, bool accepts_gzip, std::string_view if_none_match) const;

 private:
  struct File {
    std::string content_type;
    std::string body;
    std::optional<std::string> gzip_body;
    std::string etag;
    bool immutable = false;
  };
  std::unordered_map<std::string, File> files_;
};

// gzip (RFC 1952) of `data`; nullopt if zlib fails.
std::optional<std::string> Gzip(std::string_view data);
bool IsCompressible(std::string_view content_type);

}  // namespace custos::http
