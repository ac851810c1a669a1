import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Reading and appending through file descriptors, as `FileHandle` offered it.
package enum RawFile {
    /// Everything `descriptor` yields until end of file, read into one buffer that starts at
    /// `sizeHint` bytes (the size `fstat` saw, say) and doubles when full; nil when a read fails
    /// (`errno` says why).
    package static func readAll(_ descriptor: Int32, sizeHint: Int = 65_536) -> Data? {
        var data = Data(count: max(sizeHint, 0) + 1)
        var length = 0
        while true {
            if length == data.count { data.count *= 2 }
            let count = data.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + length, $0.count - length) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 {
                data.count = length
                return data
            }
            length += count
        }
    }

    /// At most `limit` bytes from the start of the file at `path`; nil when it cannot be opened.
    package static func head(_ path: String, limit: Int) -> Data? {
        slice(path, limit: limit, fromEnd: false)
    }

    /// At most `limit` bytes from the end of the file at `path`; nil when it cannot be opened.
    package static func tail(_ path: String, limit: Int) -> Data? {
        slice(path, limit: limit, fromEnd: true)
    }

    /// Writes all of `data` to `descriptor` (appends, when it was opened with `O_APPEND`); false
    /// when a write fails (`errno` says why).
    @discardableResult
    package static func write(_ data: Data, to descriptor: Int32) -> Bool {
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let count = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else {
                    if count == 0 { errno = EIO }
                    return false
                }
                offset += count
            }
            return true
        }
    }

    private static func slice(_ path: String, limit: Int, fromEnd: Bool) -> Data? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        let size = Int(info.st_size)
        let start = fromEnd ? max(0, size - limit) : 0
        let length = min(limit, size - start)
        guard length > 0 else { return Data() }
        var bytes = [UInt8](repeating: 0, count: length)
        var filled = 0
        while filled < length {
            let count = pread(descriptor, &bytes[filled], length - filled, off_t(start + filled))
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            filled += count
        }
        return Data(bytes[0..<filled])
    }
}
