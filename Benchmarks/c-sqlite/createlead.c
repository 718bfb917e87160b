/*
 * What a durable CreateLead costs in storage alone (scripts/bench, docs/benchmarks.md):
 * the SQL that LeadService.createLead runs on its tenant's writer, through SQLite's C
 * API on one thread, batched as sfad's group commit batches it. BEGIN IMMEDIATE; per
 * call a savepoint holding the tenant settings' read, the three duplicate lookups
 * (the email among leads and contacts, company and name among leads), the lead's row
 * and its audit event; COMMIT. It runs on a copy of a tenant file that durable
 * CreateLead calls through sfad have filled, opened as sfad opens tenant files by
 * default: WAL, synchronous = FULL, foreign keys on, the unix-excl VFS.
 *
 * Each call's rows are the file's newest lead and that lead's first audit event, with
 * what differs between real calls changed: a new id (after every id in the file, as
 * sfad's time-ordered ids are), and the duplicate keys. The email has the shape of
 * sfa-load's `{{email}}` (`load<sequence>-<random>@…`, so neighbouring calls' keys sort
 * near each other); the company and name are random letters, which match no lead and
 * meet a random page of their index. (sfa-load's companies and names come from short
 * lists, so about one call in ten of scripts/bench's CreateLead run finds a lead of
 * the same company and name and reads it; the reference reads none.)
 */
#include "commits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MAX_COLUMNS = 64 };

/* What a call puts in a column instead of the template's value. */
enum column_role { KEEP, ID, RECORD_ID, EMAIL_KEY, PERSON_KEY };

/* A table's row to insert again: its column names, values and roles (worked out
 * once, so that the measured loop only binds), and the INSERT. */
struct row_template {
    sqlite3_stmt *insert;
    int columns;
    char *names[MAX_COLUMNS];
    sqlite3_value *values[MAX_COLUMNS];
    enum column_role roles[MAX_COLUMNS];
};

/* Reads the row `select` finds (with `argument`, if any, bound to ?1) into `row`,
 * and prepares the INSERT of the same columns into `table`. */
static void load_row(sqlite3 *db, const char *select, sqlite3_value *argument, const char *table, struct row_template *row) {
    sqlite3_stmt *statement;
    check(sqlite3_prepare_v2(db, select, -1, &statement, NULL), db, select);
    if (argument) sqlite3_bind_value(statement, 1, argument);
    if (sqlite3_step(statement) != SQLITE_ROW) {
        fprintf(stderr, "commits: no row for %s\n", select);
        exit(1);
    }
    row->columns = sqlite3_column_count(statement);
    if (row->columns > MAX_COLUMNS) {
        fprintf(stderr, "commits: %s has more than %d columns\n", table, MAX_COLUMNS);
        exit(1);
    }
    sqlite3_str *sql = sqlite3_str_new(db);
    sqlite3_str_appendf(sql, "INSERT INTO \"%w\" (", table);
    for (int i = 0; i < row->columns; i++) {
        row->names[i] = strdup(sqlite3_column_name(statement, i));
        row->values[i] = sqlite3_value_dup(sqlite3_column_value(statement, i));
        const char *name = row->names[i];
        row->roles[i] = strcmp(name, "id") == 0           ? ID
                        : strcmp(name, "record_id") == 0  ? RECORD_ID
                        : strcmp(name, "email_key") == 0  ? EMAIL_KEY
                        : strcmp(name, "person_key") == 0 ? PERSON_KEY
                                                          : KEEP;
        sqlite3_str_appendf(sql, "%s\"%w\"", i ? ", " : "", row->names[i]);
    }
    sqlite3_str_appendall(sql, ") VALUES (");
    for (int i = 0; i < row->columns; i++) sqlite3_str_appendall(sql, i ? ", ?" : "?");
    sqlite3_str_appendall(sql, ")");
    sqlite3_finalize(statement);
    char *text = sqlite3_str_finish(sql);
    if (!text) {
        fprintf(stderr, "commits: out of memory\n");
        exit(1);
    }
    check(sqlite3_prepare_v2(db, text, -1, &row->insert, NULL), db, text);
    sqlite3_free(text);
}

/* The value of `name` in `row`; exits when the row has no such column. */
static sqlite3_value *column(const struct row_template *row, const char *name) {
    for (int i = 0; i < row->columns; i++)
        if (strcmp(row->names[i], name) == 0) return row->values[i];
    fprintf(stderr, "commits: no column %s\n", name);
    exit(1);
}

/* Frees what `load_row` made. */
static void free_row(struct row_template *row) {
    sqlite3_finalize(row->insert);
    for (int i = 0; i < row->columns; i++) {
        free(row->names[i]);
        sqlite3_value_free(row->values[i]);
    }
}

/* Inserts `row` with its id, record id and duplicate keys replaced where it has them. */
static void insert_row(sqlite3 *db, const struct row_template *row, const char *id, const char *record_id, const char *email, const char *person) {
    for (int i = 0; i < row->columns; i++) {
        const char *text = NULL;
        switch (row->roles[i]) {
        case ID: text = id; break;
        case RECORD_ID: text = record_id; break;
        case EMAIL_KEY: text = email; break;
        case PERSON_KEY: text = person; break;
        case KEEP: break;
        }
        if (text) sqlite3_bind_text(row->insert, i + 1, text, -1, SQLITE_STATIC);
        else sqlite3_bind_value(row->insert, i + 1, row->values[i]);
    }
    check(sqlite3_step(row->insert), db, "insert");
    sqlite3_reset(row->insert);
}

/* Steps `statement` with `key` bound to ?1 through all its rows. */
static void look_up(sqlite3 *db, sqlite3_stmt *statement, const char *key) {
    if (key) sqlite3_bind_text(statement, 1, key, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {}
    check(rc, db, "lookup");
    sqlite3_reset(statement);
}

/* The next number of a xorshift generator. */
static unsigned long long next_random(unsigned long long *state) {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

/* `length` random lower-case letters into `text`. */
static void random_key(char *text, int length, unsigned long long *state) {
    for (int i = 0; i < length; i++) text[i] = (char)('a' + next_random(state) % 26);
    text[length] = 0;
}

/* The prefix of the id `like` (`lead`, `aud`: up to its '_') into `prefix`. */
static void id_prefix(char *prefix, size_t size, sqlite3_value *like) {
    const char *text = (const char *)sqlite3_value_text(like);
    const char *underscore = strchr(text, '_');
    snprintf(prefix, size, "%.*s", underscore ? (int)(underscore - text) : 0, text);
}

/* Copies the database at `source` into a new file at `path` with SQLite's backup API
 * (which reads a WAL the source may still have), and opens the copy as sfad opens a
 * tenant file. */
static sqlite3 *open_copy(const char *source, const char *path) {
    sqlite3 *from, *db;
    int rc = sqlite3_open_v2(source, &from, SQLITE_OPEN_READONLY, "unix-excl");
    check(rc, from, source);
    /* A copy left by an earlier run would hold its rows and ids: start afresh. */
    if (access(path, F_OK) == 0) {
        fprintf(stderr, "commits: %s exists; give an empty DIR\n", path);
        exit(1);
    }
    rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "unix-excl");
    check(rc, db, path);
    sqlite3_backup *backup = sqlite3_backup_init(db, "main", from, "main");
    if (!backup) check(sqlite3_errcode(db), db, "backup");
    check(sqlite3_backup_step(backup, -1), db, "backup");
    check(sqlite3_backup_finish(backup), db, "backup");
    sqlite3_close(from);
    exec(db, "PRAGMA journal_mode = WAL");
    exec(db, "PRAGMA synchronous = FULL");
    exec(db, "PRAGMA foreign_keys = ON");
    return db;
}

double create_lead_calls(const char *source, const char *dir, int batch, double seconds) {
    char path[4096];
    snprintf(path, sizeof path, "%s/createlead-%d.sqlite", dir, batch);
    sqlite3 *db = open_copy(source, path);
    struct row_template lead, audit;
    load_row(db, "SELECT * FROM lead ORDER BY rowid DESC LIMIT 1", NULL, "lead", &lead);
    load_row(db, "SELECT * FROM audit_event WHERE record_id = ?1 ORDER BY rowid LIMIT 1", column(&lead, "id"), "audit_event", &audit);
    /* The statements of LeadRecords.duplicates and SettingsRecords.load. */
    const char *lookups[] = {
        "SELECT data FROM tenant_settings WHERE singleton = 1",
        "SELECT id, owner_user_id, created_by_user_id, data FROM lead WHERE email_key = ? LIMIT 10",
        "SELECT id, owner_user_id, created_by_user_id, data FROM contact WHERE email_key = ? AND archived = 0 LIMIT 10",
        "SELECT id, owner_user_id, created_by_user_id, data FROM lead WHERE person_key = ? LIMIT 10",
    };
    sqlite3_stmt *lookup[4], *savepoint, *release;
    for (int i = 0; i < 4; i++) check(sqlite3_prepare_v2(db, lookups[i], -1, &lookup[i], NULL), db, lookups[i]);
    check(sqlite3_prepare_v2(db, "SAVEPOINT call", -1, &savepoint, NULL), db, "savepoint");
    check(sqlite3_prepare_v2(db, "RELEASE call", -1, &release, NULL), db, "release");

    /* New ids: the prefix, then 'z' and a number, after every generated id. */
    char lead_prefix[32], audit_prefix[32];
    id_prefix(lead_prefix, sizeof lead_prefix, column(&lead, "id"));
    id_prefix(audit_prefix, sizeof audit_prefix, column(&audit, "id"));
    long number = 0;
    unsigned long long state = 0x9e3779b97f4a7c15ULL + (unsigned long long)batch;
    char lead_id[64], audit_id[64], email[64], person[32];
    long calls = 0;
    double start = now(), end = start + seconds;
    while (now() < end) {
        exec(db, "BEGIN IMMEDIATE");
        for (int i = 0; i < batch; i++) {
            number++;
            snprintf(lead_id, sizeof lead_id, "%s_z%025ld", lead_prefix, number);
            snprintf(audit_id, sizeof audit_id, "%s_z%025ld", audit_prefix, number);
            snprintf(email, sizeof email, "load%ld-%llu@rikoto.example", number, next_random(&state) % 1000000);
            random_key(person, 30, &state);
            look_up(db, savepoint, NULL);
            look_up(db, lookup[0], NULL);
            look_up(db, lookup[1], email);
            look_up(db, lookup[2], email);
            look_up(db, lookup[3], person);
            insert_row(db, &lead, lead_id, NULL, email, person);
            insert_row(db, &audit, audit_id, lead_id, NULL, NULL);
            look_up(db, release, NULL);
        }
        exec(db, "COMMIT");
        calls += batch;
    }
    double rate = calls / (now() - start);
    for (int i = 0; i < 4; i++) sqlite3_finalize(lookup[i]);
    sqlite3_finalize(savepoint);
    sqlite3_finalize(release);
    free_row(&lead);
    free_row(&audit);
    sqlite3_close(db);
    return rate;
}
