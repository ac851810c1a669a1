import FoundationEssentials
import Queue

/// Usage limits: every further call fails until the reset, so prompts wait for it instead of
/// burning retries. Each agent says so its own way, with the reset time when it knows it.
extension AgentOutput {
    /// Marks `report` usage-limited, with its reset time, when the agent's own error `message` says
    /// it hit its usage limit: Claude's "Claude AI usage limit reached|<epoch seconds>" and
    /// "You've hit your limit · resets 1pm (Europe/Paris)", Codex's `usage_limit_reached` and
    /// "You've hit your usage limit … try again at 3:02 PM", Gemini's `RESOURCE_EXHAUSTED`.
    static func noteUsageLimit(in report: inout AgentReport, message: String, now: Date = Date()) {
        let text = message.lowercased()
        let phrases = ["usage limit reached", "usage_limit_reached", "hit your limit", "hit your usage limit", "resource_exhausted"]
        guard phrases.contains(where: text.contains) else { return }
        report.usageLimited = true
        report.limitResetsAt = resetTime(in: message, now: now)
    }

    /// The reset time a limit message gives: an epoch after `|`, or a clock time ("resets 1pm",
    /// "try again at 3:02 PM", in the time zone named in parentheses, else this machine's) at its
    /// next occurrence after `now`. Agents round the time down ("06:55 PM" said at 18:55:30,
    /// "resets 6pm" at 18:56), so a time passed less than two hours ago means the limit has just
    /// reset: `now`, not the same time tomorrow. Nil when the message gives none.
    static func resetTime(in message: String, now: Date) -> Date? {
        if let match = message.firstMatch(of: /\|(\d{9,12})\b/), let seconds = TimeInterval(match.1) {
            return Date(timeIntervalSince1970: seconds)
        }
        guard let match = message.firstMatch(of: /(?i)(?:resets|try again at)\s+(\d{1,2})(?::(\d{2}))?\s*([ap]\.?m\.?)?(?:\s*\(([^)]+)\))?/),
              var hour = Int(match.1) else { return nil }
        let minute = match.2.flatMap { Int($0) } ?? 0
        if let meridiem = match.3?.lowercased() {
            if meridiem.hasPrefix("p"), hour < 12 { hour += 12 }
            if meridiem.hasPrefix("a"), hour == 12 { hour = 0 }
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = match.4.flatMap { TimeZone(identifier: String($0)) } ?? .current
        guard let next = calendar.nextDate(after: now, matching: DateComponents(hour: hour, minute: minute, second: 0), matchingPolicy: .nextTime),
              let previous = calendar.date(byAdding: .day, value: -1, to: next) else { return nil }
        return now.timeIntervalSince(previous) < 2 * 3600 ? now : next
    }
}
