#include "custos/clinical/resource_codec.h"

#include <zstd.h>

#include <memory>

namespace custos {
std::string_view ResourceDictionary();  // data/resource-dictionary/, compiled in
}  // namespace custos

namespace custos::clinical {

namespace {

// Level 1: the dictionary does most of the work; higher levels gain little and cost speed.
constexpr int kCompressionLevel = 1;

struct Dictionaries {
  Dictionaries()
      : compress(ZSTD_createCDict(ResourceDictionary().data(), ResourceDictionary().size(),
                                  kCompressionLevel)),
        decompress(ZSTD_createDDict(ResourceDictionary().data(), ResourceDictionary().size())),
        id(ZSTD_getDictID_fromDict(ResourceDictionary().data(), ResourceDictionary().size())) {
    CUSTOS_CHECK(compress != nullptr && decompress != nullptr && id != 0);
  }
  ZSTD_CDict* compress;
  ZSTD_DDict* decompress;
  unsigned id;
};

const Dictionaries& Shared() {
  static const Dictionaries* const kDictionaries = new Dictionaries();
  return *kDictionaries;
}

// A compression context bound to the dictionary, with a checksum in every frame, so that a
// damaged row is found out rather than read as other JSON.
struct CompressContext {
  CompressContext() {
    CUSTOS_CHECK(!ZSTD_isError(ZSTD_CCtx_refCDict(context, Shared().compress)));
    CUSTOS_CHECK(!ZSTD_isError(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)));
  }
  ~CompressContext() { ZSTD_freeCCtx(context); }
  ZSTD_CCtx* context = ZSTD_createCCtx();
};
struct DecompressContext {
  ZSTD_DCtx* context = ZSTD_createDCtx();
  ~DecompressContext() { ZSTD_freeDCtx(context); }
};

}  // namespace

std::string CompressResource(std::string_view json) {
  thread_local CompressContext compressor;
  // Compressed into a scratch buffer and copied out at its size: a frame is about a fifth of
  // the text, and an import holds thousands of them until they are committed. (A large
  // resource gets a buffer of its own, so that the thread does not keep one that size.)
  constexpr size_t kScratchLimit = 256 * 1024;
  const size_t bound = ZSTD_compressBound(json.size());
  thread_local std::string scratch;
  std::string own;
  std::string& buffer = bound <= kScratchLimit ? scratch : own;
  if (buffer.size() < bound) buffer.resize(bound);
  const size_t size =
      ZSTD_compress2(compressor.context, buffer.data(), buffer.size(), json.data(), json.size());
  CUSTOS_CHECK(!ZSTD_isError(size));  // only a too small buffer fails, and the bound rules it out
  if (&buffer == &own) {
    own.resize(size);
    return own;
  }
  return scratch.substr(0, size);
}

Result<std::string> DecompressResource(std::string_view frame) {
  thread_local DecompressContext decompressor;
  const unsigned dictionary = ZSTD_getDictID_fromFrame(frame.data(), frame.size());
  if (dictionary != Shared().id) {
    return Status::Internal("stored resource names an unknown dictionary " +
                            std::to_string(dictionary));
  }
  const unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return Status::Internal("stored resource is damaged (no content size)");
  }
  std::string json(static_cast<size_t>(size), '\0');
  const size_t written =
      ZSTD_decompress_usingDDict(decompressor.context, json.data(), json.size(), frame.data(),
                                 frame.size(), Shared().decompress);
  if (ZSTD_isError(written) || written != json.size()) {
    return Status::Internal(std::string("stored resource is damaged: ") +
                            (ZSTD_isError(written) ? ZSTD_getErrorName(written) : "short"));
  }
  return json;
}

Result<std::string> ContentFromRow(const storage::Row& row, int column) {
  if (!row.IsNull(column + 1)) return DecompressResource(row.Blob(column + 1));
  return row.String(column);
}

}  // namespace custos::clinical
