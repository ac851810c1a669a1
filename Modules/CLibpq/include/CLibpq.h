#ifndef CLIBPQ_H
#define CLIBPQ_H

// libpq, loaded when the first connection needs it rather than linked.
//
// Linking libpq makes every start of the program map it and what it pulls in (libssl, GSSAPI,
// LDAP): about 3 ms per process, paid by every `conductor` run even on the filesystem queue. So
// this module compiles against libpq's header for its types and signatures, and `clibpq_open`
// finds the functions in libpq.so.5 with dlopen/dlsym. Nothing here links libpq; a call to a
// libpq function by its own name fails to link, so every call goes through `struct CLibpq`.

#include <stdbool.h>
#include <stddef.h>

#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#elif __has_include(<postgresql/libpq-fe.h>)
#include <postgresql/libpq-fe.h> // Debian's libpq-dev
#else
#error "libpq-fe.h not found: install libpq's headers (Debian: apt install libpq-dev)"
#endif

// The libpq functions the Postgres module calls: one list for the struct and the loader.
#define CLIBPQ_FUNCTIONS(X) \
    X(PQconnectdb) X(PQstatus) X(PQerrorMessage) X(PQfinish) X(PQsetNoticeProcessor) \
    X(PQexecParams) X(PQresultStatus) X(PQntuples) X(PQnfields) X(PQgetisnull) X(PQgetvalue) \
    X(PQresultErrorField) X(PQresultErrorMessage) X(PQclear) \
    X(PQescapeIdentifier) X(PQfreemem) X(PQsocket) X(PQconsumeInput) X(PQnotifies)

// Each function with libpq's own name and signature (the compiler takes them from libpq-fe.h).
struct CLibpq {
#define CLIBPQ_FIELD(name) __typeof__(name) *_Nonnull name;
    CLIBPQ_FUNCTIONS(CLIBPQ_FIELD)
#undef CLIBPQ_FIELD
};

// Opens `library` (libpq.so.5) and fills `functions`; false, with dlerror's reason in `error`
// (`size` bytes at most), when the library or one of its functions is missing. The library stays
// open for the life of the process.
bool clibpq_open(const char *_Nonnull library, struct CLibpq *_Nonnull functions, char *_Nonnull error, size_t size);

#endif
