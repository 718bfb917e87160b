/* What the two files of the SQLite reference share (commits.c, createlead.c). */
#ifndef COMMITS_H
#define COMMITS_H

#include <sqlite3.h>

/* Exits with SQLite's message unless `rc` is OK, DONE or ROW. */
void check(int rc, sqlite3 *db, const char *what);
/* Seconds on the monotonic clock. */
double now(void);
/* Runs `sql`, exiting on failure. */
void exec(sqlite3 *db, const char *sql);
/* Durable CreateLead calls per second through the C API, `batch` per commit, on a
 * copy in `dir` of the tenant file at `source` (createlead.c). */
double create_lead_calls(const char *source, const char *dir, int batch, double seconds);

#endif
