import VisionCore

/// Finds the EXIF orientation in JPEG (APP1), PNG (eXIf) and WebP (EXIF chunk) files.
/// Pure byte parsing; any malformed structure simply yields no orientation.
enum ExifReader {
    static func orientation(in bytes: [UInt8], format: ImageFormat) -> ExifOrientation {
        let tiff: ArraySlice<UInt8>?
        switch format {
        case .jpeg: tiff = jpegExif(bytes)
        case .png: tiff = pngExif(bytes)
        case .webp: tiff = webpExif(bytes)
        }
        guard let tiff, let value = orientationTag(tiff) else { return .normal }
        return ExifOrientation(rawValue: value) ?? .normal
    }

    private static func jpegExif(_ b: [UInt8]) -> ArraySlice<UInt8>? {
        var i = 2
        while i + 4 <= b.count, b[i] == 0xFF {
            let marker = b[i + 1]
            if marker == 0xDA || marker == 0xD9 { return nil }  // start of scan / end of image
            let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
            guard length >= 2, i + 2 + length <= b.count else { return nil }
            let payload = b[(i + 4)..<(i + 2 + length)]
            if marker == 0xE1, payload.starts(with: [0x45, 0x78, 0x69, 0x66, 0, 0]) {  // "Exif\0\0"
                return payload.dropFirst(6)
            }
            i += 2 + length
        }
        return nil
    }

    private static func pngExif(_ b: [UInt8]) -> ArraySlice<UInt8>? {
        var i = 8
        while i + 12 <= b.count {
            let length = Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3])
            guard length >= 0, i + 12 + length <= b.count else { return nil }
            let type = Array(b[(i + 4)..<(i + 8)])
            if type == Array("eXIf".utf8) { return b[(i + 8)..<(i + 8 + length)] }
            if type == Array("IDAT".utf8) || type == Array("IEND".utf8) { return nil }
            i += 12 + length
        }
        return nil
    }

    private static func webpExif(_ b: [UInt8]) -> ArraySlice<UInt8>? {
        var i = 12
        while i + 8 <= b.count {
            let length = Int(b[i + 4]) | Int(b[i + 5]) << 8 | Int(b[i + 6]) << 16 | Int(b[i + 7]) << 24
            guard length >= 0, i + 8 + length <= b.count else { return nil }
            if Array(b[i..<(i + 4)]) == Array("EXIF".utf8) {
                var payload = b[(i + 8)..<(i + 8 + length)]
                if payload.starts(with: [0x45, 0x78, 0x69, 0x66, 0, 0]) { payload = payload.dropFirst(6) }
                return payload
            }
            i += 8 + length + (length & 1)
        }
        return nil
    }

    /// Reads tag 0x0112 from IFD0 of a TIFF structure.
    private static func orientationTag(_ t: ArraySlice<UInt8>) -> Int? {
        let d = Array(t)
        guard d.count >= 8 else { return nil }
        let little: Bool
        if d[0] == 0x49 && d[1] == 0x49 { little = true } else if d[0] == 0x4D && d[1] == 0x4D { little = false } else { return nil }
        func u16(_ o: Int) -> Int? {
            guard o >= 0, o + 2 <= d.count else { return nil }
            return little ? Int(d[o]) | Int(d[o + 1]) << 8 : Int(d[o]) << 8 | Int(d[o + 1])
        }
        func u32(_ o: Int) -> Int? {
            guard let a = u16(o), let b = u16(o + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        guard let ifd = u32(4), let count = u16(ifd) else { return nil }
        for n in 0..<count {
            let entry = ifd + 2 + n * 12
            guard let tag = u16(entry) else { return nil }
            if tag == 0x0112 { return u16(entry + 8) }
        }
        return nil
    }
}
