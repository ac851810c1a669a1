import Foundation

/// A second `conductor batch --worktrees --pool` of 4 tasks on swift-crypto (the mirrored copy,
/// else a synthetic 5,000-file repository) whose `setup` takes 3 s, against the first such batch:
/// the first makes 4 worktrees and runs setup in each, the second takes them from the pool. The
/// prunes between batches (which park the worktrees) are not timed. Rounds alternate; medians.
enum PoolBenchmark {
    static let tasks = 4
    static let rounds = 3
    static let mirror = "/opt/swift-packages/apple/swift-crypto.git"

    static func run() throws {
        let conductor = try DispatchBenchmark.locateConductor()
        let scratch = try makeScratchDirectory("pool")
        defer { removeScratch(scratch) }
        let repository = "\(scratch)/repo"
        let source: String
        if FileManager.default.fileExists(atPath: mirror) {
            try shell(["git", "clone", "-q", mirror, repository])
            source = "swift-crypto"
        } else {
            try makeSourceRepository(at: repository, files: 5_000, megabytes: 20)
            source = "a synthetic 5,000-file repository"
        }
        try ".pool-setup/\n".write(toFile: "\(repository)/.git/info/exclude", atomically: true, encoding: .utf8)
        let files = try shell(["git", "ls-files"], in: repository).split(separator: "\n").count
        let list = (0..<tasks).map { #"{"id": "t\#($0)", "command": "test -e .pool-setup/ready"}"# }.joined(separator: ",")
        try #"{"setup": "sleep 3; mkdir -p .pool-setup && touch .pool-setup/ready", "tasks": [\#(list)]}"#
            .write(toFile: "\(scratch)/tasks.json", atomically: true, encoding: .utf8)
        func batch(_ name: String, store: String) throws -> Double {
            let seconds = try time {
                try shell([conductor, "batch", "--worktrees", "--pool", "-w", String(tasks), "-d", store, "-n", name, "--json", "\(scratch)/tasks.json"],
                          in: repository)
            }
            try shell([conductor, "prune", name, "-d", store, "--force"], in: repository)
            return seconds
        }
        var first: [Double] = [], second: [Double] = []
        settleDisk()
        for round in 0..<rounds {
            // A store, so a pool, per round: the pool is never removed between rounds (see settleDisk).
            first.append(try batch("r\(round)-first", store: "\(scratch)/work\(round)"))
            second.append(try batch("r\(round)-second", store: "\(scratch)/work\(round)"))
        }
        print("pool: \(tasks) tasks, setup of 3 s, on \(source) (\(files) files), median of \(rounds) rounds")
        report("second --pool batch vs the first", conductor: median(second), other: median(first),
               otherName: "first --pool batch (new worktrees, setup)", target: 0.3)
    }
}
