import Conductor
import Foundation
import Testing
import TestSupport

/// A task that points its worktree's `.git` at the main repository (a symlink, or a `gitdir:`
/// line) must not make conductor commit through, or check out a branch in, the user's checkout.
@Suite(.serialized, .timeLimit(.minutes(3))) struct WorktreeTakeoverTests {
    @Test(arguments: ["rm .git; ln -s {repo}/.git .git", "echo 'gitdir: {repo}/.git' > .git"])
    func aTaskThatPointsItsGitAtTheMainRepositoryCommitsNothingThere(_ hijack: String) throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        try "staged\n".write(toFile: app + "/staged.txt", atomically: true, encoding: .utf8)
        try fixture.git(app, ["add", "staged.txt"])
        let mainBefore = try fixture.git(app, ["rev-parse", "main"])
        let command = hijack.replacingOccurrences(of: "{repo}", with: app) + "; echo x > stolen.txt"
        let file = try fixture.tasksFile(#"{"tasks": [{"id": "a", "command": "\#(command)"}, {"id": "b", "command": "echo later > later.txt"}]}"#)
        let result = try fixture.conductor(["batch", "--worktrees", "--sequential", "-d", fixture.store, "-n", "h", file], in: app)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(try fixture.git(app, ["branch", "--show-current"]) == "main\n", "the user's checkout is still on main")
        #expect(try fixture.git(app, ["rev-parse", "main"]) == mainBefore, "nothing was committed onto main")
        #expect(try fixture.git(app, ["diff", "--cached", "--name-only"]) == "staged.txt\n", "the user's staged change is still staged")
        let records = try BatchRun.finalResults(journal: "\(fixture.store)/h/journal.jsonl")
        #expect(records["a"]?.result.status == .error)
        #expect(records["a"]?.result.commit == nil)
        #expect(records["b"]?.result.status == .error, "later tasks are not run in a worktree that is no longer its own")
        #expect(!FileManager.default.fileExists(atPath: app + "/later.txt"))
    }
}
