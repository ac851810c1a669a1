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
        // A repository, so a pool, per round: no pool is removed between rounds (see settleDisk).
        let repositories = (0..<rounds).map { "\(scratch)/repo\($0)" }
        let source: String
        if FileManager.default.fileExists(atPath: mirror) {
            try shell(["git", "clone", "-q", mirror, repositories[0]])
            source = "swift-crypto"
        } else {
            try makeSourceRepository(at: repositories[0], files: 5_000, megabytes: 20)
            source = "a synthetic 5,000-file repository"
        }
        for repository in repositories.dropFirst() { try shell(["git", "clone", "-q", repositories[0], repository]) }
        for repository in repositories {
            try ".pool-setup/\n".write(toFile: "\(repository)/.git/info/exclude", atomically: true, encoding: .utf8)
        }
        let files = try shell(["git", "ls-files"], in: repositories[0]).split(separator: "\n").count
        let list = (0..<tasks).map { #"{"id": "t\#($0)", "command": "test -e .pool-setup/ready"}"# }.joined(separator: ",")
        try #"{"setup": "sleep 3; mkdir -p .pool-setup && touch .pool-setup/ready", "tasks": [\#(list)]}"#
            .write(toFile: "\(scratch)/tasks.json", atomically: true, encoding: .utf8)
        let store = "\(scratch)/work"
        func batch(_ name: String, in repository: String) throws -> Double {
            let seconds = try time {
                try shell([conductor, "batch", "--worktrees", "--pool", "-w", String(tasks), "-d", store, "-n", name, "--json", "\(scratch)/tasks.json"],
                          in: repository)
            }
            try shell([conductor, "prune", name, "-d", store, "--force"], in: repository)
            return seconds
        }
        var first: [Double] = [], second: [Double] = []
        settleDisk()
        for (round, repository) in repositories.enumerated() {
            first.append(try batch("r\(round)-first", in: repository))
            second.append(try batch("r\(round)-second", in: repository))
        }
        print("pool: \(tasks) tasks, setup of 3 s, on \(source) (\(files) files), median of \(rounds) rounds")
        report("second --pool batch vs the first", conductor: median(second), other: median(first),
               otherName: "first --pool batch (new worktrees, setup)", target: 0.3)
    }
}
