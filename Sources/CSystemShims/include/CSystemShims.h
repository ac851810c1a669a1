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

#endif
