import Conductor
import Testing

/// File names in report.md and `conductor diff --stat` are quoted as git quotes them.
@Suite(.timeLimit(.minutes(3))) struct GitQuotingTests {
    @Test(arguments: [
        ("plain/name.txt", "plain/name.txt"),
        ("café.txt", "café.txt"),
        ("a\tb", #""a\tb""#),
        ("line\nbreak", #""line\nbreak""#),
        ("say \"hi\"", #""say \"hi\"""#),
        ("back\\slash", #""back\\slash""#),
        ("bell\u{07}\r", #""bell\a\r""#),
        ("esc\u{1B}", #""esc\033""#),
        ("c1\u{85}", #""c1\302\205""#),
        ("-rf", #""-rf""#),
    ])
    func quotesWhatGitQuotes(name: String, quoted: String) {
        #expect(GitQuoting.quote(name) == quoted)
    }
}
