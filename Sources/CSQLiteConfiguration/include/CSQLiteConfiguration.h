#ifndef CSQLITE_CONFIGURATION_H
#define CSQLITE_CONFIGURATION_H

// sqlite3_config is variadic, which Swift cannot call: these wrap the calls SalesWire
// makes. Each is only effective before SQLite initialises (its first connection): it
// returns SQLITE_OK, or SQLITE_MISUSE when it is too late.

/// Turns off SQLite's memory statistics (SQLITE_CONFIG_MEMSTATUS) for the process.
/// With them on, every allocation SQLite makes takes one process-wide mutex, and a
/// connection parsing a schema allocates thousands of times.
int sfa_sqlite_disable_memory_statistics(void);

/// Sets the size up to which a statement journal (the pages a savepoint must be able
/// to restore) stays in memory before it is written to a temporary file
/// (SQLITE_CONFIG_STMTJRNL_SPILL; SQLite's default is 64 KiB).
int sfa_sqlite_set_statement_journal_spill(int bytes);

#endif
