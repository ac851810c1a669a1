import Synchronization

/// A fixed number of result slots that several threads fill, each its own slot.
final class ParallelResults<Value: Sendable>: Sendable {
    private let slots: Mutex<[Value?]>

    init(count: Int) {
        slots = Mutex([Value?](repeating: nil, count: count))
    }

    func set(_ index: Int, _ value: Value) {
        slots.withLock { $0[index] = value }
    }

    func value(_ index: Int) -> Value {
        slots.withLock { $0[index]! }
    }
}
