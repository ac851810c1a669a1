import Conductor
import Foundation
import Testing

/// A failure's reason line is shown in a terminal: whatever a task printed, it carries no
/// terminal control (a title change, cursor moves, erasing backspaces).
@Suite(.timeLimit(.minutes(3))) struct ReasonSafetyTests {
    @Test(arguments: [
        ("error: \u{1B}]0;PWNED\u{07} title", "error:  title"),
        ("fatal: \u{1B}]52;c;aGk=\u{1B}\\ copied", "fatal:  copied"),
        ("error: hidden\u{08}\u{08}\u{08}\u{07}shown", "error: hiddenshown"),
        ("error: \u{9B}31mred", "error: 31mred"),
        ("\u{1B}[1;31merror:\u{1B}[0m bold", "error: bold"),
    ])
    func controlCharactersNeverReachTheReason(raw: String, shown: String) {
        #expect(FailureReason.tellingLine(raw) == shown)
    }
}
