/// Encoded image formats this server decodes, recognised from their first bytes.
enum ImageFormat: String {
    case jpeg, png, webp

    init?(sniffing b: [UInt8]) {
        if b.count >= 3, b[0] == 0xFF, b[1] == 0xD8, b[2] == 0xFF {
            self = .jpeg
        } else if b.count >= 8, b.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            self = .png
        } else if b.count >= 12, b.starts(with: Array("RIFF".utf8)), Array(b[8..<12]) == Array("WEBP".utf8) {
            self = .webp
        } else {
            return nil
        }
    }
}
