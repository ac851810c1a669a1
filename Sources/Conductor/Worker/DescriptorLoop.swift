import CSystemShims
import FoundationEssentials
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One thread that waits on descriptors with poll(2) and runs their handlers: how this program
/// learns that its children exited (a pidfd each) and copies their output into logs, with one
/// thread in all rather than one per child.
///
/// Descriptors handed to the loop are owned by it: only its thread closes them, so a number it
/// polls is never one that was closed and reused meanwhile.
final class DescriptorLoop: Sendable {
    /// The loop of this process.
    static let shared = DescriptorLoop()

    /// What a handler wants after it ran: to be called again, or its descriptor closed.
    enum Next {
        case keep, close
    }

    /// Names a watched descriptor.
    struct Token: Hashable, Sendable {
        fileprivate let value: Int
    }

    private struct Watch {
        let descriptor: Int32
        let handler: @Sendable () -> Next
    }

    private struct State {
        var watches: [Token: Watch] = [:]
        var work: [@Sendable () -> Void] = []
        var nextToken = 0
    }

    private let state = Mutex(State())
    private let wakeReader: Int32
    private let wakeWriter: Int32

    private init() {
        var ends: [Int32] = [-1, -1]
        guard conductor_pipe_cloexec(&ends) == 0 else {
            fatalError("conductor: cannot create the wake pipe of the descriptor loop: \(String(cString: strerror(errno)))")
        }
        ends.forEach { _ = fcntl($0, F_SETFL, O_NONBLOCK) }
        wakeReader = ends[0]
        wakeWriter = ends[1]
        DispatchQueue(label: "conductor.descriptor-loop").async { [self] in run() }
    }

    /// Hands `descriptor` to the loop: `handler` runs on the loop's thread whenever it is readable
    /// (or hung up), until it returns `.close`; then the loop closes the descriptor.
    @discardableResult
    func watch(_ descriptor: Int32, handler: @escaping @Sendable () -> Next) -> Token {
        let token = state.withLock { state -> Token in
            let token = Token(value: state.nextToken)
            state.nextToken += 1
            state.watches[token] = Watch(descriptor: descriptor, handler: handler)
            return token
        }
        wake()
        return token
    }

    /// Stops watching `token` (closing its descriptor, unless its handler already closed it),
    /// then runs `then`; both on the loop's thread.
    func release(_ token: Token, then: @escaping @Sendable () -> Void) {
        state.withLock { pending in
            pending.work.append { [self] in
                if let watch = state.withLock({ $0.watches.removeValue(forKey: token) }) { close(watch.descriptor) }
                then()
            }
        }
        wake()
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWriter, &byte, 1)
    }

    private func run() {
        while true {
            let (watches, work) = state.withLock { state -> ([(Token, Int32)], [@Sendable () -> Void]) in
                defer { state.work = [] }
                return (state.watches.map { ($0.key, $0.value.descriptor) }, state.work)
            }
            if !work.isEmpty {
                work.forEach { $0() }
                continue
            }
            var descriptors = [pollfd(fd: wakeReader, events: Int16(POLLIN), revents: 0)]
                + watches.map { pollfd(fd: $0.1, events: Int16(POLLIN), revents: 0) }
            guard poll(&descriptors, nfds_t(descriptors.count), -1) > 0 else { continue }
            if descriptors[0].revents != 0 {
                var drain = [UInt8](repeating: 0, count: 256)
                while read(wakeReader, &drain, drain.count) > 0 {}
            }
            for (index, (token, _)) in watches.enumerated() where descriptors[index + 1].revents != 0 {
                guard let watch = state.withLock({ $0.watches[token] }) else { continue }
                if watch.handler() == .close {
                    state.withLock { _ = $0.watches.removeValue(forKey: token) }
                    close(watch.descriptor)
                }
            }
        }
    }
}
