#include "CLibpq.h"

#include <dlfcn.h>
#include <stdio.h>

bool clibpq_open(const char *library, struct CLibpq *functions, char *error, size_t size) {
    // RTLD_LOCAL: libpq's symbols stay out of the global namespace, reached only through `functions`.
    void *handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        snprintf(error, size, "%s", dlerror());
        return false;
    }
#define CLIBPQ_LOAD(name)                                                      \
    functions->name = (__typeof__(name) *)dlsym(handle, #name);                \
    if (functions->name == NULL) {                                             \
        snprintf(error, size, "%s has no function " #name ": %s", library, dlerror()); \
        dlclose(handle);                                                       \
        return false;                                                          \
    }
    CLIBPQ_FUNCTIONS(CLIBPQ_LOAD)
#undef CLIBPQ_LOAD
    return true;
}
