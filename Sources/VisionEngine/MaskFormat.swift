import VisionCore

/// How masks are returned (SAM3 and click-to-segment).
public enum MaskFormat: String, WireEnum {
    /// The original's: `{"encoding":"rle","size":[H,W],"counts":base64(zlib(uint32 LE runs))}`.
    case rle
    /// External contours simplified with 1.5 px tolerance, each `[[x, y], ...]`.
    case polygons
    /// Nested 0/1 lists, H×W per instance.
    case dense
    /// pycocotools' compressed RLE: `{"size": [H, W], "counts": "..."}`.
    case cocoRLE = "coco_rle"
    /// A base64 8-bit greyscale PNG (0 / 255) per instance.
    case png

    var field: String {
        switch self {
        case .rle: "masks_rle"
        case .polygons: "masks_polygon"
        case .dense: "masks"
        case .cocoRLE: "masks_coco_rle"
        case .png: "masks_png"
        }
    }

    /// What each mask encoding is, in the field `field` names (`encode` writes them).
    static let schemas: [(MaskFormat, Schema)] = [
        (.rle, .array(.object(["encoding": .string(enum: ["rle"]), "size": .array(.integer(), description: "[height, width]"),
                               "counts": .string(description: "the original server's compressed run lengths")]),
                      description: "output_format rle")),
        (.polygons, .array(.array(.array(.array(.integer()))),
                           description: "output_format polygons: per instance, its outlines as [x, y] points")),
        (.dense, .array(.array(.array(.integer())), description: "output_format dense: per instance, rows of 0/1")),
        (.cocoRLE, .array(.object(["size": .array(.integer(), description: "[height, width]"),
                                   "counts": .string(description: "pycocotools' compressed RLE string")]),
                          description: "output_format coco_rle")),
        (.png, .array(.string(), description: "output_format png: per instance, a base64 greyscale PNG (0 or 255)")),
    ]

    /// The masks field's JSON value in the asked format.
    static func encode(_ masks: [BinaryMask], format: MaskFormat, encoder: any PNGEncoding,
                       deflater: any Deflating) throws -> [UInt8] {
        var w = JSONWriter(capacity: 256)
        w.raw("[")
        for (i, mask) in masks.enumerated() {
            if i > 0 { w.raw(",") }
            switch format {
            case .rle:
                w.raw("{"); w.key("encoding"); w.string("rle"); w.raw(","); w.key("size"); w.ints([mask.height, mask.width])
                w.raw(","); w.key("counts"); w.string(try MaskEncoding.originalRLECounts(mask, deflater: deflater)); w.raw("}")
            case .cocoRLE:
                w.raw("{"); w.key("size"); w.ints([mask.height, mask.width])
                w.raw(","); w.key("counts"); w.string(MaskEncoding.cocoRLEString(mask)); w.raw("}")
            case .polygons:
                w.raw("[")
                for (j, polygon) in MaskPolygons.polygons(mask).enumerated() {
                    if j > 0 { w.raw(",") }
                    w.raw("[")
                    for (k, point) in polygon.enumerated() { if k > 0 { w.raw(",") }; w.ints(point) }
                    w.raw("]")
                }
                w.raw("]")
            case .dense:
                w.raw("[")
                for y in 0..<mask.height {
                    if y > 0 { w.raw(",") }
                    w.ints(mask.pixels[(y * mask.width)..<((y + 1) * mask.width)].map(Int.init))
                }
                w.raw("]")
            case .png:
                w.base64(try encoder.grey8(mask.pixels.map { $0 * 255 }, width: mask.width, height: mask.height))
            }
        }
        w.raw("]")
        return w.bytes
    }
}
