import Foundation

/// A whole `conductor batch --worktrees -w 8` of 8 `true` tasks on a 1,000-file / 40 MB repository
/// (workers started, 8 worktrees made, tasks run, each worktree checked for changes to commit, report
/// written) against the same by hand with the git CLI, in one shell script, one worktree after
/// another: `git worktree add -b`, the task, `git status --porcelain`, `git diff --numstat base...branch`.
enum BatchSetupBenchmark {
    static let workers = 8
    static let rounds = 3

    static func run() throws {
        let conductor = try DispatchBenchmark.locateConductor()
        let scratch = try makeScratchDirectory("batch")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let repository = "\(scratch)/repo"
        try makeSourceRepository(at: repository, files: 1_000, megabytes: 40)
        let tasks = (0..<workers).map { #"{"id": "t\#($0)", "command": "true"}"# }.joined(separator: ",")
        try "[\(tasks)]".write(toFile: "\(scratch)/tasks.json", atomically: true, encoding: .utf8)

        var ours: [Double] = [], cli: [Double] = []
        for round in 0..<rounds {
            ours.append(try time {
                try shell([conductor, "batch", "--worktrees", "-w", String(workers), "-d", "\(scratch)/work", "--name", "r\(round)", "--json", "\(scratch)/tasks.json"], in: repository)
            })
            let script = (0..<workers).map { index in
                let worktree = "\(scratch)/cli\(round)/w\(index)"
                return "git worktree add -q -b cli/r\(round)/w\(index) \(worktree) && (cd \(worktree) && sh -c true && git status --porcelain >/dev/null)"
                    + " && git diff --numstat main...cli/r\(round)/w\(index) >/dev/null"
            }.joined(separator: "\n")
            cli.append(try time { try shell(["sh", "-ec", script], in: repository) })
            try shell([conductor, "prune", "r\(round)", "-d", "\(scratch)/work", "--force"], in: repository)
            try FileManager.default.removeItem(atPath: "\(scratch)/cli\(round)")
            try shell(["git", "worktree", "prune"], in: repository)
        }
        print("batch set-up: \(workers) workers, \(workers) worktrees of a 1,000-file / 40 MB repository, median of \(rounds) rounds")
        report("whole batch vs the same by hand", conductor: median(ours), other: median(cli),
               otherName: "(worktree add -b, run, status, diff --numstat) ×8", target: 0.5)
    }
}
