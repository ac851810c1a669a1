import Conductor
import Foundation
import Testing
import TestSupport

/// A failed task says why where the user looks: the progress line and the table carry the most
/// telling line of the agent's error or the command's output, and the table names the log.
@Suite(.serialized, .timeLimit(.minutes(5))) struct FailureReasonTests {
    @Test func theMostTellingLineOfRealOutputs() {
        #expect(FailureReason.tellingLine("make: *** No rule to make target 'test-unit'.  Stop.\n")
            == "make: *** No rule to make target 'test-unit'.  Stop.")
        #expect(FailureReason.tellingLine("\n\nls: cannot access '/nonexistent': No such file or directory\n\n")
            == "ls: cannot access '/nonexistent': No such file or directory")
        // A failing recipe: the command's own complaint, not make's trailer.
        #expect(FailureReason.tellingLine("sh: 1: frobnicate: not found\nmake: *** [Makefile:2: test] Error 127\n")
            == "sh: 1: frobnicate: not found")
        // A compiler: its first error, not the count at the end.
        #expect(FailureReason.tellingLine("main.c: In function 'main':\nmain.c:3:5: error: 'x' undeclared\n    3 |     x = 1;\n      |     ^\n1 error generated.\n")
            == "main.c:3:5: error: 'x' undeclared")
        // A Python traceback: the exception, not the code line that raised it.
        #expect(FailureReason.tellingLine("Traceback (most recent call last):\n  File \"t.py\", line 1, in <module>\n    raise ValueError(\"bad input\")\nValueError: bad input\n")
            == "ValueError: bad input")
        // Colours and carriage returns are dropped; with no error word, the last line.
        #expect(FailureReason.tellingLine("\u{1B}[31mstep 1\u{1B}[0m\r\nstep 2 went wrong\n") == "step 2 went wrong")
        #expect(FailureReason.tellingLine(" \n\t\n") == nil)
    }

    @Test func progressAndTableShowWhyEachTaskFailedAndWhereItsLogIs() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile("""
        {"tasks": [
          {"id": "make", "command": "make test-unit"},
          {"id": "ls", "command": "ls /nonexistent"},
          {"id": "quiet", "command": "exit 3"},
          {"id": "agent", "prompt": "[[fail Could not find src/payments.py]]"},
          {"id": "fine", "command": "echo ok > ok.txt"}
        ]}
        """)
        // Under `make test` the task's make would be a sub-make ("make[1]:"); it runs as a user's would.
        let batch = try run([Binaries.conductor, "batch", "--worktrees", "-w", "2", "-d", fixture.store, "--name", "f1", file], in: app,
                            environment: fixture.environment.merging(["MAKELEVEL": "0", "MAKEFLAGS": "", "MFLAGS": ""]) { $1 })
        #expect(batch.status == 1, "\(batch.stderr)")
        let expected = [
            "make": "exit 2: make: *** No rule to make target 'test-unit'.  Stop.",
            "ls": "exit 2: ls: cannot access '/nonexistent': No such file or directory",
            "quiet": "exited with status 3",
            "agent": "agent: Could not find src/payments.py",
        ]
        for (task, reason) in expected {
            let progress = batch.stderr.split(separator: "\n").first { $0.hasPrefix("error") && $0.contains(" \(task) (") }
            #expect(progress?.hasSuffix(reason) == true, "progress of \(task): \(batch.stderr)")
            let row = batch.stdout.split(separator: "\n").first { $0.hasPrefix("\(task) ") }
            #expect(row?.hasSuffix(reason) == true, "table row of \(task): \(batch.stdout)")
        }
        // The full text stays in the results; the table names each failed task's log, which exists
        // (a task that printed nothing has none).
        let results = try MergeReport.readResults("\(fixture.store)/f1/results.jsonl")
        let byID = Dictionary(uniqueKeysWithValues: results.map { ($0.task.id, $0.result) })
        #expect(byID["make"]?.reason == expected["make"])
        #expect(byID["make"]?.stderr?.contains("No rule to make target") == true)
        #expect(byID["fine"]?.reason == nil)
        for task in expected.keys where task != "quiet" {
            let log = try #require(byID[task]?.failureLog)
            #expect(FileManager.default.fileExists(atPath: log))
            #expect(batch.stdout.contains("log of \(task): \(log)"), "\(batch.stdout)")
        }
        #expect(byID["make"]?.failureLog?.hasSuffix(".stderr") == true)
        #expect(byID["agent"]?.failureLog?.hasSuffix(".stdout") == true, "an agent's transcript is its stdout")
        #expect(byID["quiet"]?.failureLog == nil)
        #expect(!batch.stdout.contains("log of quiet"))
        #expect(!batch.stdout.contains("log of fine"))
    }
}
