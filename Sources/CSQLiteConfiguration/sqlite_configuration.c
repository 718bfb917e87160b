#include "CSQLiteConfiguration.h"

#include <sqlite3.h>

static int configured = -1;

int sfa_sqlite_configure_process(void) {
    if (configured < 0) {
        configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK
            && sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, SFA_STATEMENT_JOURNAL_SPILL_BYTES) == SQLITE_OK
            && sqlite3_config(SQLITE_CONFIG_URI, 1) == SQLITE_OK;
    }
    return configured;
}

// At load time, while the process has one thread: every program linking SalesWire's
// storage gets the settings before anything can open a database, whichever code
// (a test, a tool, GRDB directly) opens the first one. Later calls only read the flag.
__attribute__((constructor)) static void sfa_sqlite_configure_at_load(void) {
    sfa_sqlite_configure_process();
}
