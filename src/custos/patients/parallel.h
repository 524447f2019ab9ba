// Internal helpers for the batch engine's parallel loops (blocking, pair comparison, EM counting,
// scoring): fixed chunks of work handed out to a few threads. Not part of the module's API.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace custos::patients::internal {

// Threads a batch run uses: one per hardware thread, at most 8.
inline size_t WorkerCount() {
  return std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 8);
}

// Splits [0, count) into chunks of `chunk_size` items and runs `work(chunk, begin, end)` for each,
// on up to WorkerCount() threads taking the next chunk when done (uneven chunks — a few large
// blocks — do not leave a thread idle). Chunk c covers [c * chunk_size, …). Runs on the calling
// thread alone when there is a single chunk.
template <typename Work>
void ForEachChunk(size_t count, size_t chunk_size, Work&& work) {
  chunk_size = std::max<size_t>(chunk_size, 1);
  const size_t chunks = (count + chunk_size - 1) / chunk_size;
  const size_t threads = std::min(WorkerCount(), chunks);
  std::atomic<size_t> next{0};
  auto run = [&] {
    for (size_t chunk = next++; chunk < chunks; chunk = next++) {
      const size_t begin = chunk * chunk_size;
      work(chunk, begin, std::min(count, begin + chunk_size));
    }
  };
  if (threads <= 1) {
    run();
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(run);
  run();
  for (std::thread& thread : pool) thread.join();
}

// The number of chunks ForEachChunk makes.
inline size_t ChunkCount(size_t count, size_t chunk_size) {
  chunk_size = std::max<size_t>(chunk_size, 1);
  return (count + chunk_size - 1) / chunk_size;
}

}  // namespace custos::patients::internal
