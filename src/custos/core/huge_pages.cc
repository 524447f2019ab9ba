#include "custos/core/huge_pages.h"

#include <sys/mman.h>

#include <cstddef>
#include <mutex>

// jemalloc's control interface, when the program is linked with jemalloc (weak: absent otherwise).
extern "C" int mallctl(const char* name, void* old_value, std::size_t* old_length, void* new_value,
                       std::size_t new_length) __attribute__((weak));

namespace custos {
namespace {

// jemalloc's extent_hooks_t (jemalloc.h, stable since 5.0): how an arena gets memory from the
// system. Only `alloc` is replaced; the other eight stay jemalloc's own.
struct ExtentHooks {
  void* (*alloc)(ExtentHooks* hooks, void* address, std::size_t size, std::size_t alignment,
                 bool* zero, bool* commit, unsigned arena);
  void (*others[8])();
};

constexpr std::size_t kHugePage = 2 << 20;

ExtentHooks* default_hooks = nullptr;
ExtentHooks huge_hooks;

void* AllocateHuge(ExtentHooks*, void* address, std::size_t size, std::size_t alignment, bool* zero,
                   bool* commit, unsigned arena) {
  void* memory = default_hooks->alloc(default_hooks, address, size, alignment, zero, commit, arena);
  // jemalloc asks the system for memory in growing steps (megabytes); advice on smaller
  // pieces would be a system call for nothing.
  if (memory != nullptr && size >= kHugePage) (void)madvise(memory, size, MADV_HUGEPAGE);
  return memory;
}

// The arena, created once; 0 when there is none to be had.
unsigned HugeArena() {
  static std::once_flag created;
  static unsigned arena = 0;
  std::call_once(created, [] {
    if (mallctl == nullptr) return;
    std::size_t length = sizeof(default_hooks);
    if (mallctl("arena.0.extent_hooks", &default_hooks, &length, nullptr, 0) != 0 ||
        default_hooks == nullptr || default_hooks->alloc == nullptr)
      return;
    huge_hooks = *default_hooks;
    huge_hooks.alloc = AllocateHuge;
    ExtentHooks* hooks = &huge_hooks;
    unsigned created_arena = 0;
    length = sizeof(created_arena);
    if (mallctl("arenas.create", &created_arena, &length, &hooks, sizeof(hooks)) == 0)
      arena = created_arena;
  });
  return arena;
}

}  // namespace

HugePageScope::HugePageScope() {
  unsigned arena = HugeArena();
  if (arena == 0) return;
  std::size_t length = sizeof(previous_arena_);
  active_ = mallctl("thread.arena", &previous_arena_, &length, &arena, sizeof(arena)) == 0;
}

HugePageScope::~HugePageScope() {
  if (active_) (void)mallctl("thread.arena", nullptr, nullptr, &previous_arena_, sizeof(unsigned));
}

}  // namespace custos
