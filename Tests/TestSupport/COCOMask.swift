/// pycocotools' compressed RLE string decoded (the inverse of its rleToString), for comparing masks
/// the server encodes with masks the Python stack encoded.
public enum COCOMask {
    /// The mask's pixels, row-major, 0 or 1.
    public static func decode(_ counts: String, height: Int, width: Int) -> [UInt8] {
        let s = Array(counts.utf8)
        var runs: [Int] = [], p = 0
        while p < s.count {
            var x = 0, k = 0, more = true
            while more && p < s.count {
                let c = Int(s[p]) - 48
                x |= (c & 0x1F) << (5 * k)
                more = (c & 0x20) != 0
                p += 1; k += 1
                if !more && (c & 0x10) != 0 { x |= -1 << (5 * k) }
            }
            if runs.count > 2 { x += runs[runs.count - 2] }
            runs.append(x)
        }
        var columnMajor: [UInt8] = [], value: UInt8 = 0
        for r in runs { columnMajor += [UInt8](repeating: value, count: max(0, r)); value ^= 1 }
        var pixels = [UInt8](repeating: 0, count: height * width)
        for x in 0..<width { for y in 0..<height where x * height + y < columnMajor.count { pixels[y * width + x] = columnMajor[x * height + y] } }
        return pixels
    }

    /// Intersection over union of two 0/1 masks of one size (1 when both are empty).
    public static func iou(_ a: [UInt8], _ b: [UInt8]) -> Double {
        var inter = 0, union = 0
        for (x, y) in zip(a, b) { inter += Int(x & y); union += Int(x | y) }
        return union == 0 ? 1 : Double(inter) / Double(union)
    }
}
