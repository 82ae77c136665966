import Foundation
import TestSupport
import Testing
import VisionCore
@testable import VisionEngine

/// gs_ply (the Gaussian head of da3-giant, here through the nested preset's any-view branch)
/// against the package's own `export_to_gs_ply` file, parsed back with plyfile
/// (tools/fixtures/make_depth_anything_3_fixtures.py `gs_cases`).
@Suite struct DepthAnything3GaussianTests {
    /// The PLY's property names and rows of float32.
    static func parse(_ data: [UInt8]) throws -> (properties: [String], rows: [[Float]]) {
        let marker = Array("end_header\n".utf8)
        let end = try #require(data.firstRange(of: marker)).upperBound
        let header = String(decoding: data[..<end], as: UTF8.self).split(separator: "\n")
        #expect(header.starts(with: ["ply", "format binary_little_endian 1.0"]))
        let count = Int(try #require(header.first { $0.hasPrefix("element vertex ") }).split(separator: " ")[2])!
        let properties = header.filter { $0.hasPrefix("property float ") }.map { String($0.dropFirst("property float ".count)) }
        #expect(data.count - end == count * properties.count * 4)
        let rows = (0..<count).map { r in
            (0..<properties.count).map { c in
                let o = end + (r * properties.count + c) * 4
                return Float(bitPattern: UInt32(data[o]) | UInt32(data[o + 1]) << 8 | UInt32(data[o + 2]) << 16 | UInt32(data[o + 3]) << 24)
            }
        }
        return (properties, rows)
    }

    @Test func gsPlyMatchesThePackage() async throws {
        let service = try DepthAnything3ParityTests.service()
        let cases = try FixtureFiles.json("depth_anything_3/manifest.json")["gs_cases"] as! [[String: Any]]
        var checked = 0
        for c in cases {
            let name = c["name"] as! String
            let images = try (c["images"] as! [String]).map { ImageInput(source: .bytes(try FixtureFiles.bytes("preprocessing/" + $0))) }
            let request = DepthAnythingRequest(images: images, modelID: DepthAnything3ParityTests.nestedRepo, exportFormat: .gsPLY,
                                               extrinsics: c["extrinsics"] as? [[[Double]]], intrinsics: c["intrinsics"] as? [[[Double]]])
            let response = try await service.run(request)
            let file = try #require(response.results.first?.export, "\(name)")
            #expect(file.format == .gsPLY && response.results.dropFirst().allSatisfy { $0.export == nil })
            let (properties, rows) = try Self.parse(file.data)
            #expect(properties == c["properties"] as! [String], "\(name): the 3DGS layout")
            #expect(rows.count == c["count"] as! Int && file.points == rows.count, "\(name): \(rows.count) Gaussians")
            func close(_ got: Float, _ want: Double) -> Bool { abs(Double(got) - want) <= 1e-3 * max(1, abs(want)) }
            for (k, (lo, hi)) in zip(c["min"] as! [Double], c["max"] as! [Double]).enumerated() {
                let column = rows.map { $0[k] }
                #expect(close(column.min()!, lo) && close(column.max()!, hi), "\(name): \(properties[k]) range")
            }
            let every = c["sample_every"] as! Int, sample = c["rows"] as! [[Double]]
            var compared = 0
            for (s, want) in sample.enumerated() where s * every < rows.count {
                let got = rows[s * every]
                #expect(zip(got, want).allSatisfy { close($0, $1) }, "\(name): row \(s * every): \(got) vs \(want)")
                compared += 1
            }
            #expect(compared == sample.count && compared > 100)
            checked += 1
        }
        #expect(checked == 2)
    }

    /// The PLY's rules on their own: border rows and columns (int(8/256 · side)) and pixels deeper
    /// than the view's 0.9 quantile are dropped; opacity as a logit and scales as logs.
    @Test func pruningAndEncoding() throws {
        let (h, w) = (64, 96)
        let depth = (0..<(h * w)).map { Float($0 % 10) + 1 }
        let view = ViewGaussians(height: h, width: w, means: [Float](repeating: 1, count: 3 * h * w),
                                 scales: [Float](repeating: 2, count: 3 * h * w), rotations: [Float](repeating: 0.5, count: 4 * h * w),
                                 colorDC: [Float](repeating: 0.25, count: 3 * h * w), opacities: [Float](repeating: 0.75, count: h * w))
        let kept = GaussianPLY.kept([view], depths: [depth])[0]
        let far = percentile(depth, 90)
        #expect(far >= 9 && far < 10)  // the 10s (a tenth of the pixels) are dropped
        let expected = (0..<(h * w)).filter { p in (2..<(h - 2)).contains(p / w) && (3..<(w - 3)).contains(p % w) && depth[p] <= far }
        #expect(kept == expected && !kept.isEmpty)
        let (properties, rows) = try Self.parse(GaussianPLY.file([view], depths: [depth]).data)
        #expect(properties == GaussianPLY.properties && rows.count == kept.count)
        #expect(abs(rows[0][9] - log(3)) < 1e-6 && abs(rows[0][10] - log(2)) < 1e-6 && rows[0][3...5] == [0, 0, 0])
    }
}
