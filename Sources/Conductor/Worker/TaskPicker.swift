import FoundationEssentials
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif
import Queue

/// Decides whether `task.json` holds a task this worker should run now.
struct TaskPicker {
    enum Pick {
        case task(TaskAssignment)
        /// A `task.json` that could not be read as a task: answered with an error result.
        case malformed(TaskOutcome)

        var seq: Int {
            switch self {
            case .task(let assignment): assignment.seq
            case .malformed(let outcome): outcome.seq
            }
        }
    }

    let slot: WorkerSlot
    private(set) var watermark: Int
    /// The version (inode, mtime, size) of the last malformed file answered, so it is answered once.
    private var lastMalformed: [Int]?

    init(slot: WorkerSlot, watermark: Int) {
        self.slot = slot
        self.watermark = watermark
        lastMalformed = (try? AtomicFile.readVersion(slot.taskFile))?.version
    }

    /// The highest seq in the slot's files: anything at or below it was for an earlier process.
    static func watermark(of slot: WorkerSlot) -> Int {
        let taskData = (try? AtomicFile.read(slot.taskFile)) ?? nil
        let seqs = [taskData.flatMap { lenientFields($0).seq }, (try? slot.readResult())?.seq, (try? slot.readStatus())?.seq]
        return seqs.compactMap { $0 }.max() ?? 0
    }

    mutating func next() -> Pick? {
        let file: (data: Data, version: [Int])
        do {
            guard let read = try AtomicFile.readVersion(slot.taskFile) else { return nil }
            file = read
        } catch {
            return malformed(version: nil, fields: (nil, nil), problem: "\(error)")
        }
        let assignment: TaskAssignment
        do {
            assignment = try QueueJSON.decoder.decode(TaskAssignment.self, from: file.data)
        } catch {
            guard file.version != lastMalformed else { return nil }
            return malformed(version: file.version, fields: Self.lenientFields(file.data),
                             problem: "\(slot.taskFile): \(QueueJSON.describe(error))")
        }
        guard assignment.seq > watermark else { return nil }
        if let pid = assignment.workerPid, pid != getpid() { return nil }
        watermark = assignment.seq
        return .task(assignment)
    }

    private mutating func malformed(version: [Int]?, fields: (seq: Int?, id: String?), problem: String) -> Pick? {
        if version == nil && lastMalformed == [] { return nil }
        lastMalformed = version ?? []
        let seq = max(fields.seq ?? watermark + 1, watermark + 1)
        watermark = seq
        return .malformed(TaskOutcome(
            taskId: fields.id ?? "unknown", seq: seq, status: .error,
            error: "task.json is malformed: \(problem)", worker: slot.id, workerPid: getpid()))
    }

    /// `seq` and `id` read from data that may not be a valid task.
    private static func lenientFields(_ data: Data) -> (seq: Int?, id: String?) {
        guard let fields = try? JSONDecoder().decode(LenientFields.self, from: data) else { return (nil, nil) }
        return (fields.seq, fields.id)
    }

    /// `seq` and `id`, each read on its own from whatever object the file holds.
    private struct LenientFields: Decodable {
        var seq: Int?
        var id: String?

        private enum CodingKeys: String, CodingKey { case seq, id }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            seq = try? container.decode(Int.self, forKey: .seq)
            id = try? container.decode(String.self, forKey: .id)
        }
    }
}
