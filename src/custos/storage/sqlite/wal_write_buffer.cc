#include "custos/storage/sqlite/wal_write_buffer.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstddef>
#include <mutex>
#include <new>
#include <vector>

namespace custos::storage {
namespace {

constexpr char kName[] = "custos-wal-buffer";
// 29 frames of 4 KB pages in one system call instead of 58. The unix VFS writes less than
// 128 KB per call (it masks the length to 17 bits: a 1 MB buffer came back as "disk is full").
constexpr size_t kCapacity = 120 * 1024;
// A log frame begins with this header; bytes 4..7 are the database size after a commit, zero
// in every frame but a commit's last (https://www.sqlite.org/fileformat2.html#walformat).
constexpr int kFrameHeaderBytes = 24;

sqlite3_vfs* base_vfs = nullptr;  // set once, before our VFS is registered

// A write-ahead log opened through our VFS. The base VFS's file follows it in the same
// allocation (SQLite allocates szOsFile bytes and we ask for both).
struct WalFile {
  sqlite3_file base;   // must stay first: SQLite sees a WalFile as an sqlite3_file
  sqlite3_file* real;  // the base VFS's file, inside this allocation
  std::vector<char> buffer;
  sqlite3_int64 buffer_start = 0;  // file offset of buffer[0]
  sqlite3_int64 tail = 0;          // end of what this handle wrote: writes from here on append
  bool commit_page_next = false;   // the last write was the header of a commit frame
};

size_t RealFileOffset() {
  return (sizeof(WalFile) + alignof(std::max_align_t) - 1) / alignof(std::max_align_t) *
         alignof(std::max_align_t);
}

WalFile* Wal(sqlite3_file* file) { return reinterpret_cast<WalFile*>(file); }
sqlite3_file* Real(sqlite3_file* file) { return Wal(file)->real; }
const sqlite3_io_methods& RealMethods(sqlite3_file* file) { return *Real(file)->pMethods; }

int Flush(WalFile& wal) {
  if (wal.buffer.empty()) return SQLITE_OK;
  const int rc = wal.real->pMethods->xWrite(wal.real, wal.buffer.data(),
                                            static_cast<int>(wal.buffer.size()), wal.buffer_start);
  // On failure SQLite rolls the transaction back; what was buffered belongs to it.
  wal.buffer.clear();
  return rc;
}

int Close(sqlite3_file* file) {
  WalFile& wal = *Wal(file);
  // A commit is written when it completes, so what is still here belongs to a transaction that
  // never committed: dropped, not written.
  const int closed = RealMethods(file).xClose(wal.real);
  wal.~WalFile();
  return closed;
}

int Read(sqlite3_file* file, void* data, int amount, sqlite3_int64 offset) {
  if (const int rc = Flush(*Wal(file)); rc != SQLITE_OK) return rc;
  return RealMethods(file).xRead(Real(file), data, amount, offset);
}

int Write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  WalFile& wal = *Wal(file);
  if (offset == 0) wal.tail = 0;  // the log starts again from its header
  if (offset < wal.tail) {
    // Inside the log as written: a page written again in place, or, at COMMIT after a spill, a
    // frame header whose checksum is rewritten — the commit frame's among them, after the commit
    // frame was written. Only appends are buffered; this goes to the file at once.
    if (const int rc = Flush(wal); rc != SQLITE_OK) return rc;
    wal.commit_page_next = false;
    return RealMethods(file).xWrite(wal.real, data, amount, offset);
  }
  wal.tail = offset + amount;
  const auto bytes = static_cast<size_t>(amount);
  const bool follows = offset == wal.buffer_start + static_cast<sqlite3_int64>(wal.buffer.size());
  if (!wal.buffer.empty() && (!follows || wal.buffer.size() + bytes > kCapacity)) {
    if (const int rc = Flush(wal); rc != SQLITE_OK) return rc;
  }
  if (bytes > kCapacity) return RealMethods(file).xWrite(wal.real, data, amount, offset);
  if (wal.buffer.empty()) {
    wal.buffer.reserve(kCapacity);
    wal.buffer_start = offset;
  }
  const char* begin = static_cast<const char*>(data);
  wal.buffer.insert(wal.buffer.end(), begin, begin + bytes);
  if (amount == kFrameHeaderBytes) {
    wal.commit_page_next = std::any_of(begin + 4, begin + 8, [](char c) { return c != 0; });
    return SQLITE_OK;
  }
  if (wal.commit_page_next) {
    // The page of a commit frame: the commit is complete and goes to the file now.
    wal.commit_page_next = false;
    return Flush(wal);
  }
  return SQLITE_OK;
}

int Truncate(sqlite3_file* file, sqlite3_int64 size) {
  if (const int rc = Flush(*Wal(file)); rc != SQLITE_OK) return rc;
  Wal(file)->tail = std::min(Wal(file)->tail, size);
  return RealMethods(file).xTruncate(Real(file), size);
}

int Sync(sqlite3_file* file, int flags) {
  if (const int rc = Flush(*Wal(file)); rc != SQLITE_OK) return rc;
  return RealMethods(file).xSync(Real(file), flags);
}

int FileSize(sqlite3_file* file, sqlite3_int64* size) {
  if (const int rc = Flush(*Wal(file)); rc != SQLITE_OK) return rc;
  return RealMethods(file).xFileSize(Real(file), size);
}

int Lock(sqlite3_file* file, int level) { return RealMethods(file).xLock(Real(file), level); }
int Unlock(sqlite3_file* file, int level) { return RealMethods(file).xUnlock(Real(file), level); }
int CheckReservedLock(sqlite3_file* file, int* out) {
  return RealMethods(file).xCheckReservedLock(Real(file), out);
}

int FileControl(sqlite3_file* file, int op, void* arg) {
  // Some controls act on the file (size hints, chunk sizes); the buffer goes first.
  if (const int rc = Flush(*Wal(file)); rc != SQLITE_OK) return rc;
  return RealMethods(file).xFileControl(Real(file), op, arg);
}

int SectorSize(sqlite3_file* file) { return RealMethods(file).xSectorSize(Real(file)); }
int DeviceCharacteristics(sqlite3_file* file) {
  return RealMethods(file).xDeviceCharacteristics(Real(file));
}

// A log is never memory-mapped nor used for shared memory (the database file is), but the
// methods forward all the same.
int ShmMap(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  if (RealMethods(file).iVersion < 2) return SQLITE_IOERR_SHMMAP;
  return RealMethods(file).xShmMap(Real(file), region, size, extend, out);
}
int ShmLock(sqlite3_file* file, int offset, int n, int flags) {
  if (RealMethods(file).iVersion < 2) return SQLITE_IOERR_SHMLOCK;
  return RealMethods(file).xShmLock(Real(file), offset, n, flags);
}
void ShmBarrier(sqlite3_file* file) {
  if (RealMethods(file).iVersion >= 2) RealMethods(file).xShmBarrier(Real(file));
}
int ShmUnmap(sqlite3_file* file, int delete_flag) {
  if (RealMethods(file).iVersion < 2) return SQLITE_OK;
  return RealMethods(file).xShmUnmap(Real(file), delete_flag);
}
int Fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  *out = nullptr;
  if (RealMethods(file).iVersion < 3) return SQLITE_OK;
  if (const int rc = Flush(*Wal(file)); rc != SQLITE_OK) return rc;
  return RealMethods(file).xFetch(Real(file), offset, amount, out);
}
int Unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  if (RealMethods(file).iVersion < 3) return SQLITE_OK;
  return RealMethods(file).xUnfetch(Real(file), offset, page);
}

const sqlite3_io_methods kWalMethods = {
    3,
    Close,
    Read,
    Write,
    Truncate,
    Sync,
    FileSize,
    Lock,
    Unlock,
    CheckReservedLock,
    FileControl,
    SectorSize,
    DeviceCharacteristics,
    ShmMap,
    ShmLock,
    ShmBarrier,
    ShmUnmap,
    Fetch,
    Unfetch,
};

// Logs are wrapped; every other file is the base VFS's own, at the start of the allocation.
int Open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  if ((flags & SQLITE_OPEN_WAL) == 0)
    return base_vfs->xOpen(base_vfs, name, file, flags, out_flags);
  auto* wal = new (file) WalFile;
  wal->base.pMethods = nullptr;
  wal->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + RealFileOffset());
  wal->real->pMethods = nullptr;
  int rc = base_vfs->xOpen(base_vfs, name, wal->real, flags, out_flags);
  if (rc == SQLITE_OK && wal->real->pMethods == nullptr) rc = SQLITE_CANTOPEN;
  if (rc != SQLITE_OK) {
    if (wal->real->pMethods) wal->real->pMethods->xClose(wal->real);
    wal->~WalFile();
    file->pMethods = nullptr;  // SQLite closes only files with methods
    return rc;
  }
  wal->base.pMethods = &kWalMethods;
  return SQLITE_OK;
}

// The rest is the base VFS's.
int Delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return base_vfs->xDelete(base_vfs, name, sync_dir);
}
int Access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return base_vfs->xAccess(base_vfs, name, flags, out);
}
int FullPathname(sqlite3_vfs*, const char* name, int size, char* out) {
  return base_vfs->xFullPathname(base_vfs, name, size, out);
}
void* DlOpen(sqlite3_vfs*, const char* name) { return base_vfs->xDlOpen(base_vfs, name); }
void DlError(sqlite3_vfs*, int size, char* out) { base_vfs->xDlError(base_vfs, size, out); }
void (*DlSym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return base_vfs->xDlSym(base_vfs, handle, symbol);
}
void DlClose(sqlite3_vfs*, void* handle) { base_vfs->xDlClose(base_vfs, handle); }
int Randomness(sqlite3_vfs*, int size, char* out) {
  return base_vfs->xRandomness(base_vfs, size, out);
}
int Sleep(sqlite3_vfs*, int microseconds) { return base_vfs->xSleep(base_vfs, microseconds); }
int CurrentTime(sqlite3_vfs*, double* out) { return base_vfs->xCurrentTime(base_vfs, out); }
int GetLastError(sqlite3_vfs*, int size, char* out) {
  return base_vfs->xGetLastError ? base_vfs->xGetLastError(base_vfs, size, out) : 0;
}
int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  if (base_vfs->iVersion >= 2 && base_vfs->xCurrentTimeInt64)
    return base_vfs->xCurrentTimeInt64(base_vfs, out);
  double days = 0;
  const int rc = base_vfs->xCurrentTime(base_vfs, &days);
  *out = static_cast<sqlite3_int64>(days * 86400000.0);
  return rc;
}

sqlite3_vfs vfs;

}  // namespace

void DiscardWalWriteBuffer(sqlite3* db) {
  sqlite3_file* log = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &log) != SQLITE_OK) return;
  if (log == nullptr || log->pMethods != &kWalMethods) return;
  WalFile& wal = *Wal(log);
  wal.buffer.clear();
  wal.commit_page_next = false;
}

const char* WalWriteBufferVfs() {
  static std::once_flag registered;
  static bool ok = false;
  std::call_once(registered, [] {
    if (sqlite3_initialize() != SQLITE_OK) return;
    base_vfs = sqlite3_vfs_find(nullptr);
    if (base_vfs == nullptr) return;
    vfs.iVersion = 2;
    vfs.szOsFile =
        std::max(base_vfs->szOsFile, static_cast<int>(RealFileOffset()) + base_vfs->szOsFile);
    vfs.mxPathname = base_vfs->mxPathname;
    vfs.zName = kName;
    vfs.xOpen = Open;
    vfs.xDelete = Delete;
    vfs.xAccess = Access;
    vfs.xFullPathname = FullPathname;
    vfs.xDlOpen = DlOpen;
    vfs.xDlError = DlError;
    vfs.xDlSym = DlSym;
    vfs.xDlClose = DlClose;
    vfs.xRandomness = Randomness;
    vfs.xSleep = Sleep;
    vfs.xCurrentTime = CurrentTime;
    vfs.xGetLastError = GetLastError;
    vfs.xCurrentTimeInt64 = CurrentTimeInt64;
    ok = sqlite3_vfs_register(&vfs, /*makeDflt=*/0) == SQLITE_OK;
  });
  return ok ? kName : nullptr;
}

}  // namespace custos::storage
