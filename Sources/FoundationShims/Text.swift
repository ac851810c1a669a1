import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// The few Foundation conveniences conductor used, written over the standard library so the
/// binary links FoundationEssentials only (no Foundation, no ICU): a lighter worker process.
extension StringProtocol {
    /// The string without leading and trailing whitespace and newlines.
    package var trimmed: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(String.UnicodeScalarView(scalars[first...last]))
    }

    /// The string padded with spaces (or cut) to `width` characters.
    package func padded(to width: Int) -> String {
        count >= width ? String(prefix(width)) : String(self) + String(repeating: " ", count: width - count)
    }
}

/// Number formatting without `String(format:)`.
package enum Format {
    /// `value` with exactly `digits` decimals, rounded half away from zero (`fixed(1.25, 1)` is "1.3").
    package static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return String(value) }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        let fraction = Int(scaled - Double(whole) * scale)
        let sign = value < 0 && scaled != 0 ? "-" : ""
        guard digits > 0 else { return "\(sign)\(whole)" }
        return "\(sign)\(whole)." + zeroPadded(fraction, width: digits)
    }

    /// The local clock time of `date`, `13:00:05`.
    package static func clockTime(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970)
        var parts = tm()
        localtime_r(&seconds, &parts)
        return [parts.tm_hour, parts.tm_min, parts.tm_sec].map { zeroPadded(Int($0), width: 2) }.joined(separator: ":")
    }

    /// `value` with leading zeros up to `width` digits.
    package static func zeroPadded(_ value: Int, width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
