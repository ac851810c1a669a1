internal import CLibgit2

/// Process-wide libgit2 initialisation. `git_libgit2_init` is reference counted; conductor calls it
/// once and never shuts libgit2 down, since handles may live until the process exits.
///
/// libgit2 caches trees only up to 4 KiB by default, so a directory of more than about a hundred
/// files is inflated again by every diff and merge that reads it; the report reads the same trees
/// dozens of times, so trees up to `treeCacheLimit` are kept.
enum Libgit2 {
    static let treeCacheLimit = 1 << 20

    private static let initialized: Bool = {
        git_libgit2_init()
        _ = conductor_git_set_cache_object_limit(GIT_OBJECT_TREE, treeCacheLimit)
        return true
    }()

    static func ensureInitialized() {
        _ = initialized
    }
}
