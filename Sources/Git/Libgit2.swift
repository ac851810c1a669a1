import CLibgit2

/// Process-wide libgit2 initialisation. `git_libgit2_init` is reference counted; conductor calls it
/// once and never shuts libgit2 down, since handles may live until the process exits.
enum Libgit2 {
    private static let initialized: Bool = {
        git_libgit2_init()
        return true
    }()

    static func ensureInitialized() {
        _ = initialized
    }
}
