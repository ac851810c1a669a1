import Foundation

/// Every path under `root` (but `.git`) with its type, mode and contents or link target.
public func worktreeSnapshot(_ root: String) throws -> [String: String] {
    var result: [String: String] = [:]
    let files = FileManager.default
    for path in try files.subpathsOfDirectory(atPath: root) where path != ".git" {
        let full = root + "/" + path
        let attributes = try files.attributesOfItem(atPath: full)
        let mode = String(attributes[.posixPermissions] as? Int ?? 0, radix: 8)
        switch attributes[.type] as? FileAttributeType {
        case .typeSymbolicLink: result[path] = "link " + (try files.destinationOfSymbolicLink(atPath: full))
        case .typeDirectory: result[path] = "directory " + mode
        default: result[path] = "file \(mode) " + (try Data(contentsOf: URL(fileURLWithPath: full))).base64EncodedString()
        }
    }
    return result
}
