import Conductor
import Foundation

/// The merge report on 8 worker branches (~50 changed files each, some overlapping) against the git
/// CLI doing the same work: `git diff --numstat` per branch and `git merge-tree --write-tree` for
/// each of the 28 pairs.
enum ReportBenchmark {
    static let branches = 8
    static let filesPerBranch = 50
    static let rounds = 5

    static func run() throws {
        let scratch = try makeScratchDirectory("report")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let repository = "\(scratch)/repo"
        try makeSourceRepository(at: repository, files: 1_000, megabytes: 40)
        let base = try shell(["git", "rev-parse", "HEAD"], in: repository).trimmingCharacters(in: .whitespacesAndNewlines)
        let batch = BatchRecord(
            name: "bench", createdAt: Date(), directory: "\(scratch)/batch", tasksFile: "-", workers: branches,
            worktrees: true, sequential: false,
            repos: [BatchRepository(path: repository, name: "repo", base: "main", baseCommit: base)], agentArguments: [], setup: nil)
        try makeBranches(batch, in: repository)

        var ours: [Double] = [], cli: [Double] = []
        var built: MergeReport?
        for _ in 0..<rounds {
            ours.append(try time { built = try MergeReport.build(for: batch, results: []) })
            cli.append(try time {
                for worker in 0..<branches {
                    try shell(["git", "diff", "--numstat", "main...\(batch.branch(worker: worker))"], in: repository)
                }
                for a in 0..<branches {
                    for b in (a + 1)..<branches {
                        _ = try? shell(["git", "merge-tree", "--write-tree", batch.branch(worker: a), batch.branch(worker: b)], in: repository)
                    }
                }
            })
        }
        let conflicts = built?.repos.first?.conflicts.count ?? 0
        print("report: \(branches) branches × \(filesPerBranch) changed files, \(conflicts) conflicting pairs found, median of \(rounds) rounds")
        report("report vs git CLI", conductor: median(ours), other: median(cli), otherName: "git diff --numstat ×8 + merge-tree ×28", target: 0.3)
    }

    /// Branch w<n> changes 50 files: 45 of its own, and 5 shared with its neighbour, so some pairs conflict.
    private static func makeBranches(_ batch: BatchRecord, in repository: String) throws {
        let files = try shell(["git", "ls-files"], in: repository).split(separator: "\n").map(String.init)
        for worker in 0..<branches {
            try shell(["git", "checkout", "-q", "-b", batch.branch(worker: worker), "main"], in: repository)
            let own = (0..<(filesPerBranch - 5)).map { files[(worker * 100 + $0) % files.count] }
            let shared = (0..<5).map { files[(900 + (worker / 2) * 5 + $0) % files.count] }
            for file in own + shared {
                let path = "\(repository)/\(file)"
                var text = try String(contentsOfFile: path, encoding: .utf8)
                text = "// changed by worker \(worker)\n" + text + "// end of worker \(worker)\n"
                try text.write(toFile: path, atomically: false, encoding: .utf8)
            }
            try shell(["git", "add", "-A"], in: repository)
            try shell(["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q", "-m", "worker \(worker)"], in: repository)
        }
        try shell(["git", "checkout", "-q", "main"], in: repository)
    }
}
