import Foundation

/// A directory under the system temp dir that is deleted when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init(_ label: String = "conductor-tests") {
        let template = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-XXXXXX").path
        var buffer = Array(template.utf8CString)
        guard let made = mkdtemp(&buffer) else { fatalError("mkdtemp failed for \(template)") }
        path = URL(fileURLWithPath: String(cString: made)).resolvingSymlinksInPath().path
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// `path` joined with a relative path.
    public func appending(_ relative: String) -> String {
        (path as NSString).appendingPathComponent(relative)
    }
}
