import Foundation
import FoundationShims
import Testing
import TestSupport

/// `Path.absolute`: one spelling for a path, made absolute against a base and normalized
/// lexically (symlinks are left alone), as `URL(fileURLWithPath:).standardizedFileURL.path` was.
@Suite(.timeLimit(.minutes(3))) struct PathAbsoluteTests {
    @Test func dotComponentsAndRepeatedSlashesGo() {
        #expect(Path.absolute("/a/./b/.") == "/a/b")
        #expect(Path.absolute("/a//b///c") == "/a/b/c")
        #expect(Path.absolute("//a") == "/a")
        #expect(Path.absolute("/") == "/")
    }

    @Test func dotDotRemovesTheComponentBeforeIt() {
        #expect(Path.absolute("/a/b/../c") == "/a/c")
        #expect(Path.absolute("/a/b/..") == "/a")
        #expect(Path.absolute("/a/b/../../..") == "/")
        #expect(Path.absolute("/a/...") == "/a/...", "three dots are a name")
    }

    @Test func dotDotAboveTheRootStaysAtTheRoot() {
        #expect(Path.absolute("/..") == "/")
        #expect(Path.absolute("/../x") == "/x")
        #expect(Path.absolute("../../../../../../../../..", relativeTo: "/a") == "/")
    }

    @Test func aTrailingSlashIsDropped() {
        #expect(Path.absolute("/a/b/") == "/a/b")
        #expect(Path.absolute("a/", relativeTo: "/base/") == "/base/a")
    }

    @Test func aRelativePathIsTakenFromTheBase() {
        #expect(Path.absolute("x", relativeTo: "/base/dir") == "/base/dir/x", "the base is a directory, whether or not it exists")
        #expect(Path.absolute("../x", relativeTo: "/base/dir") == "/base/x")
        #expect(Path.absolute(".", relativeTo: "/base/dir/") == "/base/dir")
        #expect(Path.absolute("", relativeTo: "/base") == "/base")
        #expect(Path.absolute("/abs/../y", relativeTo: "/base") == "/y", "an absolute path ignores the base")
    }

    @Test func withoutABaseOrWithARelativeOneTheCurrentDirectoryCounts() {
        let current = FileManager.default.currentDirectoryPath
        #expect(Path.absolute("x/../y") == Path.absolute("\(current)/y"))
        #expect(Path.absolute(".") == Path.absolute(current))
        #expect(Path.absolute("x", relativeTo: "rel/dir") == Path.absolute("\(current)/rel/dir/x"))
    }

    @Test func symlinksAreNotResolved() throws {
        let directory = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.appending("real/inner"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: directory.appending("link"), withDestinationPath: directory.appending("real/inner"))
        #expect(Path.absolute("link/..", relativeTo: directory.path) == directory.path, "lexically, link/.. is the directory itself")
        #expect(Path.real(directory.appending("link/..")) == directory.appending("real"), "Path.real follows the link")
    }

    @Test func aLeadingTildeIsTheHomeDirectory() {
        let home = Path.home(environment: ProcessInfo.processInfo.environment)
        #expect(Path.absolute("~") == Path.absolute(home))
        #expect(Path.absolute("~/x/../y", relativeTo: "/base") == Path.absolute(home + "/y"))
        #expect(Path.absolute("~x", relativeTo: "/base") == "/base/~x", "only ~ and ~/ name the home directory")
        #expect(Path.absolute("a/~/b", relativeTo: "/base") == "/base/a/~/b")
    }
}
