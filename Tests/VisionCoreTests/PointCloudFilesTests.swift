import Foundation
import Testing
import VisionCore

/// PLY, GLB and NPZ encodings parsed back by independent readers written here from the specs.
@Suite struct PointCloudFilesTests {
    static let cloud: PointCloud = {
        var c = PointCloud()
        c.positions = [0, 0, 1, 1, -2, 3, 0.5, 0.25, -1]
        c.colors = [255, 0, 0, 0, 255, 0, 0, 0, 255]
        return c
    }()

    static func u32(_ b: [UInt8], _ o: Int) -> UInt32 {
        UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
    }

    static func f32(_ b: [UInt8], _ o: Int) -> Float { Float(bitPattern: u32(b, o)) }

    @Test func plyHeaderAndVertices() throws {
        let ply = PointCloudFiles.ply(Self.cloud)
        let end = try #require(String(decoding: ply, as: UTF8.self).range(of: "end_header\n"))
        let headerBytes = String(decoding: ply, as: UTF8.self)[..<end.upperBound].utf8.count
        let header = String(decoding: ply.prefix(headerBytes), as: UTF8.self)
        #expect(header.hasPrefix("ply\nformat binary_little_endian 1.0\n"))
        #expect(header.contains("element vertex 3\n"))
        #expect(ply.count == headerBytes + 3 * 15)
        #expect(Self.f32(ply, headerBytes + 15 + 4) == -2, "second vertex y")
        #expect(Array(ply[(headerBytes + 12)..<(headerBytes + 15)]) == [255, 0, 0])
    }

    @Test func glbChunksAccessorsAndBounds() throws {
        let glb = PointCloudFiles.glb(Self.cloud)
        #expect(Self.u32(glb, 0) == 0x4654_6C67 && Self.u32(glb, 4) == 2 && Int(Self.u32(glb, 8)) == glb.count)
        let jsonLength = Int(Self.u32(glb, 12))
        #expect(Self.u32(glb, 16) == 0x4E4F_534A && jsonLength % 4 == 0)
        let json = try JSONSerialization.jsonObject(with: Data(glb[20..<(20 + jsonLength)])) as! [String: Any]
        let accessors = json["accessors"] as! [[String: Any]]
        #expect(accessors[0]["count"] as? Int == 3 && accessors[0]["type"] as? String == "VEC3")
        #expect((accessors[0]["min"] as! [Double]) == [0, -2, -1])
        #expect((accessors[0]["max"] as! [Double]) == [1, 0.25, 3])
        let bin = 20 + jsonLength
        let binLength = Int(Self.u32(glb, bin))
        #expect(Self.u32(glb, bin + 4) == 0x004E_4942 && binLength == 3 * 12 + 3 * 4)
        #expect(Self.f32(glb, bin + 8 + 12 + 8) == 3, "second vertex z")
        #expect(glb[bin + 8 + 36 + 4 + 1] == 255, "second colour's green")
        let empty = PointCloudFiles.glb(PointCloud())
        #expect(Int(Self.u32(empty, 8)) == empty.count)
    }

    @Test func npzIsAZipOfNpyArrays() throws {
        var npz = NPZWriter()
        npz.add("depth", floats: [1, 2, 3, 4, 5, 6], shape: [2, 3])
        npz.add("intrinsics", floats: [Float](repeating: 0.5, count: 9), shape: [3, 3])
        let zip = npz.archive()
        // Local header 1: signature, stored, CRC of the data, name "depth.npy".
        #expect(Self.u32(zip, 0) == 0x0403_4B50)
        let nameLength = Int(UInt16(zip[26]) | UInt16(zip[27]) << 8)
        #expect(String(decoding: zip[30..<(30 + nameLength)], as: UTF8.self) == "depth.npy")
        let size = Int(Self.u32(zip, 18))
        let data = Array(zip[(30 + nameLength)..<(30 + nameLength + size)])
        #expect(Self.u32(zip, 14) == CRC32.checksum(data))
        #expect(Array(data.prefix(6)) == [0x93] + Array("NUMPY".utf8))
        let headerLength = Int(UInt16(data[8]) | UInt16(data[9]) << 8)
        #expect((10 + headerLength) % 64 == 0)
        let header = String(decoding: data[10..<(10 + headerLength)], as: UTF8.self)
        #expect(header.contains("'descr': '<f4'") && header.contains("'shape': (2, 3)"))
        #expect(Self.f32(data, 10 + headerLength + 4 * 5) == 6)
        // End of central directory: two entries.
        let eocd = zip.count - 22
        #expect(Self.u32(zip, eocd) == 0x0605_4B50 && zip[eocd + 10] == 2)
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    @Test func backProjectionThroughAPinholeCamera() {
        let image = RGBImage(width: 2, height: 2, pixels: [UInt8](0..<12))
        let intrinsics: [[Double]] = [[2, 0, 1], [0, 2, 1], [0, 0, 1]]
        // Camera translated by t: world = Rᵀ(x - t) with R = I.
        let extrinsics: [[Double]] = [[1, 0, 0, 0.5], [0, 1, 0, 0], [0, 0, 1, -1]]
        let cloud = PointCloud.backProject(depth: [2, 2, -1, 4], confidence: [1, 0.5, 1, 1], width: 2, height: 2,
                                           intrinsics: intrinsics, extrinsics: extrinsics, image: image,
                                           minimumConfidence: 0.9)
        #expect(cloud.count == 2, "low confidence and negative depth are left out")
        #expect(cloud.positions == [-1 - 0.5, -1, 3, 0 - 0.5, 0, 5])
        #expect(cloud.colors == [0, 1, 2, 9, 10, 11])
        #expect(percentile([4, 1, 3, 2], 40) == 2.2)
    }
}
