// WAL write buffering: an SQLite VFS that wraps the platform's default one and gathers the
// writes to a write-ahead log into large writes.
//
// SQLite writes a log frame as two writes, its 24-byte header and then the page, so a commit of
// N pages is 2N system calls. A bulk import commits hundreds of megabytes that way, and a profile
// of the import's writing thread showed 13% of its time in those calls. Here writes that append
// to the log are kept in a buffer and written as one when
//  - the frame that ends a commit has been written (its header says so: a commit frame records
//    the database size, other frames record zero), so a commit is in the file before SQLite
//    publishes it to other connections through the shared-memory index, as without buffering;
//  - the buffer is full, a write is not next to the last one, or the file is read, synced,
//    truncated, sized, or closed.
// A write inside the log as written (a page overwritten in place, checksums rewritten at COMMIT
// after a spill, the commit frame's among them) goes to the file at once.
// With synchronous=NORMAL a commit in WAL mode is not synced; it is written, as before, before
// the commit returns. Every other file passes through unchanged.
#pragma once

struct sqlite3;

namespace custos::storage {

// The name of the VFS, registered (not as the default) on first use; null when it could not be
// registered, in which case SQLite's default VFS is the one to use. Thread-safe.
const char* WalWriteBufferVfs();

// Drops what `db`'s log buffer holds. Call it from the connection's rollback hook: frames of a
// transaction that rolled back are never read, and written out later (at the connection's next
// read of the log) they would land on the frames another connection has written there since.
void DiscardWalWriteBuffer(sqlite3* db);

}  // namespace custos::storage
