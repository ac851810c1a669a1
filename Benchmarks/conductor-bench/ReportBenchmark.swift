import Conductor
import Foundation
import Synchronization

/// `conductor report` as a user runs it (a process, `--json` to /dev/null) on a real batch of 8
/// worker branches × 50 changed files with their worktrees, against the git CLI doing the same
/// work in one shell script, one command after another: per worker `git diff --numstat base...branch`,
/// `git status --porcelain` in its worktree, `git log base..branch`, and `git merge-tree --write-tree`
/// of the base and the branch; then `git merge-tree --write-tree` for every pair of branches whose
/// changed files overlap (the pairs conductor merges; the others cannot conflict). Synthetic
/// repositories of 1,000, 5,000 and 20,000 files, so the growth shows. Rounds alternate; medians.
/// The targets are issue 13's: 0.3× up to a swift-nio-sized repository, 0.5× at 20,000 files.
enum ReportBenchmark {
    static let branches = 8
    static let filesPerBranch = 50
    static let rounds = 5
    static let sizes = [1_000, 5_000, 20_000]

    static func run() throws {
        let conductor = try DispatchBenchmark.locateConductor()
        let start = try libgit2ProcessStart()
        print(String(format: "report: a process that only starts and initializes libgit2 (a C program, this machine's libgit2) takes %.1f ms, median of 20", start * 1000))
        for files in sizes {
            let scratch = try makeScratchDirectory("report")
            defer { removeScratch(scratch) }
            let repository = "\(scratch)/repo"
            try makeSourceRepository(at: repository, files: files, megabytes: files * 4 / 1_000)
            let store = "\(scratch)/work"
            try makeBatch(in: repository, store: store, conductor: conductor, scratch: scratch)
            let worktrees = (0..<branches).map { "\(store)/bench/repo/w\($0)" }

            let pairs = try overlappingPairs(repository)
            let script = gitScript(worktrees: worktrees, pairs: pairs)
            var ours: [Double] = [], cli: [Double] = [], status: [Double] = [], scriptWork: [Double] = []
            for _ in 0..<rounds {
                ours.append(try time { try shell([conductor, "report", "bench", "-d", store, "--json"], in: repository) })
                cli.append(try time { try shell(["sh", "-c", script], in: repository) })
                status.append(statusAlone(of: worktrees))
                scriptWork.append(try scriptWorkAlone(repository: repository, worktrees: worktrees, pairs: pairs))
            }
            print("report: \(files) files (\(files * 4 / 1_000) MB), \(branches) branches × \(filesPerBranch) changed files with worktrees, "
                  + "\(pairs.count) overlapping pairs merged by both sides, median of \(rounds) alternating rounds")
            report("report vs git CLI, \(files) files", conductor: median(ours), other: median(cli),
                   otherName: "one sh script: numstat+status+log+merge-tree ×8, merge-tree ×\(pairs.count)", target: files >= 20_000 ? 0.5 : 0.3)
            print(String(format: "  floor, %d files: libgit2's status of the 8 worktrees alone (in this process, on %d threads) takes %.3f s, "
                         + "%.2fx git's whole script; the report is %.2fx that floor",
                         files, ProcessInfo.processInfo.activeProcessorCount, median(status), median(status) / median(cli), median(ours) / median(status)))
            let floor = median(scriptWork) + start
            print(String(format: "  floor, %d files: libgit2 doing the git script's own work (per worker the branch's diff with line counts, "
                         + "the worktree's status, the log, the merge with the base; each overlapping pair's merge) in this process "
                         + "on %d threads, %.3f s, plus the start of a process with libgit2: %.3f s, %.2fx git's script, no report built "
                         + "or written; the report is %.2fx that floor",
                         files, ProcessInfo.processInfo.activeProcessorCount, median(scriptWork), floor, floor / median(cli), median(ours) / floor))
        }
    }

    /// Seconds libgit2 takes for `git status` of every worktree, as the report reads them (one
    /// repository handle per thread, as many threads as cores): the part of the report no
    /// caching of objects can remove.
    private static func statusAlone(of worktrees: [String]) -> Double {
        let threads = ProcessInfo.processInfo.activeProcessorCount
        return time {
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                for index in stride(from: thread, to: worktrees.count, by: threads) {
                    _ = try? Repository.open(at: worktrees[index]).uncommittedChanges()
                }
            }
        }
    }

    /// Seconds libgit2 takes for the work of the git script (`gitScript`), in this process, the
    /// workers' and pairs' items spread over as many threads as cores, one repository handle per
    /// thread: what a report made with libgit2 costs at the least, before it reads its batch,
    /// builds anything or writes a file.
    private static func scriptWorkAlone(repository: String, worktrees: [String], pairs: [(Int, Int)]) throws -> Double {
        let threads = ProcessInfo.processInfo.activeProcessorCount
        let items = (0..<branches).map { [$0] } + pairs.map { [$0.0, $0.1] }
        let failure = Mutex<String?>(nil)
        let seconds = time {
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                do {
                    let git = try Repository.open(at: repository)
                    let main = try git.resolveCommit("main")
                    for index in stride(from: thread, to: items.count, by: threads) {
                        let tips = try items[index].map { worker in
                            guard let tip = try git.branchTip("conductor/bench/w\(worker)") else { throw CommandFailed(description: "no branch conductor/bench/w\(worker)") }
                            return tip
                        }
                        if tips.count == 2 {
                            _ = try git.conflicts(between: tips[0], and: tips[1])
                            continue
                        }
                        guard let base = try git.mergeBase(main, tips[0]) else { throw CommandFailed(description: "w\(items[index][0]) shares no history with main") }
                        _ = try git.diff(from: base, to: tips[0])
                        _ = try Repository.open(at: worktrees[items[index][0]]).uncommittedChanges()
                        _ = try git.commits(from: main, to: tips[0])
                        _ = try git.conflicts(between: main, and: tips[0])
                    }
                } catch {
                    failure.withLock { $0 = $0 ?? "\(error)" }
                }
            }
        }
        if let failure = failure.withLock({ $0 }) { throw CommandFailed(description: "libgit2 doing the git script's work: \(failure)") }
        return seconds
    }

    /// Seconds a process takes that starts, loads libgit2 and initializes it, and exits: a C
    /// program built here against the system's libgit2, run 20 times, the median. Part of any
    /// report made with libgit2 as a process (Debian's libgit2 reads the system's TLS certificates
    /// when it initializes).
    private static func libgit2ProcessStart() throws -> Double {
        let scratch = try makeScratchDirectory("libgit2-start")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try "#include <git2.h>\nint main(void) { return git_libgit2_init() < 0; }\n".write(toFile: "\(scratch)/start.c", atomically: true, encoding: .utf8)
        try shell(["cc", "-O2", "-o", "\(scratch)/start", "\(scratch)/start.c", "-lgit2"])
        return median(try (0..<20).map { _ in try time { try shell(["\(scratch)/start"]) } })
    }

    /// The git CLI's side as one shell script, so both sides pay one process start from here.
    private static func gitScript(worktrees: [String], pairs: [(Int, Int)]) -> String {
        var lines = (0..<branches).flatMap { worker -> [String] in
            let branch = "conductor/bench/w\(worker)"
            return ["git diff --numstat main...\(branch) >/dev/null", "git -C \(worktrees[worker]) status --porcelain >/dev/null",
                    "git log --format='%H %s' main..\(branch) >/dev/null", "git merge-tree --write-tree main \(branch) >/dev/null || true"]
        }
        lines += pairs.map { "git merge-tree --write-tree conductor/bench/w\($0.0) conductor/bench/w\($0.1) >/dev/null || true" }
        return lines.joined(separator: "\n")
    }

    /// The pairs of branches whose changed files overlap: those a script, like conductor, merges.
    private static func overlappingPairs(_ repository: String) throws -> [(Int, Int)] {
        let changed = try (0..<branches).map { worker in
            Set(try shell(["git", "diff", "--name-only", "main...conductor/bench/w\(worker)"], in: repository).split(separator: "\n"))
        }
        return (0..<branches).flatMap { a in ((a + 1)..<branches).filter { !changed[a].isDisjoint(with: changed[$0]) }.map { (a, $0) } }
    }

    /// A batch `bench` whose task on worker n changes 50 files: 45 of its own, and 5 shared with
    /// its neighbour, so some pairs conflict. conductor commits each task, as in real use.
    private static func makeBatch(in repository: String, store: String, conductor: String, scratch: String) throws {
        let files = try shell(["git", "ls-files"], in: repository).split(separator: "\n").map(String.init)
        let tasks = (0..<branches).map { worker -> String in
            let own = (0..<(filesPerBranch - 5)).map { files[(worker * 100 + $0) % files.count] }
            let shared = (0..<5).map { files[(900 + (worker / 2) * 5 + $0) % files.count] }
            let command = "sed -i -e '1i // changed by worker \(worker)' -e '$a // end of worker \(worker)' " + (own + shared).joined(separator: " ")
            return #"{"id": "w\#(worker)", "command": "\#(command)"}"#
        }
        try "[\(tasks.joined(separator: ","))]".write(toFile: "\(scratch)/tasks.json", atomically: true, encoding: .utf8)
        try shell([conductor, "batch", "--worktrees", "-w", String(branches), "-d", store, "-n", "bench", "--json", "\(scratch)/tasks.json"], in: repository)
    }
}
