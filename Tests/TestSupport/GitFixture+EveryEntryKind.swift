import Foundation

extension GitFixture {
    /// A repository with what a checkout must get right: nested directories, an executable, a
    /// symlink, a submodule's gitlink and, when `convertingLineEndings`, a text file whose line
    /// endings `.gitattributes` converts.
    public static func withEveryEntryKind(convertingLineEndings: Bool) throws -> GitFixture {
        let fixture = try GitFixture()
        if convertingLineEndings {
            try fixture.write(".gitattributes", "*.txt text eol=crlf\n")
            try fixture.write("docs/notes.txt", "one\ntwo\n")
        }
        try fixture.write("src/deep/er/code.swift", "print(1)\n")
        try fixture.write("run.sh", "#!/bin/sh\necho hi\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fixture.path + "/run.sh")
        try FileManager.default.createSymbolicLink(atPath: fixture.path + "/latest", withDestinationPath: "src/deep")
        let commit = try fixture.commit("files")
        try fixture.git(["update-index", "--add", "--cacheinfo", "160000,\(commit),vendor/lib"])
        try fixture.git(["commit", "-q", "-m", "a submodule"])
        return fixture
    }
}
