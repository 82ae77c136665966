import Foundation

/// Point cloud file encodings: binary PLY and binary glTF (GLB).
public enum PointCloudFiles {
    /// Binary little-endian PLY: float x, y, z and uchar red, green, blue per vertex.
    public static func ply(_ cloud: PointCloud) -> [UInt8] {
        let header = """
        ply
        format binary_little_endian 1.0
        comment vision-models-api Depth Anything 3 point cloud
        element vertex \(cloud.count)
        property float x
        property float y
        property float z
        property uchar red
        property uchar green
        property uchar blue
        end_header

        """
        var out = Array(header.utf8)
        out.reserveCapacity(out.count + cloud.count * 15)
        for i in 0..<cloud.count {
            for a in 0..<3 { appendLE(cloud.positions[i * 3 + a].bitPattern, to: &out) }
            out.append(contentsOf: cloud.colors[(i * 3)..<(i * 3 + 3)])
        }
        return out
    }

    /// glTF 2.0 binary: one mesh of POINTS with POSITION (float VEC3, with min/max) and COLOR_0
    /// (normalised unsigned-byte VEC4, alpha 255). An empty cloud is a scene without a mesh.
    public static func glb(_ cloud: PointCloud) -> [UInt8] {
        var binary: [UInt8] = []
        let n = cloud.count
        for v in cloud.positions { appendLE(v.bitPattern, to: &binary) }
        for i in 0..<n { binary.append(contentsOf: cloud.colors[(i * 3)..<(i * 3 + 3)]); binary.append(255) }
        var json = "{\"asset\":{\"version\":\"2.0\",\"generator\":\"vision-models-api\"},\"scene\":0,"
        if let bounds = cloud.bounds {
            func list(_ v: [Float]) -> String { "[" + v.map { "\($0)" }.joined(separator: ",") + "]" }
            json += "\"scenes\":[{\"nodes\":[0]}],\"nodes\":[{\"mesh\":0}],"
            json += "\"meshes\":[{\"primitives\":[{\"attributes\":{\"POSITION\":0,\"COLOR_0\":1},\"mode\":0}]}],"
            json += "\"buffers\":[{\"byteLength\":\(binary.count)}],"
            json += "\"bufferViews\":[{\"buffer\":0,\"byteOffset\":0,\"byteLength\":\(n * 12),\"target\":34962},"
            json += "{\"buffer\":0,\"byteOffset\":\(n * 12),\"byteLength\":\(n * 4),\"target\":34962}],"
            json += "\"accessors\":[{\"bufferView\":0,\"componentType\":5126,\"count\":\(n),\"type\":\"VEC3\","
            json += "\"min\":\(list(bounds.min)),\"max\":\(list(bounds.max))},"
            json += "{\"bufferView\":1,\"componentType\":5121,\"normalized\":true,\"count\":\(n),\"type\":\"VEC4\"}]}"
        } else {
            json += "\"scenes\":[{\"nodes\":[]}]}"
        }
        var jsonChunk = Array(json.utf8)
        while jsonChunk.count % 4 != 0 { jsonChunk.append(0x20) }
        while binary.count % 4 != 0 { binary.append(0) }
        var out: [UInt8] = []
        let total = 12 + 8 + jsonChunk.count + (binary.isEmpty ? 0 : 8 + binary.count)
        appendLE(UInt32(0x4654_6C67), to: &out)  // "glTF"
        appendLE(UInt32(2), to: &out)
        appendLE(UInt32(total), to: &out)
        appendLE(UInt32(jsonChunk.count), to: &out)
        appendLE(UInt32(0x4E4F_534A), to: &out)  // "JSON"
        out.append(contentsOf: jsonChunk)
        if !binary.isEmpty {
            appendLE(UInt32(binary.count), to: &out)
            appendLE(UInt32(0x004E_4942), to: &out)  // "BIN\0"
            out.append(contentsOf: binary)
        }
        return out
    }
}

@inline(__always)
func appendLE<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
}
