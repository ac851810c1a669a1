import Conductor
import Foundation
import Testing
import TestSupport

/// Malformed and hostile input across every command, as one table: each case must give a clear
/// message, the documented exit code, and leave nothing half-written.
@Suite(.timeLimit(.minutes(3))) struct HostileInputTests {
    /// One row: a command line (with `{repo}`, `{store}`, `{queue}`, `{dir}` and `{tasks}` filled
    /// in), what to prepare first, the exit code, and a fragment the output must contain.
    struct Case: CustomTestStringConvertible, Sendable {
        let label: String
        let arguments: [String]
        var tasks: String? = #"[{"command": "true"}]"#
        var stdin: String?
        var prepare: @Sendable (HostileFixture) throws -> Void = { _ in }
        /// Mounts a tmpfs or changes an owner: runs only as root.
        var needsRoot = false
        let exit: Int32
        let fragment: String
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        // batch: the tasks file
        Case(label: "batch: missing tasks file", arguments: ["batch", "-d", "{store}", "{dir}/absent.json"], exit: 2, fragment: "does not exist"),
        Case(label: "batch: tasks file is a directory", arguments: ["batch", "-d", "{store}", "{dir}"], exit: 2, fragment: "is a directory"),
        Case(label: "batch: empty file", arguments: ["batch", "-d", "{store}", "{tasks}"], tasks: "", exit: 2, fragment: "is empty"),
        Case(label: "batch: binary garbage", arguments: ["batch", "-d", "{store}", "{tasks}"], tasks: "\u{7f}ELF\u{1}\u{2}\u{3}", exit: 2, fragment: "is not valid JSON"),
        Case(label: "batch: truncated JSON", arguments: ["batch", "-d", "{store}", "{tasks}"], tasks: #"{"tasks": [{"prompt": "x""#, exit: 2, fragment: "is not valid JSON"),
        Case(label: "batch: huge file", arguments: ["batch", "-d", "{store}", "{tasks}"], tasks: String(repeating: " ", count: (16 << 20) + 10), exit: 2, fragment: "at most 16 MiB"),
        Case(label: "batch: empty task list", arguments: ["batch", "-d", "{store}", "{tasks}"], tasks: "[]", exit: 2, fragment: "is empty"),
        Case(label: "batch: wrong top-level type", arguments: ["batch", "-d", "{store}", "{tasks}"], tasks: #""tasks""#, exit: 2, fragment: "must be a JSON object"),
        Case(label: "batch: id with ../", arguments: ["batch", "-d", "{store}", "{tasks}"], tasks: #"[{"id": "../../x", "command": "true"}]"#, exit: 2, fragment: "field \"id\""),
        Case(label: "batch: id with a space", arguments: ["batch", "-d", "{store}", "{tasks}"], tasks: #"[{"id": "a b", "command": "true"}]"#, exit: 2, fragment: "field \"id\""),
        Case(label: "batch: id ending in .lock", arguments: ["batch", "-d", "{store}", "{tasks}"], tasks: #"[{"id": "main.lock", "command": "true"}]"#, exit: 2, fragment: "field \"id\""),
        Case(label: "batch: NUL in a prompt", arguments: ["batch", "-d", "{store}", "{tasks}"], tasks: #"[{"prompt": "a\u0000b"}]"#, exit: 2, fragment: "NUL"),
        Case(label: "batch: timeout of zero", arguments: ["batch", "-d", "{store}", "{tasks}"], tasks: #"[{"command": "true", "timeout": 0}]"#, exit: 2, fragment: "field \"timeout\""),
        Case(label: "batch: workers as a string", arguments: ["batch", "-d", "{store}", "{tasks}"], tasks: #"{"workers": "2", "tasks": [{"command": "true"}]}"#, exit: 2, fragment: "field \"workers\""),
        Case(label: "batch: repo that is not a repository", arguments: ["batch", "-d", "{store}", "{tasks}"], tasks: #"[{"command": "true", "repo": "plain"}]"#,
             prepare: { try $0.makeDirectory("plain") }, exit: 2, fragment: "is not inside a git repository"),
        Case(label: "batch: cwd leaving the worktree through ..", arguments: ["batch", "--worktrees", "-d", "{store}", "{tasks}"], tasks: #"[{"command": "true", "cwd": "src/../.."}]"#, exit: 2, fragment: "field \"cwd\""),
        Case(label: "batch: absolute cwd (the user's own checkout)", arguments: ["batch", "--worktrees", "-d", "{store}", "{tasks}"], tasks: #"[{"command": "true", "cwd": "/tmp"}]"#, exit: 2, fragment: "is an absolute path"),
        Case(label: "batch: repo that is a symlink to a non-repository", arguments: ["batch", "-d", "{store}", "{tasks}"], tasks: #"[{"command": "true", "repo": "escape"}]"#,
             prepare: { try FileManager.default.createSymbolicLink(atPath: $0.path("escape"), withDestinationPath: "/proc/self") }, exit: 2, fragment: "field \"repo\" 'escape'"),
        Case(label: "batch: repo with no commits", arguments: ["batch", "-d", "{store}", "{tasks}"], tasks: #"[{"command": "true", "repo": "empty"}]"#,
             prepare: { try $0.makeDirectory("empty"); try $0.git("empty", ["init", "-q"]) }, exit: 2, fragment: "has no commits yet"),
        Case(label: "batch: bare repository", arguments: ["batch", "-d", "{store}", "{tasks}"], tasks: #"[{"command": "true", "repo": "bare.git"}]"#,
             prepare: { try $0.makeDirectory("bare.git"); try $0.git("bare.git", ["init", "-q", "--bare"]) }, exit: 2, fragment: "bare repository"),
        Case(label: "batch: base branch that does not exist", arguments: ["batch", "-d", "{store}", "--base", "nope", "{tasks}"], exit: 2, fragment: "'nope' is not a branch, tag or commit"),
        Case(label: "batch: detached HEAD without --base", arguments: ["batch", "-d", "{store}", "{tasks}"],
             prepare: { try $0.git("repo", ["checkout", "-q", "--detach"]) }, exit: 2, fragment: "detached"),
        Case(label: "batch: name git rejects (..)", arguments: ["batch", "-d", "{store}", "--name", "a..b", "{tasks}"], exit: 2, fragment: "cannot be a batch name"),
        Case(label: "batch: name with a slash", arguments: ["batch", "-d", "{store}", "--name", "x/y", "{tasks}"], exit: 2, fragment: "cannot be a batch name"),
        Case(label: "batch: zero workers", arguments: ["batch", "-d", "{store}", "-w", "0", "{tasks}"], exit: 2, fragment: "--workers must be 1 to 256"),
        Case(label: "batch: negative timeout", arguments: ["batch", "-d", "{store}", "--timeout", "-5", "{tasks}"], exit: 2, fragment: "--timeout"),
        Case(label: "batch: heartbeat timeout shorter than three heartbeats", arguments: ["batch", "-d", "{store}", "--heartbeat-timeout", "1", "{tasks}"], exit: 2, fragment: "at least 3 seconds"),
        Case(label: "batch: negative retries", arguments: ["batch", "-d", "{store}", "--retries", "-1", "{tasks}"], exit: 2, fragment: "--retries"),
        Case(label: "batch: no tasks file", arguments: ["batch", "-d", "{store}"], exit: 2, fragment: "give a tasks file"),
        Case(label: "batch: resume of an unknown batch", arguments: ["batch", "-d", "{store}", "--resume", "--name", "ghost"], exit: 2, fragment: "no batch 'ghost'"),
        Case(label: "batch: garbage on standard input", arguments: ["batch", "-d", "{store}", "-"], stdin: "not json", exit: 2, fragment: "is not valid JSON"),
        Case(label: "batch: unknown agent preset", arguments: ["batch", "-d", "{store}", "--agent", "gpt", "{tasks}"], tasks: #"[{"prompt": "x"}]"#, exit: 2, fragment: "unknown agent preset"),
        Case(label: "batch: batch directory on a full disk", arguments: ["batch", "-d", "{full}/work", "{tasks}"], prepare: { try $0.mountFullDisk() }, needsRoot: true, exit: 3, fragment: "disk is full"),
        // orchestrator and worker
        Case(label: "orchestrator: zero workers", arguments: ["orchestrator", "0", "{tasks}"], exit: 2, fragment: "must be 1 to 256"),
        Case(label: "orchestrator: negative backoff", arguments: ["orchestrator", "1", "{tasks}", "--backoff", "-1"], exit: 2, fragment: "--backoff"),
        Case(label: "orchestrator: bad tasks", arguments: ["orchestrator", "1", "{tasks}", "--queue", "{queue}"], tasks: #"[{"prompt": 1}]"#, exit: 2, fragment: "got number 1"),
        Case(label: "orchestrator: empty standard input", arguments: ["orchestrator", "1", "-", "--queue", "{queue}"], stdin: "", exit: 2, fragment: "is empty"),
        Case(label: "orchestrator: no live worker", arguments: ["orchestrator", "1", "{tasks}", "--queue", "{queue}", "--worker-wait", "0.2"], exit: 3, fragment: "no live worker"),
        Case(label: "orchestrator: not a number", arguments: ["orchestrator", "three", "{tasks}"], exit: 2, fragment: "three"),
        Case(label: "worker: negative id", arguments: ["worker", "--", "-1", "{repo}", "--queue", "{queue}"], exit: 2, fragment: "0 or more"),
        Case(label: "worker: missing directory", arguments: ["worker", "0", "{dir}/absent", "--queue", "{queue}"], exit: 2, fragment: "does not exist"),
        Case(label: "worker: unclosed quote in the agent template", arguments: ["worker", "0", "{repo}", "--queue", "{queue}", "--agent-cmd", "tool 'x"], exit: 2, fragment: "not closed"),
        Case(label: "worker: world-writable queue", arguments: ["worker", "0", "{repo}", "--queue", "{dir}/open"],
             prepare: { try $0.makeDirectory("open"); chmod($0.path("open"), 0o777) }, exit: 3, fragment: "others can write to it"),
        Case(label: "worker: queue owned by another user", arguments: ["worker", "0", "{repo}", "--queue", "{dir}/theirs"],
             prepare: { try $0.makeDirectory("theirs"); chown($0.path("theirs"), 65534, 65534) }, needsRoot: true, exit: 3, fragment: "belongs to uid 65534"),
        Case(label: "worker: queue is a symlink", arguments: ["worker", "0", "{repo}", "--queue", "{dir}/linked"],
             prepare: { try $0.makeDirectory("real"); try FileManager.default.createSymbolicLink(atPath: $0.path("linked"), withDestinationPath: $0.path("real")) },
             exit: 3, fragment: "is a symlink"),
        Case(label: "worker: queue is a file", arguments: ["worker", "0", "{repo}", "--queue", "{dir}/file"],
             prepare: { try "x".write(toFile: $0.path("file"), atomically: true, encoding: .utf8) }, exit: 3, fragment: "not a directory"),
        Case(label: "worker: queue on a full disk", arguments: ["worker", "0", "{repo}", "--queue", "{full}/queue"], prepare: { try $0.mountFullDisk() }, needsRoot: true, exit: 3, fragment: "disk is full"),
        // status, reset, report, merge, prune
        Case(label: "status: no queue", arguments: ["status", "--queue", "{dir}/none"], exit: 2, fragment: "there is no queue"),
        Case(label: "report: no batches", arguments: ["report", "-d", "{store}"], exit: 2, fragment: "there are no batches"),
        Case(label: "report: unknown batch", arguments: ["report", "ghost", "-d", "{store}"], prepare: { try $0.runBatch() }, exit: 2, fragment: "no batch 'ghost'"),
        Case(label: "merge: unknown batch", arguments: ["merge", "ghost", "-d", "{store}"], prepare: { try $0.runBatch() }, exit: 2, fragment: "no batch 'ghost'"),
        Case(label: "prune: a name and --all", arguments: ["prune", "x", "--all", "-d", "{store}"], exit: 2, fragment: "not both"),
        Case(label: "prune: a name that leaves the directory", arguments: ["prune", "-n", "..", "-d", "{store}"], prepare: { try $0.runBatch() }, exit: 2, fragment: "cannot be a batch name"),
        Case(label: "status: a name that leaves the directory", arguments: ["status", "-n", "../real", "-d", "{store}/x"], prepare: { try $0.runBatch() }, exit: 2, fragment: "cannot be a batch name"),
        Case(label: "prune: unknown batch", arguments: ["prune", "ghost", "-d", "{store}"], prepare: { try $0.runBatch() }, exit: 2, fragment: "no batch 'ghost'"),
        // launch, submit, stop
        Case(label: "launch: zero workers", arguments: ["launch", "-w", "0", "--no-attach"], exit: 2, fragment: "--workers must be 1 to 32"),
        Case(label: "launch: -d inside the repository", arguments: ["launch", "-n", "s", "-d", "{repo}/cw", "--no-attach"], exit: 2, fragment: "is inside the repository"),
        Case(label: "launch: the name of a batch", arguments: ["launch", "-n", "real", "-d", "{store}", "--no-attach"], prepare: { try $0.runBatch() }, exit: 2, fragment: "is a batch"),
        Case(label: "launch: bad session name", arguments: ["launch", "-n", "a b", "-d", "{store}", "--no-attach"], exit: 2, fragment: "cannot be a batch name"),
        Case(label: "submit: no task given", arguments: ["submit", "--queue", "{queue}"], exit: 2, fragment: "exactly one of"),
        Case(label: "submit: two tasks given", arguments: ["submit", "--prompt", "a", "--command", "b", "--queue", "{queue}"], exit: 2, fragment: "exactly one of"),
        Case(label: "submit: bad id", arguments: ["submit", "--prompt", "a", "--id", "../x", "--queue", "{queue}"], exit: 2, fragment: "--id"),
        Case(label: "submit: no live worker", arguments: ["submit", "--prompt", "a", "--queue", "{queue}"], exit: 3, fragment: "no live worker"),
        Case(label: "unknown subcommand", arguments: ["frobnicate"], exit: 2, fragment: "frobnicate"),
    ]

    @Test(arguments: cases.filter { !$0.needsRoot })
    func hostileInput(_ row: Case) throws {
        try check(row)
    }

    @Test(.enabled(if: FullDisk.isAvailable, "full disks and foreign owners need root"), arguments: cases.filter(\.needsRoot))
    func hostileInputAsRoot(_ row: Case) throws {
        try check(row)
    }

    private func check(_ row: Case) throws {
        let fixture = try HostileFixture()
        try row.prepare(fixture)
        defer { fixture.unmountFullDisk() }
        if let tasks = row.tasks { try tasks.write(toFile: fixture.path("tasks.json"), atomically: true, encoding: .utf8) }
        let arguments = row.arguments.map(fixture.expand)
        let storeBefore = fixture.storeContents()
        let result = try run([Binaries.conductor] + arguments, in: fixture.path("repo"), environment: fixture.environment, input: row.stdin)
        #expect(result.status == row.exit, "\(row.label): \(result.stdout)\(result.stderr)")
        #expect((result.stderr + result.stdout).contains(row.fragment), "\(row.label): \(result.stderr)")
        #expect(fixture.storeContents() == storeBefore, "\(row.label): nothing new in the batch directory")
        #expect(try fixture.git("repo", ["branch", "--list", "conductor/*"]).isEmpty, "\(row.label): no branch made")
        #expect(fixture.temporaryFiles().isEmpty, "\(row.label): no half-written file: \(fixture.temporaryFiles())")
    }
}

/// A repository, a batch store and a queue path in a temporary directory.
final class HostileFixture: @unchecked Sendable {
    let directory = TemporaryDirectory("conductor-hostile")
    private var fullDisk: FullDisk?
    let environment: [String: String]

    init() throws {
        environment = ["HOME": directory.path, "CONDUCTOR_AGENT_CMD": Binaries.fakeClaudeCommand, "TMUX_TMPDIR": directory.path]
        try run(["bash", Binaries.fixtures + "/make-repo.sh", directory.appending("repo")])
    }

    func path(_ relative: String) -> String { directory.appending(relative) }

    func expand(_ argument: String) -> String {
        argument.replacingOccurrences(of: "{repo}", with: path("repo"))
            .replacingOccurrences(of: "{store}", with: path("work"))
            .replacingOccurrences(of: "{queue}", with: path("queue"))
            .replacingOccurrences(of: "{tasks}", with: path("tasks.json"))
            .replacingOccurrences(of: "{full}", with: path("full"))
            .replacingOccurrences(of: "{dir}", with: directory.path)
    }

    func makeDirectory(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: path(relative), withIntermediateDirectories: true)
    }

    @discardableResult
    func git(_ relative: String, _ arguments: [String]) throws -> String {
        let result = try run(["git", "-c", "user.name=T", "-c", "user.email=t@example.com"] + arguments, in: path(relative))
        guard result.status == 0 else { throw RunFailure(command: arguments, result: result) }
        return result.stdout
    }

    /// A finished batch in the store, so name lookups have something to miss.
    func runBatch() throws {
        try #"[{"command": "true"}]"#.write(toFile: path("one.json"), atomically: true, encoding: .utf8)
        let result = try run([Binaries.conductor, "batch", "-d", path("work"), "--name", "real", path("one.json")], in: path("repo"), environment: environment)
        guard result.status == 0 else { throw RunFailure(command: ["batch"], result: result) }
    }

    /// A 64 KiB tmpfs at `full/`, filled up: every write there fails with ENOSPC.
    func mountFullDisk() throws {
        fullDisk = try FullDisk(at: path("full"))
    }

    func unmountFullDisk() {
        fullDisk?.unmount()
    }

    /// Every path under the batch store, for checking that nothing was left behind.
    func storeContents() -> [String] {
        (FileManager.default.enumerator(atPath: path("work"))?.allObjects as? [String] ?? []).sorted()
    }

    /// Temporary files of atomic writes that a failed write would leave behind.
    func temporaryFiles() -> [String] {
        let all = FileManager.default.enumerator(atPath: directory.path)?.allObjects as? [String] ?? []
        return all.filter { ($0 as NSString).lastPathComponent.hasSuffix(".tmp") && !$0.contains("/.git/") }
    }
}
