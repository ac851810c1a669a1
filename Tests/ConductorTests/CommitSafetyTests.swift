import Conductor
import Foundation
import Testing
import TestSupport

/// Hostile tasks against the commit step, through the built binary: tasks that leave their
/// worktree, break its `.git`, move HEAD, reset the branch, nest repositories, or commit and then
/// kill their worker. Nothing may be committed outside the worktree, and no task's work may be lost
/// or silently moved.
@Suite(.serialized, .timeLimit(.minutes(3))) struct CommitSafetyTests {
    private static let identity = "-c user.name=Agent -c user.email=agent@example.com"

    /// `git log --format=%H base..ref`, oldest first.
    private func shas(_ fixture: BatchFixture, _ repository: String, _ range: String) throws -> [String] {
        try fixture.git(repository, ["log", "--reverse", "--format=%H", range]).split(separator: "\n").map(String.init)
    }

    private func results(_ output: [String: Any]) throws -> [String: [String: Any]] {
        let list = try #require(output["results"] as? [[String: Any]])
        var byID: [String: [String: Any]] = [:]
        for record in list {
            let id = try #require((record["task"] as? [String: Any])?["id"] as? String)
            byID[id] = try #require(record["result"] as? [String: Any])
        }
        return byID
    }

    /// The task refs of worker `worker`: name → commit.
    private func taskRefs(_ fixture: BatchFixture, _ repository: String, batch: String, worker: Int) throws -> [String: String] {
        let lines = try fixture.git(repository, ["for-each-ref", "--format=%(refname) %(objectname)", "refs/conductor/\(batch)/w\(worker)/"])
        return Dictionary(uniqueKeysWithValues: lines.split(separator: "\n").map { line in
            let parts = line.split(separator: " ")
            return (String(parts[0]), String(parts[1]))
        })
    }

    // MARK: item 2: a task's cwd stays inside its worktree

    @Test func aCwdOutsideTheWorktreeIsRefusedBeforeAnythingRuns() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        try "draft\n".write(toFile: app + "/README.md", atomically: true, encoding: .utf8)
        try "SECRET=1\n".write(toFile: app + "/.env.local", atomically: true, encoding: .utf8)
        let file = try fixture.tasksFile("""
        {"tasks": [
          {"id": "abs", "command": "echo a > a.txt", "cwd": "\(app)/src"},
          {"id": "up", "command": "echo b > b.txt", "cwd": "../../.."},
          {"id": "sneaky", "command": "echo c > c.txt", "cwd": "src/../../x"}
        ]}
        """)
        for worktrees in [true, false] {
            let result = try fixture.conductor(["batch"] + (worktrees ? ["--worktrees"] : []) + ["-d", fixture.store, "--name", "c\(worktrees)", file], in: app)
            #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
            for id in ["abs", "up", "sneaky"] {
                #expect(result.stderr.contains("\(file): task") && result.stderr.contains("(id \"\(id)\"): field \"cwd\""), "\(id): \(result.stderr)")
            }
            #expect(!FileManager.default.fileExists(atPath: "\(fixture.store)/c\(worktrees)"))
        }
        #expect(try fixture.git(app, ["status", "--porcelain"]) == " M README.md\n?? .env.local\n")
        #expect(try fixture.git(app, ["log", "--format=%s", "-1"]) == "Document usage\n")
    }

    @Test func aCwdInsideTheWorktreeRunsThereAndCommitsTheWholeWorktree() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile(#"{"tasks": [{"id": "deep", "command": "echo here > here.txt; echo top > ../top.txt", "cwd": "src"}]}"#)
        let result = try fixture.conductor(["batch", "--worktrees", "-w", "1", "-d", fixture.store, "--name", "in", file], in: app)
        #expect(result.status == 0, "\(result.stderr)")
        let files = try fixture.git(app, ["diff", "--name-only", "main", "conductor/in/w0"])
        #expect(files == "src/here.txt\ntop.txt\n")
        #expect(try fixture.git(app, ["status", "--porcelain"]).isEmpty)
    }

    // MARK: item 3: commits never search parent directories

    @Test func aBatchDirectoryInsideTheRepositoryIsRefused() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile(#"{"tasks": [{"id": "t", "command": "true"}]}"#)
        let result = try fixture.conductor(["batch", "--worktrees", "-d", app + "/work", "--name", "in", file], in: app)
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("-d"), "\(result.stderr)")
        #expect(result.stderr.contains(app), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: app + "/work"))
        #expect(try fixture.git(app, ["status", "--porcelain"]).isEmpty)
    }

    @Test func aTaskThatDeletesItsWorktreesGitFileCommitsNowhere() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        // The batch directory lives inside another repository (HOME as a dotfiles repository).
        let dotfiles = fixture.directory.appending("dotfiles")
        try FileManager.default.createDirectory(atPath: dotfiles, withIntermediateDirectories: true)
        try fixture.git(dotfiles, ["init", "-q", "-b", "main"])
        try "machine x password y\n".write(toFile: dotfiles + "/.netrc", atomically: true, encoding: .utf8)
        try fixture.git(dotfiles, ["commit", "-q", "--allow-empty", "-m", "dotfiles"])
        let file = try fixture.tasksFile("""
        {"repo": "app", "tasks": [
          {"id": "rmgit", "command": "rm .git; echo work > work.txt"},
          {"id": "after", "command": "echo after > after.txt; git add -A; git \(Self.identity) commit -qm after"}
        ]}
        """)
        let result = try fixture.conductor(["batch", "--worktrees", "--sequential", "-w", "1", "-d", dotfiles + "/work", "--name", "g1", "--json", file], in: app)
        #expect(result.status == 1, "\(result.stderr)")
        let task = try #require(try results(try fixture.batchJSON(result.stdout))["rmgit"])
        #expect(task["status"] as? String == "error")
        #expect((task["error"] as? String)?.contains(".git") == true, "\(task)")
        #expect(task["commit"] == nil)
        #expect(try fixture.git(dotfiles, ["log", "--format=%s"]) == "dotfiles\n", "nothing committed in the enclosing repository")
        #expect(try fixture.git(dotfiles, ["diff", "--cached", "--name-only"]).isEmpty, "nothing staged there either")
        #expect(FileManager.default.fileExists(atPath: "\(dotfiles)/work/g1/app/w0/work.txt"), "the task's work stays in place")
        let after = try #require(try results(try fixture.batchJSON(result.stdout))["after"])
        #expect(after["status"] as? String == "error")
        #expect(!FileManager.default.fileExists(atPath: "\(dotfiles)/work/g1/app/w0/after.txt"), "no task runs in the broken worktree")
    }

    @Test func aCwdThatLeavesThroughASymlinkFailsTheTaskWithoutRunningIt() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let outside = fixture.directory.appending("outside")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: app + "/out", withDestinationPath: outside)
        try fixture.git(app, ["add", "out"])
        try fixture.git(app, ["commit", "-q", "-m", "a symlink out"])
        let file = try fixture.tasksFile(#"{"tasks": [{"id": "leak", "command": "echo x > leaked.txt", "cwd": "out"}]}"#)
        let result = try fixture.conductor(["batch", "--worktrees", "-w", "1", "-d", fixture.store, "--name", "l1", "--json", file], in: app)
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        let leak = try #require(try results(try fixture.batchJSON(result.stdout))["leak"])
        #expect((leak["error"] as? String)?.contains("field \"cwd\" 'out'") == true, "\(leak)")
        #expect(!FileManager.default.fileExists(atPath: outside + "/leaked.txt"))
    }

    // MARK: item 4: an agent that moves HEAD

    @Test func aTaskThatDetachesHeadStillCommitsOntoTheWorkersBranch() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile("""
        {"tasks": [
          {"id": "t1", "command": "echo 1 > one.txt"},
          {"id": "t2", "command": "git checkout -q --detach && echo 2 > two.txt"},
          {"id": "t3", "command": "echo 3 > three.txt"}
        ]}
        """)
        let result = try fixture.conductor(["batch", "--worktrees", "--sequential", "-w", "1", "-d", fixture.store, "--name", "h1", "--json", file], in: app)
        #expect(result.status == 0, "\(result.stderr)")
        let output = try fixture.batchJSON(result.stdout)
        let byID = try results(output)
        for id in ["t1", "t2", "t3"] {
            #expect(byID[id]?["branch"] as? String == "conductor/h1/w0", "\(id): \(byID[id] ?? [:])")
        }
        let onBranch = try shas(fixture, app, "main..conductor/h1/w0")
        #expect(onBranch == ["t1", "t2", "t3"].compactMap { byID[$0]?["commit"] as? String })
        let warnings = try #require(byID["t2"]?["warnings"] as? [String])
        #expect(warnings.contains { $0.contains("detached") }, "\(warnings)")
        #expect(try fixture.git(fixture.store + "/h1/app/w0", ["symbolic-ref", "HEAD"]) == "refs/heads/conductor/h1/w0\n")
        // Every task commit is named by a ref under refs/conductor/h1/w0/.
        #expect(Set(try taskRefs(fixture, app, batch: "h1", worker: 0).values) == Set(onBranch))
        let report = try String(contentsOfFile: "\(fixture.store)/h1/report.md", encoding: .utf8)
        #expect(report.contains("detached"), "\(report)")
    }

    @Test func aTaskThatChecksOutAnotherBranchDoesNotDivertLaterWork() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile("""
        {"tasks": [
          {"id": "t1", "command": "echo 1 > one.txt"},
          {"id": "t2", "command": "git checkout -q -b other && echo 2 > two.txt"},
          {"id": "t3", "command": "echo 3 > three.txt"}
        ]}
        """)
        let result = try fixture.conductor(["batch", "--worktrees", "--sequential", "-w", "1", "-d", fixture.store, "--name", "h2", "--json", file], in: app)
        #expect(result.status == 0, "\(result.stderr)")
        let output = try fixture.batchJSON(result.stdout)
        let report = try #require(output["report"] as? [String: Any])
        let worker = try #require(((report["repos"] as? [[String: Any]])?.first?["workers"] as? [[String: Any]])?.first)
        #expect((worker["commits"] as? [[String: Any]])?.compactMap { $0["task"] as? String } == ["t1", "t2", "t3"])
        let warnings = try #require(try results(output)["t2"]?["warnings"] as? [String])
        #expect(warnings.contains { $0.contains("other") }, "\(warnings)")
    }

    @Test func aTaskThatChecksOutAnOlderCommitIsRefusedAndLosesNothing() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile("""
        {"tasks": [
          {"id": "t1", "command": "echo 1 > one.txt"},
          {"id": "t2", "command": "git checkout -q --detach HEAD~1 && echo 2 > two.txt && git add two.txt && git \(Self.identity) commit -qm 'agent: two'"}
        ]}
        """)
        let result = try fixture.conductor(["batch", "--worktrees", "--sequential", "-w", "1", "-d", fixture.store, "--name", "d1", "--json", file], in: app)
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        let output = try fixture.batchJSON(result.stdout)
        let byID = try results(output)
        #expect(byID["t2"]?["status"] as? String == "error")
        #expect((byID["t2"]?["warnings"] as? [String])?.contains { $0.contains("does not hold conductor/d1/w0") } == true, "\(byID["t2"] ?? [:])")
        let t1 = try #require(byID["t1"]?["commit"] as? String)
        #expect(try shas(fixture, app, "main..conductor/d1/w0") == [t1], "the branch is left as it was")
        let agentCommit = try #require((byID["t2"]?["commits"] as? [String])?.first)
        #expect(try taskRefs(fixture, app, batch: "d1", worker: 0).values.contains(agentCommit), "the agent's commit stays reachable")
        let report = try String(contentsOfFile: "\(fixture.store)/d1/report.md", encoding: .utf8)
        #expect(report.contains(String(agentCommit.prefix(7))) && report.contains("not on the branch"), "\(report)")
    }

    @Test func anAgentsOwnCommitsAreTheTasksCommits() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile("""
        {"tasks": [
          {"id": "t1", "command": "echo 1 > one.txt && git add -A && git \(Self.identity) commit -qm 'agent: one' && echo more > more.txt"},
          {"id": "t2", "command": "echo 2 > two.txt && git add -A && git \(Self.identity) commit -qm 'agent: two'"}
        ]}
        """)
        let result = try fixture.conductor(["batch", "--worktrees", "--sequential", "-w", "1", "-d", fixture.store, "--name", "a1", "--json", file], in: app)
        #expect(result.status == 0, "\(result.stderr)")
        let output = try fixture.batchJSON(result.stdout)
        let byID = try results(output)
        let onBranch = try shas(fixture, app, "main..conductor/a1/w0")
        #expect(onBranch.count == 3)
        #expect(byID["t1"]?["commits"] as? [String] == Array(onBranch.prefix(2)))
        #expect(byID["t2"]?["commits"] as? [String] == [onBranch[2]])
        #expect(byID["t2"]?["commit"] as? String == onBranch[2])
        let report = try #require(output["report"] as? [String: Any])
        let worker = try #require(((report["repos"] as? [[String: Any]])?.first?["workers"] as? [[String: Any]])?.first)
        #expect((worker["commits"] as? [[String: Any]])?.compactMap { $0["task"] as? String } == ["t1", "t1", "t2"])
        #expect(Set(try taskRefs(fixture, app, batch: "a1", worker: 0).values) == Set(onBranch))
    }

    @Test func aResetThatDropsARecordedCommitIsReportedAndTheCommitKept() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile("""
        {"tasks": [
          {"id": "t1", "command": "echo 1 > one.txt"},
          {"id": "t2", "command": "git reset -q --hard HEAD~1 && echo 2 > two.txt"}
        ]}
        """)
        let result = try fixture.conductor(["batch", "--worktrees", "--sequential", "-w", "1", "-d", fixture.store, "--name", "r1", "--json", file], in: app)
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        let output = try fixture.batchJSON(result.stdout)
        let byID = try results(output)
        let dropped = try #require(byID["t1"]?["commit"] as? String)
        #expect(byID["t2"]?["status"] as? String == "error")
        #expect((byID["t2"]?["warnings"] as? [String])?.contains { $0.contains(String(dropped.prefix(7))) } == true, "\(byID["t2"] ?? [:])")
        #expect(try taskRefs(fixture, app, batch: "r1", worker: 0).values.contains(dropped), "the dropped commit stays reachable")
        let report = try String(contentsOfFile: "\(fixture.store)/r1/report.md", encoding: .utf8)
        #expect(report.contains(String(dropped.prefix(7))) && report.contains("not on the branch"), "\(report)")
    }

    // MARK: item 8: nested repositories

    @Test func aNestedRepositoryIsSkippedWithAWarningAndTheRestCommitted() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile("""
        {"tasks": [
          {"id": "t1", "command": "git init -q scaffold && echo x > scaffold/index.js && git clone -q \(app) vendor/lib && echo a > a.txt"},
          {"id": "t2", "command": "echo b > b.txt"}
        ]}
        """)
        let result = try fixture.conductor(["batch", "--worktrees", "--sequential", "-w", "1", "-d", fixture.store, "--name", "n1", "--json", file], in: app)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let byID = try results(try fixture.batchJSON(result.stdout))
        #expect(try fixture.git(app, ["diff", "--name-only", "main", "conductor/n1/w0"]) == "a.txt\nb.txt\n")
        let warnings = try #require(byID["t1"]?["warnings"] as? [String])
        #expect(warnings.contains { $0.contains("scaffold/") } && warnings.contains { $0.contains("vendor/lib/") }, "\(warnings)")
        #expect(byID["t2"]?["status"] as? String == "done")
    }

    // MARK: item 10: a commit made just before the worker died

    /// A command task t6 that counts its runs in `runs`, commits its work as the worker's commit
    /// step would (same trailers), then kills its own worker before any result is written.
    private static func commitThenKillWorker(batch: String, runs: String) -> String {
        "echo run >> \(runs); echo six > six.txt; git add -A; git \(identity) commit -q -m 't6: six' "
            + "--trailer 'Conductor-Batch: \(batch)' --trailer 'Conductor-Task: t6' --trailer \\\"Conductor-Worker: $CONDUCTOR_WORKER\\\"; kill -9 $PPID"
    }

    @Test func aCommitMadeBeforeTheWorkerDiedIsRecordedOnResumeNotMadeAgain() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let runs = fixture.directory.appending("runs.log")
        // The task commits its work as the worker's commit step would, then kills its worker.
        let command = Self.commitThenKillWorker(batch: "k1", runs: runs)
        let file = try fixture.tasksFile("""
        {"tasks": [{"id": "t6", "command": "\(command)"},
                   {"id": "t7", "command": "echo seven > seven.txt"}]}
        """)
        let first = try fixture.conductor(["batch", "--worktrees", "-w", "2", "--retries", "0", "-d", fixture.store, "--name", "k1", file], in: app)
        #expect(first.status == 1, "\(first.stdout)\(first.stderr)")
        let resumed = try fixture.conductor(["batch", "--resume", "--name", "k1", "-d", fixture.store, "--json"], in: app)
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(try String(contentsOfFile: runs, encoding: .utf8) == "run\n", "t6 ran once")
        let output = try fixture.batchJSON(resumed.stdout)
        let t6 = try #require(try results(output)["t6"])
        #expect(t6["status"] as? String == "done")
        let all = try fixture.git(app, ["log", "--all", "--not", "main", "--format=%(trailers:key=Conductor-Task,valueonly)"])
        #expect(all.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces) == "t6" }.count == 1, "one commit of t6: \(all)")
        let recorded = try #require(t6["commit"] as? String)
        #expect(try fixture.git(app, ["log", "-1", "--format=%(trailers:key=Conductor-Task,valueonly)", recorded]).trimmingCharacters(in: .whitespacesAndNewlines) == "t6")
        let report = try #require(output["report"] as? [String: Any])
        #expect((report["repos"] as? [[String: Any]])?.first?["conflicts"] as? [Any] == nil
            || ((report["repos"] as? [[String: Any]])?.first?["conflicts"] as? [Any])?.isEmpty == true)
    }

    @Test func aCommitMadeBeforeTheWorkerDiedIsNotMadeAgainByARetry() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let runs = fixture.directory.appending("runs.log")
        let command = Self.commitThenKillWorker(batch: "k2", runs: runs)
        let file = try fixture.tasksFile("""
        {"tasks": [{"id": "t6", "command": "\(command)"}]}
        """)
        let result = try fixture.conductor(["batch", "--worktrees", "-w", "2", "-d", fixture.store, "--name", "k2", "--json", file], in: app)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(try String(contentsOfFile: runs, encoding: .utf8) == "run\n", "t6 ran once")
    }

    // MARK: item 14: a batch directory reached through a symlink

    @Test func resumeWorksThroughASymlinkedBatchDirectory() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let real = fixture.directory.appending("real-work")
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: fixture.directory.appending("linked"), withDestinationPath: real)
        let linked = fixture.directory.appending("linked/work")
        let gate = fixture.directory.appending("gate")
        let file = try fixture.tasksFile("""
        {"tasks": [{"id": "t1", "command": "echo 1 > one.txt"}, {"id": "t2", "command": "test -f \(gate) && echo 2 > two.txt"}]}
        """)
        let first = try fixture.conductor(["batch", "--worktrees", "-w", "1", "-d", linked, "--name", "s1", file], in: app)
        #expect(first.status == 1, "\(first.stdout)\(first.stderr)")
        try "go".write(toFile: gate, atomically: true, encoding: .utf8)
        let resumed = try fixture.conductor(["batch", "--resume", "--name", "s1", "-d", linked], in: app)
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(try fixture.git(app, ["diff", "--name-only", "main", "conductor/s1/w0"]) == "one.txt\ntwo.txt\n")
    }
}
