import Foundation

/// Committed fixtures under Tests/Fixtures, written by tools/fixtures/*.py.
public enum FixtureFiles {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    public static func data(_ path: String) throws -> Data {
        try Data(contentsOf: root.appendingPathComponent(path))
    }

    public static func bytes(_ path: String) throws -> [UInt8] { [UInt8](try data(path)) }

    public static func floats(_ path: String) throws -> [Float] {
        let d = try data(path)
        return d.withUnsafeBytes { raw in
            (0..<(d.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    public static func int64s(_ path: String) throws -> [Int64] {
        let d = try data(path)
        return d.withUnsafeBytes { raw in
            (0..<(d.count / 8)).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
        }
    }

    public static func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: data(path)) as! [String: Any]
    }
}
