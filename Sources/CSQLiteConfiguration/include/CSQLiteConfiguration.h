#ifndef CSQLITE_CONFIGURATION_H
#define CSQLITE_CONFIGURATION_H

/// Turns off SQLite's memory statistics (SQLITE_CONFIG_MEMSTATUS) for the process.
/// With them on, every allocation SQLite makes takes one process-wide mutex, and a
/// connection parsing a schema allocates thousands of times. Only effective before
/// SQLite initialises (its first connection): returns SQLITE_OK, or SQLITE_MISUSE
/// when it is too late. sqlite3_config is variadic, which Swift cannot call.
int sfa_sqlite_disable_memory_statistics(void);

#endif
