import Foundation

/// Memory figures from the kernel (Linux /proc), for `/health` and model memory accounting.
public enum SystemMemory {
    /// `MemAvailable` from /proc/meminfo, in GiB with two decimals (nil where unreadable).
    public static func availableGB() -> Double? {
        kilobytes(file: "/proc/meminfo", key: "MemAvailable:").map { ($0 / 1_048_576 * 100).rounded() / 100 }
    }

    /// Resident set size of this process, in MiB with one decimal.
    public static func residentMB() -> Double? {
        residentBytes().map { (Double($0) / 1_048_576 * 10).rounded() / 10 }
    }

    /// Resident set size of this process, in bytes.
    public static func residentBytes() -> Int? {
        kilobytes(file: "/proc/self/status", key: "VmRSS:").map { Int($0) * 1024 }
    }

    /// The value of a `Key:   N kB` line.
    private static func kilobytes(file: String, key: String) -> Double? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key) {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2 { return Double(parts[1]) }
        }
        return nil
    }
}
