#include "custos/http/static_files.h"

#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "custos/core/crypto.h"

namespace custos::http {

namespace {

std::string ContentTypeFor(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

constexpr size_t kMinGzipBytes = 1024;

}  // namespace

bool IsCompressible(std::string_view content_type) {
  return content_type.starts_with("text/") || content_type.starts_with("application/json") ||
         content_type.starts_with("application/fhir+json") ||
         content_type.starts_with("image/svg") ||
         content_type.starts_with("application/javascript");
}

std::optional<std::string> Gzip(std::string_view data) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return std::nullopt;
  }
  std::string out(deflateBound(&stream, data.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&stream, Z_FINISH);
  deflateEnd(&stream);
  if (rc != Z_STREAM_END) return std::nullopt;
  out.resize(stream.total_out);
  return out;
}

Status StaticFiles::Load(const std::string& root) {
  files_.clear();
  std::error_code error;
  if (!std::filesystem::is_directory(root, error)) return Status::Ok();
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root, error)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream contents;
    contents << in.rdbuf();
    File file;
    file.content_type = ContentTypeFor(entry.path());
    file.body = contents.str();
    if (IsCompressible(file.content_type) && file.body.size() >= kMinGzipBytes)
      file.gzip_body = Gzip(file.body);
    file.etag = "\"" + HexEncode(Sha256(file.body)).substr(0, 20) + "\"";
    const std::string relative =
        "/" + std::filesystem::relative(entry.path(), root).generic_string();
    file.immutable = relative.starts_with("/assets/");
    files_.emplace(relative, std::move(file));
  }
  if (error) return Status::Unavailable("cannot read the web app folder " + root);
  return Status::Ok();
}

Response StaticFiles::Serve(std::string_view path, bool accepts_gzip,
                            std::string_view if_none_match) const {
  auto it = files_.find(std::string(path));
  if (it == files_.end() && !path.starts_with("/assets/")) it = files_.find("/index.html");
  if (it == files_.end()) {
    if (files_.empty()) {
      Response response;
      response.status = 404;
      response.content_type = "text/plain; charset=utf-8";
      response.body =
          "The web app is not built. Run `make build` (or `npm --prefix web run build`).\n";
      return response;
    }
    Response response;
    response.status = 404;
    response.content_type = "text/plain; charset=utf-8";
    response.body = "not found\n";
    return response;
  }
  const File& file = it->second;
  Response response;
  response.content_type = file.content_type;
  response.SetHeader("ETag", file.etag);
  response.SetHeader("Cache-Control",
                     file.immutable ? "public, max-age=31536000, immutable" : "no-cache");
  if (file.content_type.starts_with("text/html")) {
    response.SetHeader(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  }
  if (!if_none_match.empty() && if_none_match == file.etag) {
    response.status = 304;
    return response;
  }
  if (accepts_gzip && file.gzip_body) {
    response.body = *file.gzip_body;
    response.SetHeader("Content-Encoding", "gzip");
    response.SetHeader("Vary", "Accept-Encoding");
  } else {
    response.body = file.body;
  }
  return response;
}

}  // namespace custos::http
