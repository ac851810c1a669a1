import Foundation
import Git
import TestSupport

/// A repository (`fixture`) whose remote `origin` is a bare repository on disk, named by its path
/// or by a `file://` URL, and a second clone of that remote (`other`): another host pushing to
/// the same branches.
struct LocalRemote: Sendable {
    let fixture: GitFixture
    /// The bare remote's path.
    let bare: String
    /// The other host's clone.
    let other: String

    init(fileURL: Bool) throws {
        fixture = try GitFixture()
        bare = fixture.directory.appending("origin.git")
        try fixture.git(["init", "-q", "--bare", "-b", "main", bare], in: fixture.directory.path)
        try fixture.git(["remote", "add", "origin", fileURL ? "file://" + bare : bare])
        try fixture.git(["push", "-q", "origin", "main"])
        other = fixture.directory.appending("other")
        try fixture.git(["clone", "-q", bare, other], in: fixture.directory.path)
    }

    /// `count` more clones of the remote: other hosts (`host0`, `host1`, …).
    func hostClones(_ count: Int) throws -> [String] {
        try (0..<count).map { host in
            let clone = fixture.directory.appending("host\(host)")
            try fixture.git(["clone", "-q", bare, clone], in: fixture.directory.path)
            return clone
        }
    }

    /// Commits a new file named for `name` on `branch` in `checkout`, first (re)making the branch
    /// at `start` after a fetch when given; returns the commit's sha.
    @discardableResult
    func commit(_ name: String, on branch: String, in checkout: String, from start: String? = nil) throws -> String {
        if let start {
            try fixture.git(["fetch", "-q", "origin"], in: checkout)
            try fixture.git(["checkout", "-q", "-B", branch, start], in: checkout)
        } else {
            try fixture.git(["checkout", "-q", branch], in: checkout)
        }
        try fixture.write("\(name).txt", "\(name)\n", root: checkout)
        return try fixture.commit(name, in: checkout)
    }

    /// The commit `branch` points at on the remote, or nil when it has no such branch.
    func remoteTip(_ branch: String) throws -> String? {
        let result = try run(["git", "--git-dir", bare, "rev-parse", "--verify", "-q", "refs/heads/" + branch])
        return result.status == 0 ? result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }

    /// The remote's references outside branches and tags (a push's temporary ones would be there).
    func strayReferences() throws -> [String] {
        try fixture.git(["--git-dir", bare, "for-each-ref", "--format=%(refname)"])
            .split(separator: "\n").map(String.init)
            .filter { !$0.hasPrefix("refs/heads/") && !$0.hasPrefix("refs/tags/") }
    }

    /// True when `ancestor` is in the history of `commit` on the remote.
    func remoteHas(_ ancestor: String, in commit: String) throws -> Bool {
        try run(["git", "--git-dir", bare, "merge-base", "--is-ancestor", ancestor, commit]).status == 0
    }
}
