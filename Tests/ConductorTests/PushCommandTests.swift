import Conductor
import Foundation
import Testing
import TestSupport

/// `conductor push` through the built binary: a real batch's branches go to a bare repository
/// made with `git init --bare`, added as a remote by path or by `file://` URL.
@Suite(.timeLimit(.minutes(4))) struct PushCommandTests {
    /// A repository `app` with a two-worker batch `name` run in it, and a bare repository added
    /// to it as `origin` (its URL made by `url` from the path).
    private func batchWithRemote(_ fixture: BatchFixture, name: String, url: (String) -> String = { $0 }) throws -> (app: String, bare: String) {
        let app = try fixture.makeRepository("app")
        try fixture.runEchoBatch(in: app, name: name, workers: 2)
        let bare = fixture.directory.appending("remote.git")
        try fixture.git(fixture.directory.path, ["init", "-q", "--bare", "-b", "main", bare])
        try fixture.git(app, ["remote", "add", "origin", url(bare)])
        return (app, bare)
    }

    private func tip(_ branch: String, in repository: String) throws -> String? {
        let result = try run(["git", "rev-parse", "--verify", "-q", "refs/heads/" + branch], in: repository)
        return result.status == 0 ? result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }

    private func entries(_ output: String) throws -> [[String: Any]] {
        try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]] ?? []
    }

    @Test func pushesTheWorkerBranchesAndPrintsAPullRequestLineForEach() throws {
        let fixture = try BatchFixture()
        let (app, bare) = try batchWithRemote(fixture, name: "p")

        let push = try fixture.conductor(["push", "-n", "p", "-d", fixture.store], in: app)
        #expect(push.status == 0, "\(push.stderr)")
        for worker in 0..<2 {
            let branch = "conductor/p/w\(worker)"
            let local = try #require(try tip(branch, in: app))
            #expect(try tip(branch, in: bare) == local)
            #expect(push.stdout.contains("gh pr create --head \(branch) --base main --title \"p w\(worker): t"), "\(push.stdout)")
        }
        #expect(try tip("conductor/p/merged", in: bare) == nil)

        let again = try fixture.conductor(["push", "-n", "p", "-d", fixture.store, "--json"], in: app)
        #expect(again.status == 0, "\(again.stderr)")
        let listed = try entries(again.stdout)
        #expect(listed.count == 2)
        for entry in listed {
            #expect(entry["status"] as? String == "up-to-date", "\(entry)")
            #expect(entry["remote"] as? String == "origin")
            let branch = try #require(entry["branch"] as? String)
            #expect(entry["sha"] as? String == (try tip(branch, in: app)))
            #expect((entry["gh"] as? String)?.hasPrefix("gh pr create --head \(branch) --base main --title ") == true)
        }
    }

    @Test func pushesTheIntegrationBranchWithMergedToAFileURL() throws {
        let fixture = try BatchFixture()
        let (app, bare) = try batchWithRemote(fixture, name: "m", url: { "file://" + $0 })
        let before = try fixture.conductor(["push", "-n", "m", "-d", fixture.store, "--merged"], in: app)
        #expect(before.status == 2)
        #expect(before.stderr.contains("conductor merge m"), "\(before.stderr)")

        let merge = try fixture.conductor(["merge", "m", "-d", fixture.store], in: app)
        #expect(merge.status == 0, "\(merge.stderr)")
        let push = try fixture.conductor(["push", "-n", "m", "-d", fixture.store, "--merged"], in: app)
        #expect(push.status == 0, "\(push.stderr)")
        #expect(try tip("conductor/m/merged", in: bare) == (try tip("conductor/m/merged", in: app)))
        #expect(try tip("conductor/m/w0", in: bare) == nil)
        #expect(push.stdout.contains("gh pr create --head conductor/m/merged --base main --title \"m: t0, t1\""), "\(push.stdout)")
    }

    @Test func aBranchSomeoneMovedIsRejectedNotForcedAndTheOthersStillGo() throws {
        let fixture = try BatchFixture()
        let (app, bare) = try batchWithRemote(fixture, name: "r")
        try fixture.git(app, ["push", "-q", "origin", "conductor/r/w0"])
        let other = fixture.directory.appending("other")
        try fixture.git(fixture.directory.path, ["clone", "-q", "-b", "conductor/r/w0", bare, other])
        try "theirs\n".write(toFile: other + "/theirs.txt", atomically: true, encoding: .utf8)
        try fixture.git(other, ["add", "-A"])
        try fixture.git(other, ["commit", "-q", "-m", "theirs"])
        try fixture.git(other, ["push", "-q", "origin", "conductor/r/w0"])
        let theirs = try tip("conductor/r/w0", in: other)
        let ours = fixture.store + "/r/app/w0"
        try "ours\n".write(toFile: ours + "/ours.txt", atomically: true, encoding: .utf8)
        try fixture.git(ours, ["add", "-A"])
        try fixture.git(ours, ["commit", "-q", "-m", "ours"])

        let push = try fixture.conductor(["push", "-n", "r", "-d", fixture.store, "--json"], in: app)
        #expect(push.status == 1, "\(push.stdout)\n\(push.stderr)")
        let listed = try entries(push.stdout)
        let rejected = try #require(listed.first { $0["branch"] as? String == "conductor/r/w0" })
        #expect(rejected["status"] as? String == "rejected")
        #expect((rejected["reason"] as? String)?.contains("someone else pushed to conductor/r/w0 on origin") == true, "\(rejected)")
        #expect((rejected["reason"] as? String)?.contains("fetch origin conductor/r/w0") == true, "\(rejected)")
        #expect(try tip("conductor/r/w0", in: bare) == theirs)
        let pushed = try #require(listed.first { $0["branch"] as? String == "conductor/r/w1" })
        #expect(pushed["status"] as? String == "pushed")
        #expect(try tip("conductor/r/w1", in: bare) == (try tip("conductor/r/w1", in: app)))

        let text = try fixture.conductor(["push", "-n", "r", "-d", fixture.store], in: app)
        #expect(text.status == 1)
        #expect(text.stdout.contains("rejected conductor/r/w0"), "\(text.stdout)")
        #expect(text.stdout.contains("never forces"), "\(text.stdout)")
    }

    /// A remote branch whose lock another process keeps in use is refused, naming the lock: no
    /// one pushed to it, so the reason is not "someone else pushed; fetch" (it was).
    @Test func aBranchLockedByAnotherProcessIsRefusedNamingTheLock() throws {
        let fixture = try BatchFixture()
        let (app, bare) = try batchWithRemote(fixture, name: "l")
        try fixture.git(app, ["push", "-q", "origin", "conductor/l/w0"])
        let ours = fixture.store + "/l/app/w0"
        try "ours\n".write(toFile: ours + "/ours.txt", atomically: true, encoding: .utf8)
        try fixture.git(ours, ["add", "-A"])
        try fixture.git(ours, ["commit", "-q", "-m", "ours"])
        let before = try tip("conductor/l/w0", in: bare)
        let lock = bare + "/refs/heads/conductor/l/w0.lock"
        #expect(FileManager.default.createFile(atPath: lock, contents: nil))
        let holder = try BackgroundProcess(["sh", "-c", "while [ -e '\(lock)' ]; do touch '\(lock)'; sleep 0.2; done"])
        defer { holder.stop(grace: 1) }

        let push = try fixture.conductor(["push", "-n", "l", "-d", fixture.store, "--json"], in: app)

        #expect(push.status == 1, "\(push.stdout)\n\(push.stderr)")
        let listed = try entries(push.stdout)
        let refused = try #require(listed.first { $0["branch"] as? String == "conductor/l/w0" })
        let reason = refused["reason"] as? String ?? ""
        #expect(refused["status"] as? String == "rejected")
        #expect(reason.contains("origin refused it") && reason.contains(lock), "\(reason)")
        #expect(!reason.contains("someone else pushed"), "\(reason)")
        #expect(try tip("conductor/l/w0", in: bare) == before)
        #expect(listed.first { $0["branch"] as? String == "conductor/l/w1" }?["status"] as? String == "pushed")
    }

    @Test func tasksPicksTheirWorkersBranchesAndTheBaseUpstreamPicksTheRemote() throws {
        let fixture = try BatchFixture()
        let (app, bare) = try batchWithRemote(fixture, name: "t")
        let upstream = fixture.directory.appending("upstream.git")
        try fixture.git(fixture.directory.path, ["init", "-q", "--bare", "-b", "main", upstream])
        try fixture.git(app, ["remote", "add", "upstream", upstream])
        try fixture.git(app, ["config", "branch.main.remote", "upstream"])
        try fixture.git(app, ["config", "branch.main.merge", "refs/heads/main"])

        let push = try fixture.conductor(["push", "-n", "t", "-d", fixture.store, "--tasks", "t1"], in: app)
        #expect(push.status == 0, "\(push.stderr)")
        let branches = try fixture.git(upstream, ["for-each-ref", "--format=%(refname:short)", "refs/heads/"])
            .split(separator: "\n").map(String.init)
        #expect(branches.count == 1, "\(branches)")
        let branch = try #require(branches.first)
        #expect(try fixture.git(upstream, ["log", "--format=%s", branch]).contains("t1: "))
        #expect(push.stdout.contains("task t1"), "\(push.stdout)")
        #expect(try fixture.git(bare, ["for-each-ref", "refs/heads/"]).isEmpty)

        let unknown = try fixture.conductor(["push", "-n", "t", "-d", fixture.store, "--tasks", "nope"], in: app)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("nope") && unknown.stderr.contains("t0"), "\(unknown.stderr)")
    }

    @Test func anUnknownRemoteIsAClearErrorNamingTheRemotes() throws {
        let fixture = try BatchFixture()
        let (app, bare) = try batchWithRemote(fixture, name: "u")
        let push = try fixture.conductor(["push", "-n", "u", "-d", fixture.store, "--remote", "nope"], in: app)
        #expect(push.status == 2)
        #expect(push.stderr.contains("'nope'") && push.stderr.contains("origin"), "\(push.stderr)")
        #expect(try fixture.git(bare, ["for-each-ref", "refs/heads/"]).isEmpty)

        try fixture.git(app, ["remote", "remove", "origin"])
        let none = try fixture.conductor(["push", "-n", "u", "-d", fixture.store], in: app)
        #expect(none.status == 2)
        #expect(none.stderr.contains("remote add origin URL"), "\(none.stderr)")
    }

    @Test func dryRunSaysWhatItWouldPushAndPushesNothing() throws {
        let fixture = try BatchFixture()
        let (app, bare) = try batchWithRemote(fixture, name: "d")
        let push = try fixture.conductor(["push", "-n", "d", "-d", fixture.store, "--dry-run"], in: app)
        #expect(push.status == 0, "\(push.stderr)")
        #expect(push.stdout.contains("would push conductor/d/w0"), "\(push.stdout)")
        #expect(try fixture.git(bare, ["for-each-ref", "refs/heads/"]).isEmpty)
    }

    @Test func eachRepositoryOfABatchPushesToItsOwnRemote() throws {
        let fixture = try BatchFixture()
        var remotes: [String: String] = [:]
        for name in ["app", "lib"] {
            let repository = try fixture.makeRepository(name)
            remotes[name] = fixture.directory.appending("\(name).git")
            try fixture.git(fixture.directory.path, ["init", "-q", "--bare", "-b", "main", remotes[name]!])
            try fixture.git(repository, ["remote", "add", "origin", remotes[name]!])
        }
        let file = try fixture.tasksFile(#"{"tasks": [{"id": "a", "repo": "app", "command": "echo a > a.txt"}, {"id": "b", "repo": "lib", "command": "echo b > b.txt"}]}"#)
        let batch = try fixture.conductor(["batch", "--worktrees", "-w", "2", "-d", fixture.store, "-n", "two", file])
        #expect(batch.status == 0, "\(batch.stderr)")

        let push = try fixture.conductor(["push", "-n", "two", "-d", fixture.store])
        #expect(push.status == 0, "\(push.stderr)")
        for (name, task) in [("app", "a"), ("lib", "b")] {
            let branches = try fixture.git(remotes[name]!, ["for-each-ref", "--format=%(refname:short)", "refs/heads/"])
                .split(separator: "\n").map(String.init)
            #expect(branches.count == 1, "\(name): \(branches)")
            let branch = try #require(branches.first)
            #expect(try fixture.git(remotes[name]!, ["log", "--format=%s", branch]).contains("\(task): "))
            #expect(push.stdout.contains("\(name): pushed \(branch)"), "\(push.stdout)")
        }
    }

    @Test func aTaskThatCommittedNothingIsNamedNotPushed() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let bare = fixture.directory.appending("remote.git")
        try fixture.git(fixture.directory.path, ["init", "-q", "--bare", "-b", "main", bare])
        try fixture.git(app, ["remote", "add", "origin", bare])
        let file = try fixture.tasksFile(#"{"tasks": [{"id": "fix", "command": "echo fix > fix.txt"}, {"id": "look", "command": "echo looked"}]}"#)
        let batch = try fixture.conductor(["batch", "--worktrees", "-w", "1", "-d", fixture.store, "-n", "n", file], in: app)
        #expect(batch.status == 0, "\(batch.stderr)")

        let only = try fixture.conductor(["push", "-n", "n", "-d", fixture.store, "--tasks", "look"], in: app)
        #expect(only.status == 2)
        #expect(only.stderr.contains("look") && only.stderr.contains("committed nothing"), "\(only.stderr)")
        #expect(try fixture.git(bare, ["for-each-ref", "refs/heads/"]).isEmpty)

        let both = try fixture.conductor(["push", "-n", "n", "-d", fixture.store, "--tasks", "fix,look"], in: app)
        #expect(both.status == 0, "\(both.stderr)")
        #expect(both.stdout.contains("pushed conductor/n/w0 (task fix)"), "\(both.stdout)")
        #expect(both.stderr.contains("task look: no worker branch holds a commit of it"), "\(both.stderr)")
    }
}
