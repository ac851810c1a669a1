#include <stdlib.h>

// Defined in the Conductor module (WorkerEntry.swift); weak, so this module links alone too.
extern void conductor_serve_worker_if_requested(void) __attribute__((weak));

// Before main: a program that links Conductor and was started with CONDUCTOR_WORKER_REQUEST set
// serves as that worker and exits, without the program having to call anything (see WorkerEntry).
// No priority on purpose: constructors with one run before those without, and this one must run
// after the Swift runtime's (swiftrt.o's, which the Swift driver links first) has registered the
// program's metadata. StandaloneProgramTests fails if that order ever changes.
__attribute__((constructor)) static void conductor_worker_entry(void) {
    if (conductor_serve_worker_if_requested && getenv("CONDUCTOR_WORKER_REQUEST")) conductor_serve_worker_if_requested();
}
