import CLibgit2

/// A git object id (SHA-1), as a value that can cross threads.
public struct ObjectID: Hashable, Sendable, CustomStringConvertible {
    /// The 40-character lowercase hex form.
    public let hex: String

    init(_ oid: git_oid) {
        var oid = oid
        hex = String(cString: git_oid_tostr_s(&oid))
    }

    init(_ pointer: UnsafePointer<git_oid>) {
        self.init(pointer.pointee)
    }

    /// Parses a full 40-character hex id.
    public init(hex: String) throws {
        Libgit2.ensureInitialized()
        var oid = git_oid()
        try check("git_oid_fromstr") { git_oid_fromstr(&oid, hex) }
        self.init(oid)
    }

    /// The first seven characters, as `git log --oneline` shows.
    public var short: String { String(hex.prefix(7)) }

    public var description: String { hex }

    var raw: git_oid {
        var oid = git_oid()
        git_oid_fromstr(&oid, hex)
        return oid
    }
}
