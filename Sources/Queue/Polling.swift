import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Waiting for another process to do something (take or release a slot) that sends no event.
package enum Polling {
    /// Checks `condition` every `interval` seconds until it holds (true) or `deadline` has passed
    /// (false).
    package static func wait(until deadline: Date, every interval: TimeInterval, for condition: () -> Bool) -> Bool {
        while !condition() {
            if Date() >= deadline { return false }
            usleep(useconds_t(interval * 1_000_000))
        }
        return true
    }
}
