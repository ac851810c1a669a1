import Foundation
import Testing
import TestSupport

/// `make install` and `make uninstall` under a PREFIX and DESTDIR of a temporary directory: the
/// binary, the man page and the completions land where they belong, the man page renders, and
/// bash completes `-n` with the names of the batches and sessions.
@Suite(.serialized, .timeLimit(.minutes(10))) struct InstallTests {
    private let prefix = "/opt/conductor"

    private struct Installed {
        let root: String
        var binary: String { root + "/bin/conductor" }
        var manual: String { root + "/share/man/man1/conductor.1" }
        var bash: String { root + "/share/bash-completion/completions/conductor" }
        var zsh: String { root + "/share/zsh/site-functions/_conductor" }
        var fish: String { root + "/share/fish/vendor_completions.d/conductor.fish" }
        var files: [String] { [binary, manual, bash, zsh, fish] }
    }

    /// `make TARGET` in the repository with the debug build `swift test` made (the default, release,
    /// takes minutes), past the lock `swift test` holds on the build directory.
    private func make(_ target: String, destination: String) throws -> RunResult {
        try run(["make", "-C", Binaries.repositoryRoot, target, "CONFIG=debug", "SWIFTPM_FLAGS=--ignore-lock",
                 "PREFIX=\(prefix)", "DESTDIR=\(destination)"], timeout: 540)
    }

    @Test func installPutsEveryFileInPlaceAndUninstallRemovesThem() throws {
        let fixture = try BatchFixture()
        let destination = fixture.directory.appending("stage")
        let installed = Installed(root: destination + prefix)

        let install = try make("install", destination: destination)
        #expect(install.status == 0, "\(install.stdout)\(install.stderr)")
        for file in installed.files {
            #expect(FileManager.default.fileExists(atPath: file), "make install left out \(file)")
        }
        #expect(FileManager.default.isExecutableFile(atPath: installed.binary))
        let version = try run([installed.binary, "--version"])
        #expect(version.status == 0 && !version.stdout.isEmpty, "\(version.stderr)")

        let manual = try String(contentsOfFile: installed.manual, encoding: .utf8)
        #expect(manual.contains(".Dt CONDUCTOR 1") && manual.contains(".Sh NAME"), "an mdoc page: \(manual.prefix(300))")
        if try run(["sh", "-c", "command -v groff"]).status == 0 {
            let rendered = try run(["groff", "-mandoc", "-Tutf8", "-P-cbou", "-ww", installed.manual])
            #expect(rendered.status == 0, "\(rendered.stderr)")
            for heading in ["NAME", "SYNOPSIS", "DESCRIPTION"] {
                #expect(rendered.stdout.contains(heading), "the rendered man page has no \(heading)")
            }
            #expect(rendered.stderr.isEmpty, "groff warns: \(rendered.stderr)")
            #expect(rendered.stdout.contains("Task fields:"), "the man page carries batch --help's tasks-file format")
            // The tasks-file sample and the examples keep their lines, as in --help.
            let renderedLines = Set(rendered.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
            let help = try run([installed.binary, "batch", "--help"], environment: ["COLUMNS": "80"]).stdout
            let indented = help.split(separator: "\n").prefix { !$0.hasPrefix("USAGE:") }.filter { $0.hasPrefix("  ") }
            #expect(indented.count >= 9, "\(help)")
            for line in indented {
                let kept = renderedLines.contains(line.trimmingCharacters(in: .whitespaces))
                #expect(kept, "the man page re-flowed the line: \(line)")
            }
        }

        let uninstall = try make("uninstall", destination: destination)
        #expect(uninstall.status == 0, "\(uninstall.stdout)\(uninstall.stderr)")
        for file in installed.files {
            #expect(!FileManager.default.fileExists(atPath: file), "make uninstall left \(file)")
        }
    }

    @Test func bashCompletesBatchAndSessionNamesForName() throws {
        let fixture = try BatchFixture()
        let destination = fixture.directory.appending("stage")
        let installed = Installed(root: destination + prefix)
        let install = try make("install", destination: destination)
        #expect(install.status == 0, "\(install.stdout)\(install.stderr)")

        let repository = try fixture.makeRepository("web")
        try fixture.runEchoBatch(in: repository, name: "review", workers: 1)
        try fixture.runEchoBatch(in: repository, name: "20261125-101502", workers: 1)
        try FileManager.default.createDirectory(atPath: fixture.store + "/not-a-batch", withIntermediateDirectories: true)

        // The callback the completion scripts make: `conductor ---completion SUBCOMMAND -- --name …`.
        let callback = try run([installed.binary, "---completion", "report", "--", "--name", "5", "0",
                                installed.binary, "report", "-d", fixture.store, "-n", ""], environment: fixture.environment)
        #expect(callback.status == 0, "\(callback.stderr)")
        #expect(callback.stdout.split(separator: "\n") == ["20261125-101502", "review"], "\(callback.stdout)")

        // bash itself, as if the user pressed TAB: after -n, after the NAME argument, with the
        // directory from -d, from $CONDUCTOR_DIR, and the default ~/conductor-work.
        let defaultStore = (fixture.environment["HOME"] ?? "") + "/conductor-work/solo"
        try FileManager.default.createDirectory(atPath: defaultStore, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: defaultStore + "/batch.json", contents: Data("{}".utf8))
        let cases: [(words: [String], environment: [String: String], expected: [String])] = [
            (["report", "-d", fixture.store, "-n", ""], [:], ["20261125-101502", "review"]),
            (["report", "-d", fixture.store, "-n", "r"], [:], ["review"]),
            (["prune", "--dir=\(fixture.store)", ""], [:], ["20261125-101502", "review"]),
            (["status", "-n", ""], ["CONDUCTOR_DIR": fixture.store], ["20261125-101502", "review"]),
            (["stop", "-d", fixture.store, "--name", "2"], [:], ["20261125-101502"]),
            (["merge", "-n", ""], ["CONDUCTOR_DIR": ""], ["solo"]),
        ]
        for (words, environment, expected) in cases {
            let offered = try complete(installed, words: words, environment: fixture.environment.merging(environment) { $1 })
            #expect(offered == expected, "conductor \(words.joined(separator: " "))<TAB>")
        }
    }

    /// What bash's programmable completion offers for the last of `words` (`conductor` comes first).
    private func complete(_ installed: Installed, words: [String], environment: [String: String]) throws -> [String] {
        let script = """
        source "$1"; shift
        COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
        COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
        _conductor conductor "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        printf '%s\\n' "${COMPREPLY[@]}"
        """
        let result = try run(["bash", "-c", script, "bash", installed.bash, installed.binary] + words, environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.split(separator: "\n").map(String.init).sorted()
    }
}
