import Conductor
import Foundation
import Testing

/// Patches colored as git colors them, and `--stat` listings.
@Suite(.timeLimit(.minutes(3))) struct PatchTextTests {
    @Test func colorsHeadersHunksAndLinesAsGitDoes() {
        let patch = "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@ func main()\n keep\n-old\n+new\n"
        let colored = PatchText.colored(patch)
        #expect(colored == "\u{1B}[1mdiff --git a/x b/x\u{1B}[m\n\u{1B}[1m--- a/x\u{1B}[m\n\u{1B}[1m+++ b/x\u{1B}[m\n"
            + "\u{1B}[36m@@ -1,2 +1,2 @@\u{1B}[m func main()\n keep\n\u{1B}[31m-old\u{1B}[m\n\u{1B}[32m+new\u{1B}[m\n")
    }

    @Test func statNamesRenamesQuotesOddNamesAndShowsModeChanges() throws {
        let files = try JSONDecoder().decode([MergeReport.ChangedFile].self, from: Data(#"""
            [{"path": "new.txt", "oldPath": "old.txt", "status": "R", "insertions": 1, "deletions": 0, "binary": false},
             {"path": "run.sh", "status": "M", "insertions": 0, "deletions": 0, "binary": false, "oldMode": "100644", "newMode": "100755"},
             {"path": "a\tb", "status": "A", "insertions": 0, "deletions": 0, "binary": true}]
            """#.utf8))
        #expect(PatchText.stat(files, insertions: 1, deletions: 0) == """
            R old.txt => new.txt  +1 -0
            M run.sh              mode change 100644 => 100755
            A "a\\tb"              binary
            3 files changed, 1 insertion(+), 0 deletions(-)

            """)
    }
}
