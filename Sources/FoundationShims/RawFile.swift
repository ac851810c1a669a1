import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Reading and appending through file descriptors, as `FileHandle` offered it.
public enum RawFile {
    /// Everything `descriptor` yields until end of file.
    public static func readAll(_ descriptor: Int32) -> Data {
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(descriptor, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return data }
            data.append(contentsOf: chunk[0..<count])
        }
    }

    /// At most `limit` bytes from the start of the file at `path`; nil when it cannot be opened.
    public static func head(_ path: String, limit: Int) -> Data? {
        slice(path, limit: limit, fromEnd: false)
    }

    /// At most `limit` bytes from the end of the file at `path`; nil when it cannot be opened.
    public static func tail(_ path: String, limit: Int) -> Data? {
        slice(path, limit: limit, fromEnd: true)
    }

    /// Appends `data` to the file open at `descriptor` (opened with `O_APPEND`).
    @discardableResult
    public static func write(_ data: Data, to descriptor: Int32) -> Bool {
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let count = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return false }
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
