import Foundation

/// Memory figures from the kernel, for `/health`.
enum SystemMemory {
    /// `MemAvailable` from /proc/meminfo, in GiB (nil where unreadable).
    static func availableGB() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, let kb = Double(parts[1]) { return (kb / 1_048_576 * 100).rounded() / 100 }
        }
        return nil
    }

    /// Resident set size of this process, in MiB.
    static func residentMB() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, let kb = Double(parts[1]) { return (kb / 1024 * 10).rounded() / 10 }
        }
        return nil
    }
}
