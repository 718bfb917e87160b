#ifndef CSQLITE_CONFIGURATION_H
#define CSQLITE_CONFIGURATION_H

/// The statement-journal spill threshold SalesWire sets (SQLiteProcessSettings says why).
#define SFA_STATEMENT_JOURNAL_SPILL_BYTES (120 * 1024)

/// Applies SalesWire's process-wide SQLite settings, which SQLite takes only before it
/// initialises (its first connection): memory statistics off (SQLITE_CONFIG_MEMSTATUS),
/// the statement-journal spill threshold (SQLITE_CONFIG_STMTJRNL_SPILL) and URI file
/// names (SQLITE_CONFIG_URI). Runs when the program is loaded, before `main` and any
/// connection, and returns 1 when SQLite took all three then, 0 when it had already
/// started (a library's own constructor opened a database first). Later calls return
/// that first answer.
/// Written in C because sqlite3_config is variadic, which Swift cannot call.
int sfa_sqlite_configure_process(void);

#endif
