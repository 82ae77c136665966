/// numpy `.npz` archives as `np.savez` writes them: a ZIP (stored, no compression) of `.npy` files.
public struct NPZWriter: Sendable {
    private var entries: [(name: String, data: [UInt8])] = []

    public init() {}

    /// Adds a little-endian float32 array, C order.
    public mutating func add(_ name: String, floats: [Float], shape: [Int]) {
        precondition(shape.reduce(1, *) == floats.count, "npz array shape mismatch")
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(dims), }"
        // Magic (6) + version (2) + length (2) + header, padded with spaces and '\n' to 64 bytes.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        appendLE(UInt16(header.utf8.count), to: &data)
        data.append(contentsOf: header.utf8)
        data.reserveCapacity(data.count + floats.count * 4)
        for v in floats { appendLE(v.bitPattern, to: &data) }
        entries.append((name + ".npy", data))
    }

    /// The archive bytes.
    public func archive() -> [UInt8] {
        var out: [UInt8] = [], central: [UInt8] = []
        for entry in entries {
            let offset = out.count
            let crc = CRC32.checksum(entry.data)
            let name = Array(entry.name.utf8)
            func common(_ buffer: inout [UInt8]) {
                appendLE(UInt16(20), to: &buffer)  // version needed
                appendLE(UInt16(0), to: &buffer)  // flags
                appendLE(UInt16(0), to: &buffer)  // stored
                appendLE(UInt16(0), to: &buffer)  // time
                appendLE(UInt16(0x21), to: &buffer)  // date: 1980-01-01
                appendLE(crc, to: &buffer)
                appendLE(UInt32(entry.data.count), to: &buffer)
                appendLE(UInt32(entry.data.count), to: &buffer)
                appendLE(UInt16(name.count), to: &buffer)
                appendLE(UInt16(0), to: &buffer)  // extra
            }
            appendLE(UInt32(0x0403_4B50), to: &out)
            common(&out)
            out.append(contentsOf: name)
            out.append(contentsOf: entry.data)
            appendLE(UInt32(0x0201_4B50), to: &central)
            appendLE(UInt16(20), to: &central)  // version made by
            common(&central)
            appendLE(UInt16(0), to: &central)  // comment length
            appendLE(UInt16(0), to: &central)  // disk
            appendLE(UInt16(0), to: &central)  // internal attributes
            appendLE(UInt32(0), to: &central)  // external attributes
            appendLE(UInt32(offset), to: &central)
            central.append(contentsOf: name)
        }
        let centralOffset = out.count
        out.append(contentsOf: central)
        appendLE(UInt32(0x0605_4B50), to: &out)
        appendLE(UInt16(0), to: &out)
        appendLE(UInt16(0), to: &out)
        appendLE(UInt16(entries.count), to: &out)
        appendLE(UInt16(entries.count), to: &out)
        appendLE(UInt32(central.count), to: &out)
        appendLE(UInt32(centralOffset), to: &out)
        appendLE(UInt16(0), to: &out)
        return out
    }
}

/// CRC-32 (IEEE 802.3, reflected 0xEDB88320), as ZIP uses.
public enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
