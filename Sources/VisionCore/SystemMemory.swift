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

    /// The value of a `Key:<tab or spaces>N kB` line. The kernel pads N to 8 characters after a
    /// tab, so from 10^7 kB (9.5 GiB) on no space precedes it: split on any whitespace. Decoded
    /// leniently: a line that is not UTF-8 must not hide the others.
    static func kilobytes(in text: String, key: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(key) {
            let parts = line.dropFirst(key.count).split(whereSeparator: { $0 == " " || $0 == "\t" })
            if let first = parts.first { return Double(first) }
        }
        return nil
    }

    private static func kilobytes(file: String, key: String) -> Double? {
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        return kilobytes(in: String(decoding: data, as: UTF8.self), key: key)
    }
}
