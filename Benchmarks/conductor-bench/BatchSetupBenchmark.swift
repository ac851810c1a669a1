import Foundation

/// A whole `conductor batch --worktrees -w 8` of 8 `true` tasks (workers started, 8 worktrees made,
/// tasks run, each worktree checked for changes to commit, report written) against the same by hand
/// with the git CLI, in one shell script, one worktree after another: `git worktree add -b`, the
/// task, `git status --porcelain`, `git diff --numstat base...branch`. On a 1,000-file / 40 MB
/// repository and on a 20,000-file / 80 MB one (issue 13's targets: 0.5× and 0.6×). Also what the
/// files alone cost: a checkout copied into 8 directories with `cp -a` (no git, no index, no branch).
/// Each side starts with the disk's write-back done (`flushWrites`).
enum BatchSetupBenchmark {
    static let workers = 8
    static let rounds = 3
    static let sizes = [(files: 1_000, megabytes: 40, target: 0.5), (files: 20_000, megabytes: 80, target: 0.6)]

    static func run() throws {
        for size in sizes { try run(files: size.files, megabytes: size.megabytes, target: size.target) }
    }

    private static func run(files: Int, megabytes: Int, target: Double) throws {
        let conductor = try DispatchBenchmark.locateConductor()
        let scratch = try makeScratchDirectory("batch")
        defer { removeScratch(scratch) }
        let repository = "\(scratch)/repo"
        try makeSourceRepository(at: repository, files: files, megabytes: megabytes)
        let tasks = (0..<workers).map { #"{"id": "t\#($0)", "command": "true"}"# }.joined(separator: ",")
        try "[\(tasks)]".write(toFile: "\(scratch)/tasks.json", atomically: true, encoding: .utf8)

        let checkedOut = try FileManager.default.contentsOfDirectory(atPath: repository).filter { $0 != ".git" }.sorted()
        var ours: [Double] = [], cli: [Double] = [], copies: [Double] = []
        settleDisk()
        for round in 0..<rounds {
            flushWrites()
            ours.append(try time {
                try shell([conductor, "batch", "--worktrees", "-w", String(workers), "-d", "\(scratch)/work", "--name", "r\(round)", "--json", "\(scratch)/tasks.json"], in: repository)
            })
            let script = (0..<workers).map { index in
                let worktree = "\(scratch)/cli\(round)/w\(index)"
                return "git worktree add -q -b cli/r\(round)/w\(index) \(worktree) && (cd \(worktree) && sh -c true && git status --porcelain >/dev/null)"
                    + " && git diff --numstat main...cli/r\(round)/w\(index) >/dev/null"
            }.joined(separator: "\n")
            flushWrites()
            cli.append(try time { try shell(["sh", "-ec", script], in: repository) })
            copies.append(try cpCopySeconds(of: checkedOut, from: repository, into: "\(scratch)/copies\(round)", copies: workers))
        }
        print("batch set-up: \(workers) workers, \(workers) worktrees of a \(files.formatted())-file / \(megabytes) MB repository, "
              + "median of \(rounds) alternating rounds")
        print("  rounds: conductor " + ours.map { String(format: "%.3f", $0) }.joined(separator: ", ")
              + " s; by hand " + cli.map { String(format: "%.3f", $0) }.joined(separator: ", ") + " s")
        report("whole batch vs the same by hand, \(files.formatted()) files", conductor: median(ours), other: median(cli),
               otherName: "(worktree add -b, run, status, diff --numstat) ×8 in sequence", target: target)
        print(String(format: "  the files alone, %@ files: cp -a of a checkout into 8 directories (best of %d and 8 at once) takes %.3f s, "
                     + "%.2fx the same by hand; conductor is %.2fx that",
                     files.formatted(), ProcessInfo.processInfo.activeProcessorCount, median(copies), median(copies) / median(cli), median(ours) / median(copies)))
    }
}
