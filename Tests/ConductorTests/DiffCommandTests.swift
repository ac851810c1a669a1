import Conductor
import Foundation
import Testing
import TestSupport

/// `conductor diff [WORKER|TASK]`: the patch of a worker branch against the base
/// (`git diff base...branch`), of one task, or of every worker branch.
@Suite(.serialized, .timeLimit(.minutes(5))) struct DiffCommandTests {
    @Test func aWorkerBranchsPatchIsWhatGitDiffThreeDotPrints() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile(#"""
        {"tasks": [
          {"id": "edit", "prompt": "[[write src/math.py def add(a, b):\\n    return b + a]]"},
          {"id": "chmod", "command": "chmod +x src/math.py"}
        ]}
        """#)
        let batch = try fixture.conductor(["batch", "--worktrees", "--sequential", "-d", fixture.store, "--name", "d1", file], in: app)
        #expect(batch.status == 0, "\(batch.stderr)")
        try "main moved on\n".write(toFile: app + "/later.txt", atomically: true, encoding: .utf8)
        try fixture.git(app, ["add", "later.txt"])
        try fixture.git(app, ["commit", "-qm", "main moves on"])
        let git = try fixture.git(app, ["diff", "--no-color", "-M", "main...conductor/d1/w0"])

        for worker in ["w0", "0"] {
            let diff = try fixture.conductor(["diff", worker, "-n", "d1", "-d", fixture.store])
            #expect(diff.status == 0, "\(diff.stderr)")
            #expect(diff.stdout == git, "\(diff.stdout)")
        }
        #expect(git.contains("+    return b + a\n") && git.contains("old mode 100644\nnew mode 100755\n") && !git.contains("later.txt"))

        let all = try fixture.conductor(["diff", "-n", "d1", "-d", fixture.store])
        #expect(all.stdout == git, "\(all.stdout)")

        let task = try fixture.conductor(["diff", "edit", "-n", "d1", "-d", fixture.store])
        #expect(task.status == 0, "\(task.stderr)")
        #expect(task.stdout.contains("+    return b + a\n") && !task.stdout.contains("old mode"), "\(task.stdout)")

        let stat = try fixture.conductor(["diff", "w0", "--stat", "-n", "d1", "-d", fixture.store])
        #expect(stat.stdout.contains("src/math.py") && stat.stdout.contains("+1 -1") && stat.stdout.contains("mode change 100644 => 100755"), "\(stat.stdout)")
        #expect(!stat.stdout.contains("diff --git"))
    }

    @Test func withoutAnArgumentEveryWorkerBranchIsShownUnderItsName() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile(#"""
        {"tasks": [
          {"id": "one", "command": "sleep 1; echo one > one.txt"},
          {"id": "two", "command": "sleep 1; echo two > two.txt"}
        ]}
        """#)
        let batch = try fixture.conductor(["batch", "--worktrees", "-w", "2", "-d", fixture.store, "--name", "d2", file], in: app)
        #expect(batch.status == 0, "\(batch.stderr)")
        let all = try fixture.conductor(["diff", "-n", "d2", "-d", fixture.store])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stdout.contains("+one\n") && all.stdout.contains("+two\n"), "\(all.stdout)")
        for worker in ["w0", "w1"] {
            let one = try fixture.conductor(["diff", worker, "-n", "d2", "-d", fixture.store])
            guard !one.stdout.isEmpty else { continue }
            #expect(all.stdout.contains("conductor/d2/\(worker)"), "\(all.stdout)")
        }
    }

    @Test func anUnknownWorkerOrTaskIsBadInput() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        try fixture.runEchoBatch(in: app, name: "d3", workers: 1)
        let diff = try fixture.conductor(["diff", "w7", "-n", "d3", "-d", fixture.store])
        #expect(diff.status == 2)
        #expect(diff.stderr.contains("w7") && diff.stderr.contains("d3") && diff.stderr.contains("t0"), "\(diff.stderr)")
    }
}
