import Conductor
import Foundation
import Testing
import TestSupport

@Suite(.serialized, .timeLimit(.minutes(5))) struct BatchProcessTests {
    /// Every commit on the batch's branches of `repository`, as (branch, task id) pairs.
    private func taskCommits(_ fixture: BatchFixture, _ repository: String, batch: String) throws -> [(branch: String, task: String)] {
        let branches = try fixture.git(repository, ["for-each-ref", "--format=%(refname:short)", "refs/heads/conductor/\(batch)/"])
            .split(separator: "\n").map(String.init).filter { !$0.hasSuffix("/merged") }
        return try branches.flatMap { branch in
            try fixture.git(repository, ["log", "--format=%(trailers:key=Conductor-Task,valueonly)", "main..\(branch)"])
                .split(separator: "\n").map { (branch, $0.trimmingCharacters(in: .whitespaces)) }
        }
    }

    @Test func nineTasksOnThreeWorkersOverTwoRepositories() throws {
        let fixture = try BatchFixture()
        let web = try fixture.makeRepository("web")
        let api = try fixture.makeRepository("api")
        // The first three tasks start together, one per worker: c1 and c2 plant a conflict.
        let file = try fixture.tasksFile("""
        {"repo": "web", "tasks": [
          {"id": "c1", "prompt": "[[write shared.txt version one]] [[sleep 0.5]]"},
          {"id": "c2", "prompt": "[[write shared.txt version two]] [[sleep 0.5]]"},
          {"id": "w3", "prompt": "[[write docs/three.md three]] [[sleep 0.5]]"},
          {"id": "w4", "prompt": "[[append README.md more from w4]]"},
          {"id": "w5", "prompt": "[[rename docs/usage.md docs/guide.md]]"},
          {"id": "w6", "command": "echo six > six.txt"},
          {"id": "a7", "repo": "api", "prompt": "[[write src/api.py def api():\\n    return 7]]"},
          {"id": "a8", "repo": "api", "prompt": "[[delete src/math.py]]"},
          {"id": "a9", "repo": "api", "command": "echo nine >> README.md"}
        ]}
        """)
        let result = try fixture.conductor(["batch", "--worktrees", "-w", "3", "-d", fixture.store, "--name", "b1", "--json", file], in: web)
        #expect(result.status == 0, "\(result.stderr)")
        let output = try fixture.batchJSON(result.stdout)
        #expect(output["batch"] as? String == "b1")
        let results = try #require(output["results"] as? [[String: Any]])
        #expect(results.count == 9)
        #expect(results.allSatisfy { ($0["result"] as? [String: Any])?["status"] as? String == "done" })

        // One commit per task, on the branch of the worker that ran it, with the trailers.
        let webCommits = try taskCommits(fixture, web, batch: "b1")
        let apiCommits = try taskCommits(fixture, api, batch: "b1")
        #expect(webCommits.map(\.task).sorted() == ["c1", "c2", "w3", "w4", "w5", "w6"])
        #expect(apiCommits.map(\.task).sorted() == ["a7", "a8", "a9"])
        for record in results {
            let task = try #require((record["task"] as? [String: Any])?["id"] as? String)
            let worker = try #require(record["worker"] as? Int)
            let commits = task.hasPrefix("a") ? apiCommits : webCommits
            #expect(commits.contains { $0.task == task && $0.branch == "conductor/b1/w\(worker)" }, "\(task) on w\(worker)")
        }
        #expect(try fixture.git(web, ["log", "-1", "--format=%(trailers:key=Conductor-Batch,valueonly)", "conductor/b1/w0"]).trimmingCharacters(in: .whitespacesAndNewlines) == "b1")
        // Worktrees where the batch layout says, visible to git.
        let porcelain = try fixture.git(web, ["worktree", "list", "--porcelain"])
        for worker in 0..<3 {
            #expect(porcelain.contains("worktree \(fixture.store)/b1/web/w\(worker)\n"))
        }
        #expect(try fixture.git(web, ["status", "--porcelain"]).isEmpty, "the user's checkout is untouched")

        // The report's numbers are git's.
        let report = try #require(output["report"] as? [String: Any])
        let repos = try #require(report["repos"] as? [[String: Any]])
        #expect(repos.count == 2)
        for repo in repos {
            let path = try #require(repo["path"] as? String)
            for worker in try #require(repo["workers"] as? [[String: Any]]) {
                let branch = try #require(worker["branch"] as? String)
                let numstat = try fixture.git(path, ["diff", "--numstat", "-M", "main...\(branch)"])
                    .split(separator: "\n").map(String.init).sorted()
                let files = try #require(worker["files"] as? [[String: Any]])
                let ours = files.map { file -> String in
                    let name = file["path"] as! String
                    let shown = (file["oldPath"] as? String).map { old in Self.numstatRename(old, name) } ?? name
                    return "\(file["insertions"] as! Int)\t\(file["deletions"] as! Int)\t\(shown)"
                }.sorted()
                #expect(ours == numstat, "\(branch) in \(path)")
            }
        }
        // The planted conflict is found; nothing else conflicts.
        let webReport = try #require(repos.first { ($0["path"] as? String) == web })
        let conflicts = try #require(webReport["conflicts"] as? [[String: Any]])
        #expect(conflicts.count == 1)
        #expect(conflicts.first?["paths"] as? [String] == ["shared.txt"])
        #expect(Set([conflicts.first?["a"] as? Int, conflicts.first?["b"] as? Int]) == [0, 1])
        let apiReport = try #require(repos.first { ($0["path"] as? String) == api })
        #expect((apiReport["conflicts"] as? [[String: Any]])?.isEmpty == true)
        #expect(FileManager.default.fileExists(atPath: "\(fixture.store)/b1/report.md"))
        #expect(FileManager.default.fileExists(atPath: "\(fixture.store)/b1/results.jsonl"))

        // `report` agrees; `merge` builds the integration branch without touching checkouts.
        let reportRun = try fixture.conductor(["report", "b1", "-d", fixture.store])
        #expect(reportRun.status == 0, "\(reportRun.stderr)")
        #expect(reportRun.stdout.contains("shared.txt"))
        let merge = try fixture.conductor(["merge", "b1", "-d", fixture.store])
        #expect(merge.status == 0 || merge.status == 1, "\(merge.stderr)")
        let merged = try fixture.git(web, ["ls-tree", "-r", "--name-only", "conductor/b1/merged"])
        #expect(merged.contains("shared.txt"))
        #expect(try fixture.git(api, ["ls-tree", "-r", "--name-only", "conductor/b1/merged"]).contains("src/api.py"))
        #expect(!(try fixture.git(api, ["ls-tree", "-r", "--name-only", "conductor/b1/merged"]).contains("src/math.py")))
        #expect(merge.stdout.contains("shared.txt"), "the branch left out is named with its conflict: \(merge.stdout)")
        #expect(try fixture.git(web, ["rev-parse", "--abbrev-ref", "HEAD"]) == "main\n")
        #expect(try fixture.git(web, ["status", "--porcelain"]).isEmpty)

        let pruned = try fixture.conductor(["prune", "b1", "-d", fixture.store, "--force"])
        #expect(pruned.status == 0, "\(pruned.stdout)\(pruned.stderr)")
        #expect(try fixture.git(web, ["branch", "--list", "conductor/*"]).isEmpty)
        #expect(try fixture.git(api, ["worktree", "list", "--porcelain"]).components(separatedBy: "worktree ").count == 2)
        #expect(!FileManager.default.fileExists(atPath: "\(fixture.store)/b1"))
    }

    /// `git diff --numstat` writes a rename as `dir/{old => new}`.
    private static func numstatRename(_ old: String, _ new: String) -> String {
        let oldParts = old.split(separator: "/"), newParts = new.split(separator: "/")
        let common = zip(oldParts, newParts).prefix { $0 == $1 }.count
        guard common > 0 else { return "\(old) => \(new)" }
        let prefix = oldParts.prefix(common).joined(separator: "/")
        return "\(prefix)/{\(oldParts.dropFirst(common).joined(separator: "/")) => \(newParts.dropFirst(common).joined(separator: "/"))}"
    }

    @Test func pruneKeepsUnmergedAndDirtyWorkAndRemovesMergedWork() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile("""
        {"tasks": [
          {"id": "t0", "command": "sleep 0.3; echo zero > zero.txt"},
          {"id": "t1", "command": "sleep 0.3; echo one > one.txt"},
          {"id": "t2", "command": "sleep 0.3; echo two > two.txt"},
          {"id": "t3", "command": "sleep 0.3; echo three > three.txt"}
        ]}
        """)
        let batch = try fixture.conductor(["batch", "--worktrees", "-w", "4", "-d", fixture.store, "--name", "p1", file], in: app)
        #expect(batch.status == 0, "\(batch.stderr)")
        try fixture.git(app, ["merge", "-q", "--no-edit", "conductor/p1/w0"])
        try fixture.git(app, ["merge", "-q", "--squash", "conductor/p1/w1"])
        try fixture.git(app, ["commit", "-q", "-m", "squash w1"])
        try fixture.git(app, ["merge", "-q", "--no-edit", "conductor/p1/w3"])
        let dirty = "\(fixture.store)/p1/app/w3/notes.txt"
        try "unsaved\n".write(toFile: dirty, atomically: true, encoding: .utf8)
        let branchesBefore = try fixture.git(app, ["branch", "--list", "conductor/*"])
        let worktreesBefore = try fixture.git(app, ["worktree", "list", "--porcelain"])

        let dry = try fixture.conductor(["prune", "p1", "-d", fixture.store, "--dry-run"])
        #expect(dry.status == 1, "a dry run exits as prune would: something would be kept")
        #expect(dry.stdout.contains("would delete branch conductor/p1/w0"))
        #expect(dry.stdout.contains("would delete branch conductor/p1/w1: its changes are already in main (squash-merged)"))
        #expect(dry.stdout.contains("kept branch conductor/p1/w2: 1 commit(s) not in main"))
        #expect(dry.stdout.contains("kept worktree \(fixture.store)/p1/app/w3"))
        #expect(dry.stdout.contains("notes.txt (untracked)"))
        #expect(try fixture.git(app, ["branch", "--list", "conductor/*"]) == branchesBefore)
        #expect(try fixture.git(app, ["worktree", "list", "--porcelain"]) == worktreesBefore)

        let prune = try fixture.conductor(["prune", "p1", "-d", fixture.store])
        #expect(prune.status == 1, "something was kept")
        let branches = try fixture.git(app, ["branch", "--list", "--format=%(refname:short)", "conductor/*"])
        #expect(branches == "conductor/p1/w2\nconductor/p1/w3\n")
        #expect(FileManager.default.fileExists(atPath: dirty))
        #expect(!FileManager.default.fileExists(atPath: "\(fixture.store)/p1/app/w0"))
        #expect(!FileManager.default.fileExists(atPath: "\(fixture.store)/p1/app/w2"))
        #expect(FileManager.default.fileExists(atPath: "\(fixture.store)/p1/batch.json"), "the batch stays known")
        #expect(try fixture.conductor(["report", "p1", "-d", fixture.store]).status == 0)

        let forced = try fixture.conductor(["prune", "p1", "-d", fixture.store, "--force"])
        #expect(forced.status == 0, "\(forced.stdout)")
        #expect(try fixture.git(app, ["branch", "--list", "conductor/*"]).isEmpty)
        #expect(try fixture.git(app, ["worktree", "list", "--porcelain"]).components(separatedBy: "worktree ").count == 2)
        #expect(!FileManager.default.fileExists(atPath: "\(fixture.store)/p1"))
    }

    @Test func interruptedThenResumedEveryTaskSucceedsExactlyOnce() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let gate = fixture.directory.appending("release")
        let slow = "test -f \(gate) || sleep 61.25"
        let file = try fixture.tasksFile("""
        {"tasks": [
          {"id": "fast1", "command": "echo 1 > fast1.txt"},
          {"id": "fast2", "command": "echo 2 > fast2.txt"},
          {"id": "slow3", "command": "echo started > slow3.txt; \(slow); echo 3 >> slow3.txt"},
          {"id": "slow4", "command": "echo started > slow4.txt; \(slow); echo 4 >> slow4.txt"},
          {"id": "later5", "command": "echo 5 > later5.txt"},
          {"id": "later6", "command": "echo 6 > later6.txt"}
        ]}
        """)
        let batch = try BackgroundProcess(
            [Binaries.conductor, "batch", "--worktrees", "-w", "2", "-d", fixture.store, "--name", "r1", file],
            directory: app, environment: fixture.environment)
        let journal = "\(fixture.store)/r1/journal.jsonl"
        let worktrees = (0..<2).map { "\(fixture.store)/r1/app/w\($0)" }
        #expect(waitUntil {
            ["slow3.txt", "slow4.txt"].allSatisfy { name in worktrees.contains { FileManager.default.fileExists(atPath: "\($0)/\(name)") } }
        }, "\(batch.output)")
        kill(batch.pid, SIGINT)
        #expect(batch.waitForExit() == 130, "\(batch.output)")
        #expect(batch.output.contains("resume with: conductor batch --resume --name r1"))
        let interrupted = try BatchRun.finalResults(journal: journal)
        #expect(interrupted["slow3"]?.result.status == .cancelled)
        #expect(interrupted["slow4"]?.result.status == .cancelled)
        #expect(interrupted["later5"]?.result.status == .cancelled)
        #expect(interrupted["fast1"]?.result.status == .done)
        #expect(try run(["pgrep", "-f", "sleep 61.25"]).stdout.isEmpty, "no task outlives the interrupt")
        // The cancelled tasks' work stays in the worktrees, uncommitted.
        let leftovers = worktrees.filter {
            FileManager.default.fileExists(atPath: "\($0)/slow3.txt") || FileManager.default.fileExists(atPath: "\($0)/slow4.txt")
        }
        #expect(leftovers.count == 2)

        try "go".write(toFile: gate, atomically: true, encoding: .utf8)
        let resumed = try fixture.conductor(["batch", "--resume", "--name", "r1", "-d", fixture.store], in: app)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let final = try BatchRun.finalResults(journal: journal)
        #expect(final.count == 6)
        #expect(final.values.allSatisfy { $0.result.status == .done })
        let commits = try taskCommits(fixture, app, batch: "r1").map(\.task).sorted()
        #expect(commits == ["fast1", "fast2", "later5", "later6", "slow3", "slow4"], "each task committed exactly once")
        let results = try String(contentsOfFile: "\(fixture.store)/r1/results.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(results.count == 6)
    }
}

@Suite(.timeLimit(.minutes(3))) struct BatchWorktreeSetupTests {
    @Test func worktreeIncludeFilesAreCopiedAndSetupRunsOncePerWorktree() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        try "SECRET=1\n".write(toFile: app + "/.env", atomically: true, encoding: .utf8)
        try ".env\nmissing-file\n# a comment\n".write(toFile: app + "/.worktreeinclude", atomically: true, encoding: .utf8)
        try fixture.git(app, ["add", ".worktreeinclude"])
        try fixture.git(app, ["commit", "-q", "-m", "worktreeinclude"])
        let file = try fixture.tasksFile("""
        {"setup": "echo ran >> setup.log", "tasks": [
          {"id": "t1", "command": "sleep 0.2; cat .env > seen1.txt"},
          {"id": "t2", "command": "sleep 0.2; cat .env > seen2.txt"},
          {"id": "t3", "command": "cat .env > seen3.txt"},
          {"id": "t4", "command": "cat .env > seen4.txt"}
        ]}
        """)
        let result = try fixture.conductor(["batch", "--worktrees", "-w", "2", "-d", fixture.store, "--name", "s1", file], in: app)
        #expect(result.status == 0, "\(result.stderr)")
        for worker in 0..<2 {
            let worktree = "\(fixture.store)/s1/app/w\(worker)"
            #expect(try String(contentsOfFile: worktree + "/.env", encoding: .utf8) == "SECRET=1\n")
            #expect(try String(contentsOfFile: worktree + "/setup.log", encoding: .utf8) == "ran\n", "setup ran once in w\(worker)")
            #expect(try fixture.git(worktree, ["status", "--porcelain"]).isEmpty, "copied and setup files stay ignored")
        }
        let committed = try fixture.git(app, ["log", "--all", "--name-only", "--format="]).split(separator: "\n")
        #expect(!committed.contains(".env"))
        #expect(Set(committed.filter { $0.hasPrefix("seen") }) == ["seen1.txt", "seen2.txt", "seen3.txt", "seen4.txt"])
    }

    @Test func withoutWorktreesSeveralWorkersShareTheCheckoutWithAWarning() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile(#"[{"command": "echo a > a.txt"}, {"command": "echo b > b.txt"}]"#)
        let result = try fixture.conductor(["batch", "-w", "2", "-d", fixture.store, file], in: app)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("2 agents will share the checkout \(app)"))
        #expect(FileManager.default.fileExists(atPath: app + "/a.txt"))
        #expect(try fixture.git(app, ["branch", "--list", "conductor/*"]).isEmpty)
    }
}
