// HugePageScope, in a program linked with jemalloc as the custos binary is (in the sanitizer
// build there is no jemalloc, and the scope must then do nothing).
#include "custos/core/huge_pages.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

extern "C" int mallctl(const char* name, void* old_value, std::size_t* old_length, void* new_value,
                       std::size_t new_length) __attribute__((weak));

namespace custos {
namespace {

// The system's transparent huge page mode ("always", "madvise", "never"), empty if unknown.
std::string HugePageMode() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto open = modes.find('['), close = modes.find(']');
  if (open == std::string::npos || close == std::string::npos || close < open) return "";
  return modes.substr(open + 1, close - open - 1);
}

// AnonHugePages of the mapping that holds `address`, in kB (/proc/self/smaps).
long HugePagesKbAt(const void* address) {
  const auto at = reinterpret_cast<std::uintptr_t>(address);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    std::uintptr_t begin = 0, end = 0;
    char dash = 0;
    std::istringstream range(line);
    if (range >> std::hex >> begin >> dash >> end && dash == '-') {
      inside = begin <= at && at < end;
    } else if (inside && line.rfind("AnonHugePages:", 0) == 0) {
      return std::strtol(line.c_str() + 14, nullptr, 10);
    }
  }
  return 0;
}

unsigned ThreadArena() {
  unsigned arena = 0;
  std::size_t length = sizeof(arena);
  EXPECT_EQ(mallctl("thread.arena", &arena, &length, nullptr, 0), 0);
  return arena;
}

// 64 MB, written to, so that the kernel backs it.
char* TouchedBlock() {
  constexpr std::size_t kSize = 64 << 20;
  auto* block = static_cast<char*>(std::malloc(kSize));
  std::memset(block, 1, kSize);
  return block;
}

TEST(HugePageScopeTest, MemoryAllocatedInTheScopeIsBackedByHugePages) {
  if (mallctl == nullptr) {
    HugePageScope scope;
    EXPECT_FALSE(scope.active()) << "without jemalloc the scope does nothing";
    return;
  }
  const std::string mode = HugePageMode();
  if (mode.empty() || mode == "never")
    GTEST_SKIP() << "transparent huge pages are off on this system";
  const unsigned before = ThreadArena();
  char* outside = TouchedBlock();
  char* inside = nullptr;
  {
    HugePageScope scope;
    ASSERT_TRUE(scope.active());
    EXPECT_NE(ThreadArena(), before);
    inside = TouchedBlock();
  }
  EXPECT_EQ(ThreadArena(), before) << "the thread's own arena is back after the scope";
  EXPECT_GT(HugePagesKbAt(inside + (32 << 20)), 0);
  // In "madvise" mode memory nobody advised keeps ordinary pages.
  if (mode == "madvise") {
    EXPECT_EQ(HugePagesKbAt(outside + (32 << 20)), 0);
  }
  std::free(inside);
  std::free(outside);
}

}  // namespace
}  // namespace custos
