import Foundation
import TestSupport
import Testing
import VisionCore

/// The port of cv2.resize against cv2 itself (tools/fixtures/make_depth_anything_3_fixtures.py).
@Suite struct OpenCVResizeTests {
    /// The top-left `crop` [height, width] of a fixture image, from the decoded RGB the
    /// preprocessing fixtures ship next to each PNG (named <kind>_<height>x<width>).
    static func image(_ path: String, crop: [Int]) throws -> RGBImage {
        let all = try FixtureFiles.bytes(path.replacingOccurrences(of: ".png", with: ".rgb"))
        let dims = path.split(separator: "_").last!.replacingOccurrences(of: ".png", with: "").split(separator: "x")
        let width = Int(dims[1])!
        var pixels: [UInt8] = []
        for y in 0..<crop[0] { pixels += all[(y * width * 3)..<(y * width * 3 + crop[1] * 3)] }
        return RGBImage(width: crop[1], height: crop[0], pixels: pixels)
    }

    @Test func matchesOpenCV() throws {
        let manifest = try FixtureFiles.json("depth_anything_3/manifest.json")
        let cases = manifest["resizes"] as! [[String: Any]]
        #expect(cases.count == 8 && cases.contains { $0["interpolation"] as? String == "cubic" })
        for c in cases {
            let name = c["name"] as! String
            let source = name.hasPrefix("cubic_up") ? "preprocessing/small_37x53.png" : "preprocessing/wide_90x151.png"
            let input = try Self.image(source, crop: c["crop"] as! [Int])
            let size = c["size"] as! [Int]
            let cubic = (c["interpolation"] as! String) == "cubic"
            let out = OpenCVResize.resize(input, width: size[1], height: size[0], interpolation: cubic ? .cubic : .area)
            let expected = try FixtureFiles.bytes("depth_anything_3/" + (c["file"] as! String))
            #expect(out.pixels.count == expected.count, "\(name)")
            let off = zip(out.pixels, expected).map { abs(Int($0) - Int($1)) }
            if cubic {
                // IPP's cubic, reproduced up to one level on a few thousandths of a percent of values.
                #expect((off.max() ?? 9) <= 1, "\(name): off by \(off.max() ?? -1)")
                #expect(off.filter { $0 > 0 }.count <= max(2, off.count / 1000), "\(name): \(off.filter { $0 > 0 }.count) values differ")
            } else {
                #expect(off.allSatisfy { $0 == 0 }, "\(name): \(off.filter { $0 > 0 }.count) values differ")
            }
        }
    }
}
