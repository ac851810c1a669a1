import Conductor
import Foundation
import Testing
import TestSupport

/// `conductor prune` run as a user would: what it cannot check it keeps, it touches only what the
/// batch made, and `--dry-run` shows the same decisions.
@Suite(.serialized, .timeLimit(.minutes(3))) struct PruneSafetyTests {
    private func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    @Test func afterTheRepositoryMovedNothingIsRemovedAndTheOutputSaysWhichRepositoryAndWhatToDo() throws {
        let fixture = try BatchFixture()
        let repository = try fixture.makeRepository("r")
        try fixture.runEchoBatch(in: repository, name: "b1", workers: 1)
        let notes = "\(fixture.store)/b1/r/w0/notes.txt"
        try "x\n".write(toFile: notes, atomically: true, encoding: .utf8)
        let moved = fixture.directory.appending("r-moved")
        try FileManager.default.moveItem(atPath: repository, toPath: moved)

        let dry = try fixture.conductor(["prune", "b1", "-d", fixture.store, "--dry-run"])
        #expect(dry.status == 1, "a dry run exits as prune would: something would be kept")
        #expect(dry.stdout.contains("kept repository \(repository)"), "\(dry.stdout)")
        #expect(dry.stdout.contains("kept batch directory"))
        let prune = try fixture.conductor(["prune", "b1", "-d", fixture.store])
        #expect(prune.status == 1, "something was kept: \(prune.stdout)\(prune.stderr)")
        #expect(prune.stdout.contains("kept repository \(repository)"))
        #expect(prune.stdout.contains("worktree repair"), "says how to reconnect a moved repository: \(prune.stdout)")
        #expect(prune.stdout.contains("\(fixture.store)/b1/batch.json"), "names the record to update")
        #expect(!prune.stdout.contains("nothing of the batch is left"))
        #expect(exists(notes))
        #expect(exists("\(fixture.store)/b1/batch.json"))

        // Moved back, the same prune checks the worktree and keeps it for its uncommitted file.
        try FileManager.default.moveItem(atPath: moved, toPath: repository)
        let again = try fixture.conductor(["prune", "b1", "-d", fixture.store])
        #expect(again.status == 1)
        #expect(again.stdout.contains("kept worktree \(fixture.store)/b1/r/w0"), "\(again.stdout)")
        #expect(exists(notes))
    }

    @Test func aWorktreeWhoseGitFileIsGoneIsKeptAndReportedWhileTheRestIsPruned() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        try fixture.runEchoBatch(in: app, name: "g1", workers: 2)
        try fixture.git(app, ["merge", "-q", "--no-edit", "conductor/g1/w0", "conductor/g1/w1"])
        let broken = "\(fixture.store)/g1/app/w1"
        try FileManager.default.removeItem(atPath: broken + "/.git")
        try "unsaved\n".write(toFile: broken + "/notes.txt", atomically: true, encoding: .utf8)

        let dry = try fixture.conductor(["prune", "g1", "-d", fixture.store, "--dry-run"])
        #expect(dry.status == 1, "it would keep the broken worktree: \(dry.stderr)")
        #expect(dry.stdout.contains("kept worktree \(broken)"), "\(dry.stdout)")
        #expect(dry.stdout.contains("would remove worktree \(fixture.store)/g1/app/w0"))
        for arguments in [["prune", "g1", "-d", fixture.store], ["prune", "g1", "-d", fixture.store, "--force"]] {
            let prune = try fixture.conductor(arguments)
            #expect(prune.status == 1, "\(arguments): \(prune.stdout)\(prune.stderr)")
            #expect(prune.stdout.contains("kept worktree \(broken) (conductor/g1/w1)"))
            #expect(prune.stdout.contains(".git"), "says what is wrong with it")
            #expect(exists(broken + "/notes.txt"))
            #expect(!exists("\(fixture.store)/g1/app/w0"))
            #expect(try fixture.git(app, ["branch", "--list", "--format=%(refname:short)", "conductor/*"]) == "conductor/g1/w1\n")
        }
    }

    @Test func aUsersStaleWorktreeEntrySurvivesABatchAndAPrune() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let usb = fixture.directory.appending("usb/feature")
        try fixture.git(app, ["worktree", "add", "-q", "--detach", usb])
        try "detached work\n".write(toFile: usb + "/feature.txt", atomically: true, encoding: .utf8)
        try fixture.git(usb, ["add", "feature.txt"])
        try fixture.git(usb, ["commit", "-q", "-m", "work only the detached HEAD names"])
        let detached = try fixture.git(usb, ["rev-parse", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)
        try FileManager.default.moveItem(atPath: fixture.directory.appending("usb"), toPath: fixture.directory.appending("unplugged"))
        let entry = "\(app)/.git/worktrees/feature"

        try fixture.runEchoBatch(in: app, name: "s1", workers: 1)
        #expect(exists(entry + "/HEAD"), "the batch left the user's entry alone")
        try fixture.git(app, ["merge", "-q", "--no-edit", "conductor/s1/w0"])
        let dry = try fixture.conductor(["prune", "s1", "-d", fixture.store, "--dry-run"])
        #expect(!dry.stdout.contains("feature"), "\(dry.stdout)")
        let prune = try fixture.conductor(["prune", "s1", "-d", fixture.store])
        #expect(prune.status == 0, "\(prune.stdout)\(prune.stderr)")
        #expect(exists(entry + "/HEAD"), "prune left the user's entry alone")
        #expect(try String(contentsOfFile: entry + "/HEAD", encoding: .utf8).hasPrefix(detached))
        #expect(try fixture.git(app, ["branch", "--list", "conductor/*"]).isEmpty)
    }

    @Test func aWorktreeWithSubmodulesIsKeptUnlessForced() throws {
        let fixture = try BatchFixture()
        let library = try fixture.makeRepository("lib")
        let app = try fixture.makeRepository("app")
        let allowFile = ["-c", "protocol.file.allow=always"]
        try fixture.git(app, allowFile + ["submodule", "add", "-q", library, "lib"])
        try fixture.git(app, ["commit", "-q", "-m", "Add lib"])
        try fixture.runEchoBatch(in: app, name: "m1", workers: 1)
        try fixture.git(app, ["merge", "-q", "--no-edit", "conductor/m1/w0"])
        let worktree = "\(fixture.store)/m1/app/w0"
        try fixture.git(worktree, allowFile + ["submodule", "update", "-q", "--init"])
        try "fix\n".write(toFile: worktree + "/lib/fix.txt", atomically: true, encoding: .utf8)
        try fixture.git(worktree + "/lib", ["add", "fix.txt"])
        try fixture.git(worktree + "/lib", ["commit", "-q", "-m", "fix in the submodule"])
        let submoduleCommit = try fixture.git(worktree + "/lib", ["rev-parse", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)
        try fixture.git(worktree, ["add", "lib"])
        try fixture.git(worktree, ["commit", "-q", "-m", "bump lib"])
        try fixture.git(app, ["merge", "-q", "--no-edit", "conductor/m1/w0"])
        #expect(try fixture.git(worktree, ["status", "--porcelain"]).isEmpty, "nothing uncommitted")

        let dry = try fixture.conductor(["prune", "m1", "-d", fixture.store, "--dry-run"])
        #expect(dry.stdout.contains("kept worktree \(worktree)"), "\(dry.stdout)")
        let prune = try fixture.conductor(["prune", "m1", "-d", fixture.store])
        #expect(prune.status == 1, "\(prune.stdout)\(prune.stderr)")
        #expect(prune.stdout.contains("kept worktree \(worktree) (conductor/m1/w0)"))
        #expect(prune.stdout.contains("submodule"))
        #expect(try run(["git", "cat-file", "-e", submoduleCommit], in: worktree + "/lib").status == 0, "the submodule commit survives")

        let forced = try fixture.conductor(["prune", "m1", "-d", fixture.store, "--force"])
        #expect(forced.status == 0, "\(forced.stdout)\(forced.stderr)")
        #expect(!exists(worktree))
        #expect(!exists("\(fixture.store)/m1"))
    }

    @Test func taskRefsKeepUnmergedWorkAndAreDeletedOnlyWithTheirBranch() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        try fixture.runEchoBatch(in: app, name: "k1", workers: 3)
        try fixture.git(app, ["merge", "-q", "--no-edit", "conductor/k1/w0", "conductor/k1/w1"])
        // w0: a task commit that only its ref names, as after an agent's `git reset --hard`.
        let w0 = "\(fixture.store)/k1/app/w0"
        try "lost\n".write(toFile: w0 + "/lost.txt", atomically: true, encoding: .utf8)
        try fixture.git(w0, ["add", "lost.txt"])
        try fixture.git(w0, ["commit", "-q", "-m", "reset away"])
        try fixture.git(app, ["update-ref", "refs/conductor/k1/w0/2-lost", "conductor/k1/w0"])
        try fixture.git(w0, ["reset", "-q", "--hard", "HEAD~1"])
        // w1: its ref names the branch's own (merged) commit.
        try fixture.git(app, ["update-ref", "refs/conductor/k1/w1/1-t1", "conductor/k1/w1"])
        // w2: unmerged, its branch deleted by hand; only its ref keeps the work.
        try fixture.git(app, ["update-ref", "refs/conductor/k1/w2/1-t2", "conductor/k1/w2"])
        try fixture.git("\(fixture.store)/k1/app/w2", ["switch", "-q", "--detach"])
        try fixture.git(app, ["branch", "-q", "-D", "conductor/k1/w2"])
        let refs = { try fixture.git(app, ["for-each-ref", "--format=%(refname)", "refs/conductor/"]) }

        let dry = try fixture.conductor(["prune", "k1", "-d", fixture.store, "--dry-run"])
        #expect(dry.stdout.contains("kept branch conductor/k1/w0"), "\(dry.stdout)")
        #expect(dry.stdout.contains("refs/conductor/k1/w0/2-lost"))
        #expect(dry.stdout.contains("would delete branch conductor/k1/w1"))
        #expect(dry.stdout.contains("kept the task refs of conductor/k1/w2: 1 commit(s) not in main"))
        let prune = try fixture.conductor(["prune", "k1", "-d", fixture.store])
        #expect(prune.status == 1, "\(prune.stdout)\(prune.stderr)")
        // The batch's own task refs (one per task commit) go and stay with their worker's work too.
        let kept = try refs().split(separator: "\n").map(String.init)
        #expect(kept.contains("refs/conductor/k1/w0/2-lost") && kept.contains("refs/conductor/k1/w2/1-t2"), "\(kept)")
        #expect(kept.allSatisfy { $0.hasPrefix("refs/conductor/k1/w0/") || $0.hasPrefix("refs/conductor/k1/w2/") }, "w1's refs went with its branch: \(kept)")
        #expect(try fixture.git(app, ["branch", "--list", "--format=%(refname:short)", "conductor/*"]) == "conductor/k1/w0\n")

        let forced = try fixture.conductor(["prune", "k1", "-d", fixture.store, "--force"])
        #expect(forced.status == 0, "\(forced.stdout)\(forced.stderr)")
        #expect(try refs().isEmpty)
        #expect(try fixture.git(app, ["branch", "--list", "conductor/*"]).isEmpty)
    }
}
