import Foundation
import Conductor

/// 8 worktrees of a ~1,000-file / ~40 MB repository: conductor's git layer (a library call that
/// checks the 8 out in parallel) against `git worktree add -b` ×8 in a shell loop, one after another,
/// and 8 at once (`xargs -P8`), alternating, several rounds, medians compared. Also what the files
/// alone cost (`cpCopySeconds`): `cp -a` of a checkout's files into 8 directories.
enum WorktreeBenchmark {
    static let worktrees = 8
    static let rounds = 3

    static func run() throws {
        let scratch = try makeScratchDirectory("worktrees")
        defer { removeScratch(scratch) }
        let repository = "\(scratch)/repo"
        try makeSourceRepository(at: repository, files: 1_000, megabytes: 40)
        let size = try shell(["du", "-sm", "--exclude=.git", repository]).split(separator: "\t").first ?? "?"
        print("worktrees: repository of 1000 files, \(size) MB checked out; \(worktrees) worktrees per round, \(rounds) rounds")

        var cli: [Double] = [], cliParallel: [Double] = [], conductor: [Double] = [], copies: [Double] = []
        let files = try FileManager.default.contentsOfDirectory(atPath: repository).filter { $0 != ".git" }.sorted()
        var parallelFailures = 0
        settleDisk()
        for round in 0..<rounds {
            // git does not expect several `worktree add` at once: some fail on its locks, and are counted.
            flushWrites()
            cliParallel.append(try time {
                try shell(["sh", "-c", "seq 0 \(worktrees - 1) | xargs -P\(worktrees) -I{} git worktree add -q -b par/r\(round)/w{} \(scratch)/par\(round)/w{} 2>/dev/null; true"],
                          in: repository)
            })
            parallelFailures += worktrees - (try shell(["git", "worktree", "list"], in: repository)).split(separator: "\n").filter { $0.contains("/par\(round)/") }.count
            flushWrites()
            cli.append(try time {
                try shell(["sh", "-c", "for i in $(seq 0 \(worktrees - 1)); do git worktree add -q -b cli/r\(round)/w$i \(scratch)/cli\(round)/w$i; done"],
                          in: repository)
            })
            let base = try Repository.open(at: repository).resolveBase(nil)
            let specs = (0..<worktrees).map { index in
                WorktreeSpec(name: "c\(round)-w\(index)", path: "\(scratch)/conductor\(round)/w\(index)",
                             branch: "conductor/r\(round)/w\(index)", startPoint: base.commit)
            }
            flushWrites()
            conductor.append(try time {
                for result in try Repository.addWorktrees(specs, repositoryAt: repository) { _ = try result.get() }
            })
            copies.append(try cpCopySeconds(of: files, from: repository, into: "\(scratch)/copies\(round)", copies: worktrees))
        }
        report("worktrees (8 × add, conductor parallel)", conductor: median(conductor), other: median(cli), otherName: "git worktree add ×8 in sequence", target: 0.5)
        report("worktrees (8 × add, both parallel)", conductor: median(conductor), other: median(cliParallel),
               otherName: "git worktree add ×8 by xargs -P8 (\(parallelFailures) of \(worktrees * rounds) adds failed)", target: 0.5)
        print(String(format: "worktrees, the files alone: cp -a of a checkout into 8 directories (best of %d and 8 at once) takes %.3f s, "
                     + "%.2fx git's 8 at once; conductor is %.2fx that",
                     ProcessInfo.processInfo.activeProcessorCount, median(copies), median(copies) / median(cliParallel), median(conductor) / median(copies)))
    }
}
