/*
 * The storage ceiling for durable writes (scripts/bench, docs/benchmarks.md): rows
 * of about a lead's size inserted through SQLite's C API into a WAL database with
 * synchronous = FULL, as sfad's tenant files are, on the same disk sfad uses, with
 * the process-wide SQLite settings sfad has (CSQLiteConfiguration, linked in).
 *
 *   commits DIR SECONDS
 *
 * prints two lines:
 *   SINGLE <rows per second>   one row per BEGIN IMMEDIATE … COMMIT
 *   BATCH32 <rows per second>  32 rows per commit
 * each measured for SECONDS with one connection and prepared statements.
 *
 *   commits DIR SECONDS TENANT_FILE
 *
 * prints instead, for a tenant file that durable CreateLead calls have filled (left
 * unchanged: each run works on a fresh copy of it in DIR):
 *   CREATELEAD16 <calls per second>  16 calls per commit
 *   CREATELEAD64 <calls per second>  64 calls per commit
 * where a "call" runs the SQL a durable CreateLead runs on its tenant's writer, each
 * in its own savepoint as group commit runs them (createlead.c).
 */
#include "commits.h"

#include "CSQLiteConfiguration.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void check(int rc, sqlite3 *db, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "commits: %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

void exec(sqlite3 *db, const char *sql) { check(sqlite3_exec(db, sql, NULL, NULL, NULL), db, sql); }

/* Inserts rows, `batch` per commit, for `seconds`; returns rows per second. */
static double run(sqlite3 *db, sqlite3_stmt *insert, int batch, double seconds, long *next_id) {
    static unsigned char data[480];
    memset(data, 'x', sizeof data);
    char id[32];
    long rows = 0;
    double start = now(), end = start + seconds;
    while (now() < end) {
        exec(db, "BEGIN IMMEDIATE");
        for (int i = 0; i < batch; i++) {
            snprintf(id, sizeof id, "led_%012ld", (*next_id)++);
            sqlite3_bind_text(insert, 1, id, -1, SQLITE_STATIC);
            sqlite3_bind_blob(insert, 2, data, sizeof data, SQLITE_STATIC);
            check(sqlite3_step(insert), db, "insert");
            sqlite3_reset(insert);
        }
        exec(db, "COMMIT");
        rows += batch;
    }
    return rows / (now() - start);
}

int main(int argc, char **argv) {
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: commits DIR SECONDS [TENANT_FILE]\n");
        return 2;
    }
    if (!sfa_sqlite_configure_process()) {
        fprintf(stderr, "commits: SQLite had started before sfad's settings could be applied\n");
        return 1;
    }
    double seconds = atof(argv[2]);
    if (argc == 4) {
        printf("CREATELEAD16 %.0f\n", create_lead_calls(argv[3], argv[1], 16, seconds));
        printf("CREATELEAD64 %.0f\n", create_lead_calls(argv[3], argv[1], 64, seconds));
        return 0;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/commits.sqlite", argv[1]);
    sqlite3 *db;
    int rc = sqlite3_open(path, &db);
    check(rc, db, "open");
    exec(db, "PRAGMA journal_mode = WAL");
    exec(db, "PRAGMA synchronous = FULL");
    exec(db, "CREATE TABLE lead (id TEXT PRIMARY KEY NOT NULL, data BLOB NOT NULL)");
    sqlite3_stmt *insert;
    check(sqlite3_prepare_v2(db, "INSERT INTO lead (id, data) VALUES (?, ?)", -1, &insert, NULL), db, "prepare");
    long next_id = 0;
    printf("SINGLE %.0f\n", run(db, insert, 1, seconds, &next_id));
    printf("BATCH32 %.0f\n", run(db, insert, 32, seconds, &next_id));
    sqlite3_finalize(insert);
    sqlite3_close(db);
    return 0;
}
