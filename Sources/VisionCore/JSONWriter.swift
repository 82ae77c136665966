/// A small, fast JSON writer for responses that carry large float arrays, where Foundation's
/// encoder is slow. Floats are written in their shortest round-trip form; non-finite as null.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    public mutating func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }

    /// Appends already-encoded JSON.
    public mutating func raw(json: [UInt8]) { bytes.append(contentsOf: json) }

    public mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for unit in text.utf8 {
            switch unit {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: Array("\\u00".utf8))
                bytes.append(hex[Int(unit >> 4)]); bytes.append(hex[Int(unit & 0xF)])
            default: bytes.append(unit)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func key(_ name: String) {
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func number(_ value: Double) {
        if value.isFinite { raw(value.description) } else { raw("null") }
    }

    public mutating func number(_ value: Float) {
        if value.isFinite { raw(value.description) } else { raw("null") }
    }

    public mutating func number(_ value: Int) { raw(String(value)) }

    public mutating func bool(_ value: Bool) { raw(value ? "true" : "false") }

    public mutating func null() { raw("null") }

    public mutating func ints(_ values: [Int]) {
        bytes.append(UInt8(ascii: "["))
        for (i, v) in values.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            number(v)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Writes `values` as nested lists following `shape` (row-major).
    public mutating func nestedFloats(_ values: [Float], shape: [Int]) {
        values.withUnsafeBufferPointer { buffer in
            var offset = 0
            writeLevel(buffer, shape[...], &offset)
        }
    }

    private mutating func writeLevel(_ values: UnsafeBufferPointer<Float>, _ shape: ArraySlice<Int>, _ offset: inout Int) {
        bytes.append(UInt8(ascii: "["))
        guard let first = shape.first else { return }
        if shape.count == 1 {
            for i in 0..<first {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                number(values[offset])
                offset += 1
            }
        } else {
            for i in 0..<first {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                writeLevel(values, shape.dropFirst(), &offset)
            }
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Writes `bytes` as a quoted base64 string.
    public mutating func base64(_ data: [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        data.withUnsafeBytes { Base64.append($0, to: &bytes) }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Writes `{"dtype":"float32","shape":[...],"data":"<base64 of little-endian float32>"}`.
    public mutating func base64Floats(_ values: [Float], shape: [Int]) {
        raw("{"); key("dtype"); string("float32"); raw(","); key("shape"); ints(shape); raw(",")
        key("encoding"); string("base64"); raw(","); key("data")
        bytes.append(UInt8(ascii: "\""))
        values.withUnsafeBytes { Base64.append(UnsafeRawBufferPointer($0), to: &bytes) }
        bytes.append(UInt8(ascii: "\""))
        raw("}")
    }
}
