#include <git2.h>

/// Sets how big an object of `type` may be and still be kept in a repository's object cache
/// (`git_libgit2_opts` is variadic, which Swift cannot call).
static inline int conductor_git_set_cache_object_limit(git_object_t type, size_t limit) {
    return git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, type, limit);
}

/// The directories libgit2 searches for configuration files of `level` (`git_libgit2_opts` is
/// variadic, which Swift cannot call).
static inline int conductor_git_get_search_path(git_config_level_t level, git_buf *out) {
    return git_libgit2_opts(GIT_OPT_GET_SEARCH_PATH, level, out);
}
