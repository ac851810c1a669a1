#ifndef CONDUCTOR_SYSTEM_SHIMS_H
#define CONDUCTOR_SYSTEM_SHIMS_H
#include <spawn.h>
#include <sys/types.h>

/// posix_spawn_file_actions_addchdir_np, which Swift's Glibc module hides behind _GNU_SOURCE.
int conductor_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/// posix_spawn_file_actions_addclosefrom_np: the child closes every descriptor from `lowest` up,
/// so no descriptor of the parent leaks into a task.
int conductor_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int lowest);

/// pidfd_open(2) (Linux 5.3), which glibc 2.36 declares in a header Swift does not import: a
/// descriptor that becomes readable when the process `pid` exits. -1 with errno on failure.
int conductor_pidfd_open(pid_t pid);

/// pipe2(descriptors, O_CLOEXEC): a pipe whose ends no concurrently spawned program inherits.
int conductor_pipe_cloexec(int descriptors[2]);

/// renameat2(RENAME_EXCHANGE) (Linux 3.15): swaps the files named `first` and `second` in one
/// atomic step; both must exist. -1 with errno on failure (EINVAL where the file system cannot).
int conductor_rename_exchange(const char *first, const char *second);

/// Takes a write lease on `descriptor` (opened for writing), which the kernel grants only while
/// no other descriptor anywhere has the file open; anyone who opens it meanwhile waits until
/// `conductor_release_lease`. The lease-break notice is SIGURG, ignored by default, instead of
/// SIGIO, which would end the process. -1 with errno when refused (EAGAIN: the file is open).
int conductor_take_write_lease(int descriptor);

/// Gives up the lease `conductor_take_write_lease` took.
int conductor_release_lease(int descriptor);

#endif
