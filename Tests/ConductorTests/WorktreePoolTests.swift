import Conductor
import Foundation
import Testing
import TestSupport

/// `batch --worktrees --pool`: prune parks a batch's clean worktrees in the repository's pool with
/// what `setup` made (ignored files); the next `--pool` batch takes them, moved to its branches at
/// its base, without running an unchanged `setup` again. A worktree another batch holds, or one
/// with tracked changes, is never taken; `prune --pool` removes the parked ones only.
@Suite(.serialized, .timeLimit(.minutes(4))) struct WorktreePoolTests {
    /// A repository whose `deps/` is ignored, and a setup command that counts its runs.
    private final class Pool: @unchecked Sendable {
        let fixture = try! BatchFixture()
        let app: String
        var setupLog: String { fixture.directory.appending("setup.log") }

        init() throws {
            app = try fixture.makeRepository("app")
            try "deps/\n".write(toFile: "\(app)/.gitignore", atomically: true, encoding: .utf8)
            _ = try fixture.git(app, ["add", ".gitignore"])
            _ = try fixture.git(app, ["commit", "-qm", "ignore deps"])
        }

        /// Runs a `--pool` batch `name` of `tasks` (JSON) with `setup`; returns its record.
        @discardableResult
        func batch(_ name: String, _ tasks: String, setup: String = "mkdir -p deps && echo lib > deps/lib", store: String? = nil) throws -> BatchRecord {
            let file = try fixture.tasksFile(#"{"setup": "echo ran >> \#(setupLog); \#(setup)", "tasks": \#(tasks)}"#, name: name + ".json")
            let result = try fixture.conductor(["batch", "--worktrees", "--pool", "-w", "2", "-d", store ?? fixture.store, "-n", name, file], in: app)
            #expect(result.status == 0, "\(result.stderr)")
            return try BatchStore(path: store ?? fixture.store).load(name)
        }

        func prune(_ arguments: [String], store: String? = nil) throws -> RunResult {
            try fixture.conductor(["prune"] + arguments + ["-d", store ?? fixture.store], in: app)
        }

        var setupRuns: Int { ((try? String(contentsOfFile: setupLog, encoding: .utf8)) ?? "").split(separator: "\n").count }

        /// Runs batch `one` of two tasks on two workers and prunes it: its two worktrees are parked.
        func parkTwoWorktrees() throws -> [String] {
            let first = try batch("one", #"[{"id": "a", "command": "echo a > a.txt"}, {"id": "b", "command": "echo b > b.txt"}]"#)
            _ = try prune(["one", "--force"])
            return worktrees(of: first)
        }

        func worktrees(of record: BatchRecord) -> [String] {
            (0..<record.workers).map { record.worktreePath(record.repos[0], worker: $0) }
        }
    }

    @Test func aSecondPoolBatchTakesTheParkedWorktreesWithWhatSetupMade() throws {
        let pool = try Pool()
        let first = try pool.batch("one", #"[{"id": "a", "command": "echo a > a.txt"}, {"id": "b", "command": "echo b > b.txt"}]"#)
        #expect(pool.setupRuns == 2, "setup ran once per new worktree")
        let paths = pool.worktrees(of: first)
        #expect(paths.allSatisfy { $0.hasPrefix(pool.fixture.store + "/pool/") }, "\(paths)")
        let pruned = try pool.prune(["one"])
        #expect(pruned.stdout.contains("parked worktree"), "\(pruned.stdout)")
        for path in paths {
            #expect(try pool.fixture.git(path, ["status", "--porcelain", "--branch"]).hasPrefix("## HEAD (no branch)"), "parked on no branch")
        }
        try "left behind\n".write(toFile: paths[1] + "/stray.txt", atomically: true, encoding: .utf8)

        let second = try pool.batch("two", #"[{"id": "c", "command": "cat deps/lib > c.txt"}, {"id": "d", "command": "test ! -e a.txt && test ! -e b.txt && echo d > d.txt"}]"#)
        #expect(pool.worktrees(of: second) == paths, "the parked worktrees were taken")
        #expect(pool.setupRuns == 2, "the same setup did not run again")
        for path in paths {
            #expect(FileManager.default.fileExists(atPath: path + "/deps/lib"), "what setup made is still there")
            #expect(!FileManager.default.fileExists(atPath: path + "/stray.txt"), "what was left untracked is gone")
        }
        let records = try BatchRun.finalResults(journal: "\(second.directory)/journal.jsonl")
        #expect(records["c"]?.result.status == .done && records["d"]?.result.status == .done, "\(records.mapValues(\.result.status))")
        #expect(try pool.fixture.git(pool.app, ["show", "conductor/two/w0:c.txt", "conductor/two/w1:d.txt"]).count > 0)
        #expect(try pool.fixture.git(pool.app, ["log", "--format=%s", "main..conductor/one/w0"]).contains("a: "), "the first batch's unmerged branch is kept")

        let third = try pool.batch("three", #"[{"id": "e", "command": "echo e > e.txt"}]"#)
        #expect(Set(pool.worktrees(of: third)).isDisjoint(with: paths), "batch two holds its worktrees: none is taken from it")
        #expect(pool.setupRuns == 3, "batch three's one new worktree ran setup")
        _ = try pool.prune(["two"])
        let fourth = try pool.batch("four", #"[{"id": "f", "command": "echo f > f.txt"}]"#, setup: "mkdir -p deps && echo changed > deps/lib")
        #expect(pool.worktrees(of: fourth)[0] == paths[0])
        #expect(pool.setupRuns == 4, "a changed setup runs again in a taken worktree")
    }

    /// Commits made in a parked worktree (HEAD detached, so no branch holds them) are someone's
    /// work: the worktree is not taken, and the commit stays where it was.
    @Test func aParkedWorktreeWithNewCommitsIsNotTaken() throws {
        let pool = try Pool()
        let paths = try pool.parkTwoWorktrees()
        try "kept\n".write(toFile: paths[0] + "/mine.txt", atomically: true, encoding: .utf8)
        _ = try pool.fixture.git(paths[0], ["add", "mine.txt"])
        _ = try pool.fixture.git(paths[0], ["-c", "user.name=me", "-c", "user.email=me@localhost", "commit", "-qm", "my work"])
        let mine = try pool.fixture.git(paths[0], ["rev-parse", "HEAD"])

        let second = try pool.batch("two", #"[{"id": "c", "command": "echo c > c.txt"}, {"id": "d", "command": "echo d > d.txt"}]"#)
        #expect(!pool.worktrees(of: second).contains(paths[0]), "a parked worktree whose HEAD moved is not taken")
        #expect(try pool.fixture.git(paths[0], ["rev-parse", "HEAD"]) == mine, "the commit is still its HEAD")
    }

    @Test func aWorktreeWithTrackedChangesIsNeitherTakenNorPruned() throws {
        let pool = try Pool()
        let paths = try pool.parkTwoWorktrees()
        try "someone's edit\n".write(toFile: paths[0] + "/README.md", atomically: true, encoding: .utf8)

        let second = try pool.batch("two", #"[{"id": "c", "command": "echo c > c.txt"}, {"id": "d", "command": "echo d > d.txt"}]"#)
        #expect(!pool.worktrees(of: second).contains(paths[0]), "a parked worktree with tracked changes is not taken")
        #expect(try String(contentsOfFile: paths[0] + "/README.md", encoding: .utf8) == "someone's edit\n")

        let held = pool.worktrees(of: second)
        try "more\n".write(toFile: held[0] + "/c-extra.txt", atomically: true, encoding: .utf8)
        let pruned = try pool.prune(["two"])
        #expect(pruned.status == 1, "a worktree with uncommitted work is kept: \(pruned.stdout)")
        #expect(FileManager.default.fileExists(atPath: held[0] + "/c-extra.txt"))

        let removed = try pool.prune(["--pool"])
        #expect(removed.status == 1, "the edited parked worktree is kept: \(removed.stdout)")
        #expect(removed.stdout.contains("removed worktree \(held[1])"), "\(removed.stdout)")
        #expect(removed.stdout.contains("kept worktree \(paths[0])"), "\(removed.stdout)")
        #expect(!FileManager.default.fileExists(atPath: held[1]), "a parked clean worktree is removed")
        #expect(FileManager.default.fileExists(atPath: held[0] + "/c-extra.txt"), "the one batch two still holds stays")
        #expect(try String(contentsOfFile: paths[0] + "/README.md", encoding: .utf8) == "someone's edit\n")
    }

    /// Pools of one repository in two stores (two `-d` directories) are two pools: their worktrees
    /// have names of their own in the repository, so each store's `--pool` batch gets worktrees,
    /// and each store's `prune --pool` removes its own only.
    @Test func poolsOfOneRepositoryInTwoStoresKeepApart() throws {
        let pool = try Pool()
        let parked = try pool.parkTwoWorktrees()
        let other = pool.fixture.directory.appending("other-store")
        let second = try pool.batch("two", #"[{"id": "c", "command": "echo c > c.txt"}, {"id": "d", "command": "echo d > d.txt"}]"#, store: other)
        let records = try BatchRun.finalResults(journal: "\(second.directory)/journal.jsonl")
        #expect(records["c"]?.result.status == .done && records["d"]?.result.status == .done, "\(records.mapValues(\.result.error))")
        let theirs = pool.worktrees(of: second)
        #expect(theirs.allSatisfy { $0.hasPrefix(other + "/pool/") }, "\(theirs)")
        _ = try pool.prune(["two"], store: other)

        let removed = try pool.prune(["--pool"], store: other)
        #expect(removed.status == 0, "\(removed.stdout)")
        #expect(theirs.allSatisfy { !FileManager.default.fileExists(atPath: $0) }, "the other store's pool is removed")
        #expect(parked.allSatisfy { FileManager.default.fileExists(atPath: $0 + "/deps/lib") }, "the first store's pool is untouched")
        let listed = try pool.fixture.git(pool.app, ["worktree", "list", "--porcelain"])
        #expect(parked.allSatisfy { listed.contains("worktree \($0)\n") }, "\(listed)")
        #expect(try pool.prune(["--pool"]).status == 0)
        #expect(parked.allSatisfy { !FileManager.default.fileExists(atPath: $0) })
    }

    /// A pool made before pools had a tag (its worktrees named `conductor-pool-p<n>`, its
    /// `pool.json` without `tag`) is still taken, and removed, by its old names.
    @Test func aPoolOfTheNamesBeforeTagsIsStillTakenAndPruned() throws {
        let pool = try Pool()
        let parked = try pool.parkTwoWorktrees()
        let directory = (parked[0] as NSString).deletingLastPathComponent
        let manifestFile = directory + "/pool.json"
        var manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifestFile))) as? [String: Any])
        let tag = try #require(manifest.removeValue(forKey: "tag") as? String)
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: manifestFile))
        let admin = pool.app + "/.git/worktrees/"
        for path in parked {
            let entry = (path as NSString).lastPathComponent
            try FileManager.default.moveItem(atPath: admin + "conductor-pool-\(tag)-\(entry)", toPath: admin + "conductor-pool-\(entry)")
            try "gitdir: \(admin)conductor-pool-\(entry)\n".write(toFile: path + "/.git", atomically: true, encoding: .utf8)
        }
        #expect(try pool.fixture.git(parked[0], ["status", "--porcelain"]).isEmpty, "the worktrees work under their old names")

        let second = try pool.batch("two", #"[{"id": "c", "command": "echo c > c.txt"}, {"id": "d", "command": "echo d > d.txt"}]"#)
        #expect(pool.worktrees(of: second) == parked, "the old pool's worktrees were taken")
        let records = try BatchRun.finalResults(journal: "\(second.directory)/journal.jsonl")
        #expect(records["c"]?.result.status == .done && records["d"]?.result.status == .done, "\(records.mapValues(\.result.error))")
        _ = try pool.prune(["two"])
        let removed = try pool.prune(["--pool"])
        #expect(removed.status == 0, "\(removed.stdout)")
        #expect(parked.allSatisfy { !FileManager.default.fileExists(atPath: $0) }, "\(removed.stdout)")
        #expect(try pool.fixture.git(pool.app, ["worktree", "list", "--porcelain"]).components(separatedBy: "worktree ").count == 2, "only the main checkout is left")
    }
}
