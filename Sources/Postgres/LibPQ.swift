internal import CLibpq

/// libpq's functions, found in libpq.so.5 when the first connection needs them rather than linked
/// (see Modules/CLibpq/include/CLibpq.h): a process that never connects never maps libpq nor the
/// libraries it pulls in.
enum LibPQ {
    /// libpq's shared library: its ABI has kept this soname since PostgreSQL 8.4.
    static let library = "libpq.so.5"

    /// libpq's functions, the library opened by the first caller.
    ///
    /// - Throws: `PostgresError` naming the library and the package that installs it.
    static func functions() throws(PostgresError) -> CLibpq {
        try loaded.get()
    }

    private static let loaded = Result { () throws(PostgresError) in try open(library) }

    /// Opens `library` and returns its functions.
    static func open(_ library: String) throws(PostgresError) -> CLibpq {
        // The C loader fills the struct: Swift cannot make one of non-null pointers to fill.
        let functions = UnsafeMutablePointer<CLibpq>.allocate(capacity: 1)
        defer { functions.deallocate() }
        var reason = [CChar](repeating: 0, count: 512)
        guard clibpq_open(library, functions, &reason, reason.count) else {
            let text = String(decoding: reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw PostgresError(message: "\(library), PostgreSQL's client library, cannot be loaded (\(text)); install it (Debian, Ubuntu: apt install libpq5)", sqlState: nil)
        }
        return functions.pointee
    }
}
