import Conductor
import Foundation
import Testing
import TestSupport
import Queue

@Suite(.timeLimit(.minutes(3))) struct SecurityTests {
    @Test func batchAndQueueDirectoriesArePrivate() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile(#"[{"id": "one", "command": "true"}]"#)
        #expect(try fixture.conductor(["batch", "--worktrees", "-d", fixture.store, "--name", "sec", file], in: app).status == 0)
        for path in [fixture.store, "\(fixture.store)/sec", "\(fixture.store)/sec/queue", "\(fixture.store)/sec/queue/workers", "\(fixture.store)/sec/queue/workers/0"] {
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(mode == 0o700, "\(path) is \(String(mode ?? 0, radix: 8))")
        }
        for file in ["batch.json", "journal.jsonl", "results.jsonl", "queue/workers/0/result.json"] {
            let mode = try FileManager.default.attributesOfItem(atPath: "\(fixture.store)/sec/\(file)")[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(file)")
        }
    }

    @Test func promptsNeverPassThroughAShell() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let log = fixture.directory.appending("agent.log")
        let prompt = #"Review; touch pwned1 $(touch pwned2) `touch pwned3` | touch pwned4 && touch pwned5 'q' "dq" \n"#
        let json = try String(decoding: JSONEncoder().encode([["id": "hostile", "prompt": prompt]]), as: UTF8.self)
        let file = try fixture.tasksFile(json)
        let result = try run([Binaries.conductor, "batch", "--worktrees", "-d", fixture.store, "--name", "sh", file], in: app,
                             environment: fixture.environment.merging(["FAKE_CLAUDE_LOG": log]) { $1 })
        #expect(result.status == 0, "\(result.stderr)")
        let everything = (FileManager.default.enumerator(atPath: fixture.directory.path)?.allObjects as? [String]) ?? []
        #expect(!everything.contains { ($0 as NSString).lastPathComponent.hasPrefix("pwned") })
        let logged = try String(contentsOfFile: log, encoding: .utf8)
        #expect(logged.contains("touch pwned1 $(touch pwned2) `touch pwned3`"), "the agent got the prompt verbatim: \(logged)")
    }

    @Test func aSymlinkPlantedAsTaskJSONIsRefusedNotFollowed() throws {
        let fixture = try QueueFixture()
        let worker = try fixture.startWorker(0)
        let slot = fixture.root.slot(0)
        try FileManager.default.createSymbolicLink(atPath: slot.taskFile, withDestinationPath: "/etc/passwd")
        #expect(waitUntil { (try? slot.readResult()) != nil })
        let result = try #require(try slot.readResult())
        #expect(result.status == .error)
        #expect(result.error?.contains("symlink") == true)
        #expect(!(result.error ?? "").contains("root:"), "the target was not read")
        try FileManager.default.removeItem(atPath: slot.taskFile)
        try slot.write(TaskAssignment(id: "after", seq: result.seq + 1, command: "echo still serving", workerPid: worker.pid))
        #expect(waitUntil { (try? slot.readResult())?.taskId == "after" })
        #expect(try slot.readResult()?.output == "still serving\n")
    }
}

@Suite(.timeLimit(.minutes(3))) struct DirtyCheckoutTests {
    @Test func aDirtyMainCheckoutIsLeftAloneAndNotCopiedIntoWorktrees() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        try "my unsaved edit\n".write(toFile: app + "/README.md", atomically: true, encoding: .utf8)
        try "draft\n".write(toFile: app + "/draft.txt", atomically: true, encoding: .utf8)
        let file = try fixture.tasksFile(#"[{"id": "t", "command": "cat README.md > seen.txt"}]"#)
        let result = try fixture.conductor(["batch", "--worktrees", "-d", fixture.store, "--name", "d1", file], in: app)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try String(contentsOfFile: app + "/README.md", encoding: .utf8) == "my unsaved edit\n")
        #expect(try fixture.git(app, ["status", "--porcelain"]) == " M README.md\n?? draft.txt\n")
        #expect(try fixture.git(app, ["show", "conductor/d1/w0:seen.txt"]).hasPrefix("# Demo project"), "worktrees start from the base commit")
        #expect(!FileManager.default.fileExists(atPath: "\(fixture.store)/d1/app/w0/draft.txt"))
    }
}
