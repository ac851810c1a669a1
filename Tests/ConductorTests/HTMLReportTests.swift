@testable import Conductor
import Foundation
import Testing
import TestSupport

/// `report.html` as a person sees it: written by a real batch through the built binary, rebuilt
/// by `conductor report --html`, opened by `--open`, and loaded by headless Chromium, whose DOM
/// must hold the tasks, the conflict and the diff lines.
@Suite(.serialized, .timeLimit(.minutes(5))) struct HTMLReportTests {
    @Test func aRealBatchReportRendersInChromium() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        // The first two tasks start together, one per worker, and change the same line.
        let file = try fixture.tasksFile("""
        {"tasks": [
          {"id": "title-one", "command": "sleep 1; sed -i '1s/.*/# Title one/' README.md"},
          {"id": "title-two", "command": "sleep 1; sed -i '1s/.*/# Title two/' README.md"},
          {"id": "add_notes.v2", "command": "printf 'a note\\\\n' > notes.txt"}
        ]}
        """)
        let batch = try fixture.conductor(["batch", "--worktrees", "-w", "2", "-d", fixture.store, "--name", "h1", file], in: app)
        #expect(batch.status == 0, "\(batch.stderr)")
        let html = "\(fixture.store)/h1/report.html"
        #expect(FileManager.default.fileExists(atPath: html), "every batch writes report.html beside report.md")

        try FileManager.default.removeItem(atPath: html)
        let report = try fixture.conductor(["report", "h1", "-d", fixture.store, "--html"])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout == html + "\n")
        let json = try fixture.conductor(["report", "-n", "h1", "-d", fixture.store, "--html", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        #expect(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: String] == ["html": html])

        let browser = Chromium()
        let dom = try browser.dom(of: html)
        for task in ["title-one", "title-two", "add_notes.v2"] {
            #expect(dom.contains(task), "\(task) in the DOM")
        }
        #expect(dom.contains(#"<td class="conflict" title="README.md">"#), "the two branches conflict in README.md")
        #expect(dom.contains(#"<span class="add">+# Title one</span>"#), "the task's own diff, made with libgit2, is in its section")
        #expect(dom.contains(#"<span class="add">+a note</span>"#))
        let png = try browser.screenshot(of: html)
        #expect(png.count > 1000)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG")
    }

    @Test func aPatchLongerThanTheLimitIsCutInTheHTMLAndWholeInShow() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        let file = try fixture.tasksFile(#"{"tasks": [{"id": "big", "command": "seq 1 300000 > numbers.txt"}, {"id": "small", "command": "echo hi > hi.txt"}]}"#)
        let batch = try fixture.conductor(["batch", "--worktrees", "-w", "2", "-d", fixture.store, "--name", "cut", file], in: app)
        #expect(batch.status == 0, "\(batch.stderr)")
        let html = try String(contentsOfFile: "\(fixture.store)/cut/report.html", encoding: .utf8)
        #expect(html.contains("… cut here; conductor show big -n cut prints it whole"))
        #expect(!html.contains(#"<span class="add">+300000</span>"#), "the end of the long patch is not in the page")
        #expect(html.contains(#"<span class="add">+hi</span>"#), "a short patch is whole")
        let show = try fixture.conductor(["show", "big", "-n", "cut", "-d", fixture.store])
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout.contains("+300000\n"))
    }

    @Test func aTaskDiffRendersInChromium() throws {
        let repository = try GitFixture()
        try repository.write("README.md", "# Old title\nsecond line\n")
        let base = try repository.commit("base")
        try repository.write("README.md", "# A <new> & better title\nsecond line\n")
        try repository.write("added.txt", "brand new\n")
        try repository.git(["add", "-A"])
        let patch = try repository.git(["diff", "--cached", base])
        var report = HTMLEscapingTests.report()
        report.tasks[0].answer = "<script>document.title = 'pwned'</script>"
        let scratch = TemporaryDirectory("conductor-html")
        let html = scratch.appending("report.html")
        try report.html(patches: ["t1": patch]).write(toFile: html, atomically: true, encoding: .utf8)

        let dom = try Chromium().dom(of: html)
        let diff = try #require(dom.range(of: #"<pre class="diff">"#).map { dom[$0.upperBound...] })
        let firstFile = diff[..<(diff.range(of: "</pre>")?.lowerBound ?? diff.endIndex)]
        #expect(firstFile.contains(#"<span class="add">+# A &lt;new&gt; &amp; better title</span>"#))
        #expect(firstFile.contains(#"<span class="del">-# Old title</span>"#))
        #expect(dom.contains(#"<span class="add">+brand new</span>"#))
        #expect(dom.contains(#"<td class="conflict" title="t1 and t2">"#), "the tasks conflict")
        #expect(dom.contains("&lt;script&gt;document.title = 'pwned'&lt;/script&gt;"), "the answer is text")
        #expect(!dom.contains("<title>pwned"), "and did not run")
        for task in ["t1", "t2", "odd id/with space"] {
            #expect(dom.contains(#"id="\#(HTML.anchor(task))""#), "\(task)")
        }
    }

    @Test func openUsesTheBrowserOrSaysWhyItCannot() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        try fixture.runEchoBatch(in: app, name: "o1", workers: 1)
        let html = "\(fixture.store)/o1/report.html"

        let opened = fixture.directory.appending("opened.txt")
        let browser = fixture.directory.appending("browser.sh")
        try writeExecutable("#!/bin/sh\nprintf '%s' \"$1\" > \(opened).part && mv \(opened).part \(opened)\n", to: browser)
        let open = try run([Binaries.conductor, "report", "o1", "-d", fixture.store, "--open"],
                           environment: fixture.environment.merging(["BROWSER": browser]) { $1 })
        #expect(open.status == 0, "\(open.stderr)")
        #expect(open.stdout == html + "\n")
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: opened) && Date() < deadline { usleep(50_000) }
        #expect((try? String(contentsOfFile: opened, encoding: .utf8)) == html)

        let empty = fixture.directory.appending("empty-bin")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let none = try run([Binaries.conductor, "report", "o1", "-d", fixture.store, "--open"],
                           environment: fixture.environment.merging(["BROWSER": "", "PATH": empty]) { $1 })
        #expect(none.status == 3)
        #expect(none.stdout == html + "\n", "the path is still printed")
        #expect(none.stderr.contains("xdg-open") && none.stderr.contains("$BROWSER") && none.stderr.contains(html), "\(none.stderr)")
    }
}

/// Headless Chromium with a profile and HOME of its own, ended after a deadline.
private struct Chromium {
    let scratch = TemporaryDirectory("conductor-chromium")

    /// The DOM of `file` after its scripts ran, serialized.
    func dom(of file: String) throws -> String {
        try run(["--dump-dom", "file://" + file])
    }

    /// A 1280×2000 screenshot of `file`, as PNG bytes.
    func screenshot(of file: String) throws -> [UInt8] {
        let png = scratch.appending("report.png")
        _ = try run(["--screenshot=" + png, "--window-size=1280,2000", "file://" + file])
        return Array(try Data(contentsOf: URL(fileURLWithPath: png)))
    }

    private func run(_ arguments: [String]) throws -> String {
        guard Executable.find("chromium", searchPath: ProcessInfo.processInfo.environment["PATH"]) != nil else {
            throw FixtureError("chromium is not on PATH; `make deps` installs Debian's chromium package")
        }
        let home = scratch.appending("home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let command = ["timeout", "-k", "5", "120", "chromium", "--headless", "--no-sandbox", "--disable-gpu",
                       "--user-data-dir=" + scratch.appending("profile")] + arguments
        let result = try TestSupport.run(command, environment: ["HOME": home], timeout: 150)
        guard result.status == 0 else { throw RunFailure(command: command, result: result) }
        return result.stdout
    }
}
