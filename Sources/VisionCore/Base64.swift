/// Standard base64, encoded straight into byte buffers and decoded straight from UTF-8.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func append(_ data: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        out.reserveCapacity(out.count + (data.count + 2) / 3 * 4)
        var i = 0
        let n = data.count
        while i + 3 <= n {
            let v = UInt32(data[i]) << 16 | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2])
            out.append(alphabet[Int(v >> 18 & 63)]); out.append(alphabet[Int(v >> 12 & 63)])
            out.append(alphabet[Int(v >> 6 & 63)]); out.append(alphabet[Int(v & 63)])
            i += 3
        }
        if n - i == 1 {
            let v = UInt32(data[i]) << 16
            out.append(alphabet[Int(v >> 18 & 63)]); out.append(alphabet[Int(v >> 12 & 63)])
            out.append(UInt8(ascii: "=")); out.append(UInt8(ascii: "="))
        } else if n - i == 2 {
            let v = UInt32(data[i]) << 16 | UInt32(data[i + 1]) << 8
            out.append(alphabet[Int(v >> 18 & 63)]); out.append(alphabet[Int(v >> 12 & 63)])
            out.append(alphabet[Int(v >> 6 & 63)]); out.append(UInt8(ascii: "="))
        }
    }

    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    /// Decodes standard base64, ignoring ASCII whitespace, with or without `=` padding. Returns nil
    /// for any other character, misplaced padding or an impossible length.
    public static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { decode(UnsafeRawBufferPointer($0)) }
    }

    static func decode(_ input: UnsafeRawBufferPointer) -> [UInt8]? {
        var out = [UInt8]()
        out.reserveCapacity(input.count / 4 * 3 + 3)
        var quad: UInt32 = 0
        var filled = 0
        var padding = 0
        for byte in input {
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D:
                continue
            case UInt8(ascii: "="):
                padding += 1
                continue
            default:
                let v = decodeTable[Int(byte)]
                if v == 0xFF || padding > 0 { return nil }
                quad = quad << 6 | UInt32(v)
                filled += 1
                if filled == 4 {
                    out.append(UInt8(quad >> 16 & 0xFF)); out.append(UInt8(quad >> 8 & 0xFF)); out.append(UInt8(quad & 0xFF))
                    quad = 0
                    filled = 0
                }
            }
        }
        switch filled {
        case 0: return padding == 0 ? out : nil
        case 2: out.append(UInt8(quad >> 4 & 0xFF))
        case 3: out.append(UInt8(quad >> 10 & 0xFF)); out.append(UInt8(quad >> 2 & 0xFF))
        default: return nil
        }
        return padding <= 2 ? out : nil
    }
}
