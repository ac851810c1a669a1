#ifndef CONDUCTOR_SYSTEM_SHIMS_H
#define CONDUCTOR_SYSTEM_SHIMS_H
#include <spawn.h>

/// posix_spawn_file_actions_addchdir_np, which Swift's Glibc module hides behind _GNU_SOURCE.
int conductor_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/// posix_spawn_file_actions_addclosefrom_np: the child closes every descriptor from `lowest` up,
/// so no descriptor of the parent leaks into a task.
int conductor_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int lowest);

#endif
