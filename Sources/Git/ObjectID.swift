internal import CLibgit2

/// A git object id (SHA-1), as a value that can cross threads.
///
/// It holds libgit2's binary `git_oid`, so passing it back to libgit2 needs no parsing; the hex
/// form is made only when asked for.
public struct ObjectID: Hashable, Sendable, CustomStringConvertible {
    /// The id as libgit2 takes it.
    let raw: git_oid

    init(_ oid: git_oid) {
        raw = oid
    }

    init(_ pointer: UnsafePointer<git_oid>) {
        self.init(pointer.pointee)
    }

    /// Parses a full 40-character hex id.
    ///
    /// - Throws: `GitError` when `hex` is not 40 hex digits (libgit2 alone would ignore the rest
    ///   of a longer string).
    public init(hex: String) throws {
        guard hex.utf8.count == Int(GIT_OID_HEXSZ) else {
            throw GitError.conductor("parse object id", "'\(hex)' is not a full commit id: give all 40 hex digits")
        }
        Libgit2.ensureInitialized()
        var oid = git_oid()
        try check("git_oid_fromstr") { git_oid_fromstr(&oid, hex) }
        self.init(oid)
    }

    /// The 40-character lowercase hex form.
    public var hex: String {
        var oid = raw
        return String(unsafeUninitializedCapacity: Int(GIT_OID_HEXSZ)) { buffer in
            buffer.withMemoryRebound(to: CChar.self) { _ = git_oid_fmt($0.baseAddress, &oid) }
            return Int(GIT_OID_HEXSZ)
        }
    }

    /// The first seven characters, as `git log --oneline` shows.
    public var short: String { String(hex.prefix(7)) }

    public var description: String { hex }

    public static func == (lhs: ObjectID, rhs: ObjectID) -> Bool {
        withUnsafeBytes(of: lhs.raw) { left in withUnsafeBytes(of: rhs.raw) { right in left.elementsEqual(right) } }
    }

    public func hash(into hasher: inout Hasher) {
        withUnsafeBytes(of: raw) { hasher.combine(bytes: $0) }
    }
}
