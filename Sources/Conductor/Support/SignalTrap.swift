import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Turns SIGINT, SIGTERM and the like into calls on a dispatch queue, where ordinary Swift code
/// (ending process groups, waking watchers) is safe to run.
package enum SignalTrap {
    /// The installed sources, kept alive for the life of the process.
    private static let sources = Mutex<[DispatchSourceSignal]>([])

    /// Calls `handler` with the signal number each time one of `signals` arrives. The default
    /// action (terminating the process) is disabled for those signals.
    package static func install(_ signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        for number in signals {
            signal(number, SIG_IGN)
            sources.withLock { sources in
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { handler(number) }
                source.resume()
                sources.append(source)
            }
        }
    }
}
