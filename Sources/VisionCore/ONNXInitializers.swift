import Foundation

/// One initializer (weight) an ONNX graph declares: its name, dims and element type, and whether
/// its data lives outside the graph file (a graph shipped without its weights).
public struct GraphInitializer: Sendable, Equatable {
    public let name: String
    public let dims: [Int]
    /// ONNX `TensorProto.DataType` (1 = float, 10 = float16, 16 = bfloat16, 7 = int64, ...).
    public let dataType: Int
    public let isExternal: Bool
    /// The value of a one-element float initializer stored in the graph (a model's logit scale).
    public let scalar: Float?

    public init(name: String, dims: [Int], dataType: Int, isExternal: Bool, scalar: Float? = nil) {
        self.name = name
        self.dims = dims
        self.dataType = dataType
        self.isExternal = isExternal
        self.scalar = scalar
    }
}

/// One node of an ONNX graph: its operator and the names it reads and writes.
public struct GraphNode: Sendable, Equatable {
    public let op: String
    public let inputs: [String]
    public let outputs: [String]

    public init(op: String, inputs: [String], outputs: [String]) {
        self.op = op
        self.inputs = inputs
        self.outputs = outputs
    }
}

/// Reads the initializers of an ONNX model file's main graph straight from its protobuf encoding
/// (ModelProto.graph = 7, GraphProto.initializer = 5; TensorProto.dims = 1, data_type = 2,
/// name = 8, data_location = 14), skipping every other field and loading no tensor data but a
/// one-element float's (raw_data = 9 or packed float_data = 4).
public enum ONNXInitializers {
    public static func read(path: String) throws -> [GraphInitializer] {
        try graphEntries(path: path, field: 5, initializer)
    }

    /// The main graph's nodes in order (GraphProto.node = 1; NodeProto.input = 1, output = 2,
    /// op_type = 4), subgraphs not entered.
    public static func nodes(path: String) throws -> [GraphNode] {
        try graphEntries(path: path, field: 1) { bytes in
            var node = ProtoReader(bytes)
            var op = "", inputs: [String] = [], outputs: [String] = []
            while let (field, value) = try node.next() {
                guard case .bytes(let text) = value else { continue }
                switch field {
                case 1: inputs.append(String(decoding: text, as: UTF8.self))
                case 2: outputs.append(String(decoding: text, as: UTF8.self))
                case 4: op = String(decoding: text, as: UTF8.self)
                default: break
                }
            }
            return GraphNode(op: op, inputs: inputs, outputs: outputs)
        }
    }

    /// Each entry of GraphProto field `field` in the file's main graph (ModelProto.graph = 7),
    /// read by `parse`, from the memory-mapped file.
    private static func graphEntries<Entry>(path: String, field wanted: Int,
                                            _ parse: (UnsafeRawBufferPointer) throws -> Entry) throws -> [Entry] {
        let file = try MappedFile(path: path)
        guard let base = file.base else { throw VisionError.invalidInput("'\((path as NSString).lastPathComponent)' is empty") }
        do {
            var model = ProtoReader(UnsafeRawBufferPointer(start: base, count: file.size))
            var found: [Entry] = []
            while let (field, value) = try model.next() {
                guard field == 7, case .bytes(let graphBytes) = value else { continue }
                var graph = ProtoReader(graphBytes)
                while let (gField, gValue) = try graph.next() {
                    if gField == wanted, case .bytes(let entry) = gValue { found.append(try parse(entry)) }
                }
            }
            return found
        } catch is ProtoReader.Malformed {
            throw VisionError.invalidInput("'\((path as NSString).lastPathComponent)' is not a valid ONNX model")
        }
    }

    private static func initializer(_ bytes: UnsafeRawBufferPointer) throws -> GraphInitializer {
        var reader = ProtoReader(bytes)
        var name = "", dims: [Int] = [], dataType = 0, external = false
        var four: [UInt8]?
        while let (field, value) = try reader.next() {
            switch (field, value) {
            case (1, .varint(let d)): dims.append(Int(truncatingIfNeeded: d))
            case (1, .bytes(let packed)):
                var p = ProtoReader(packed)
                while !p.atEnd { dims.append(Int(truncatingIfNeeded: try p.varint())) }
            case (2, .varint(let t)): dataType = Int(truncatingIfNeeded: t)
            case (8, .bytes(let n)): name = String(decoding: n, as: UTF8.self)
            case (14, .varint(let location)): external = location == 1
            case (4, .bytes(let data)), (9, .bytes(let data)): if data.count == 4 { four = Array(data) }
            default: break
            }
        }
        let scalar = four.flatMap { b -> Float? in
            guard dataType == 1, dims.reduce(1, *) == 1 else { return nil }
            return Float(bitPattern: UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24)
        }
        return GraphInitializer(name: name, dims: dims, dataType: dataType, isExternal: external, scalar: scalar)
    }
}

/// The protobuf wire format, read forward: each field's number and its varint, length-delimited
/// bytes, or fixed-width value (a 32-bit one kept for floats; 64-bit ones skipped over).
struct ProtoReader {
    struct Malformed: Error {}
    enum Value { case varint(UInt64), bytes(UnsafeRawBufferPointer), fixed32(UInt32), fixed }

    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var atEnd: Bool { offset >= bytes.count }

    mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0, shift: UInt64 = 0
        while true {
            guard offset < bytes.count, shift < 64 else { throw Malformed() }
            let byte = bytes[offset]
            offset += 1
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// The next field, or nil at the end.
    mutating func next() throws -> (field: Int, value: Value)? {
        guard !atEnd else { return nil }
        let key = try varint()
        let field = Int(key >> 3)
        switch key & 7 {
        case 0: return (field, .varint(try varint()))
        case 1: try skip(8); return (field, .fixed)
        case 5:
            guard bytes.count - offset >= 4 else { throw Malformed() }
            let value = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
                | UInt32(bytes[offset + 3]) << 24
            offset += 4
            return (field, .fixed32(value))
        case 2:
            let length = try varint()
            guard length <= UInt64(bytes.count - offset) else { throw Malformed() }
            let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + Int(length))])
            offset += Int(length)
            return (field, .bytes(slice))
        default: throw Malformed()
        }
    }

    private mutating func skip(_ n: Int) throws {
        guard bytes.count - offset >= n else { throw Malformed() }
        offset += n
    }
}

/// Which tensors of a checkpoint a weightless graph takes: every external initializer of the graph
/// must be in the checkpoint with the same shape; anything missing or misshapen is a 4xx that lists
/// it (the checkpoint belongs to another architecture or size).
public enum WeightPlan {
    /// - Parameters:
    ///   - aliases: other names a graph weight may be stored under (a module shared between places,
    ///     stored once under whichever of its names the saving tool chose).
    ///   - keyPrefixes: prefixes a checkpoint may put before every key (`detector_model.` of SAM3's
    ///     video checkpoint, whose detector the graph serves); the bare key is tried first.
    public static func bind(graph: [GraphInitializer], checkpoint: SafetensorsCheckpoint,
                            aliases: [String: [String]] = [:], keyPrefixes: [String] = []) throws -> [String: WeightBuffer] {
        var missing: [String] = [], misshapen: [String] = []
        var weights: [String: WeightBuffer] = [:]
        let prefixes = [""] + keyPrefixes
        for initializer in graph where initializer.isExternal {
            let names = [initializer.name] + (aliases[initializer.name] ?? [])
            guard let (key, entry) = prefixes.lazy.flatMap({ prefix in names.lazy.map { prefix + $0 } })
                .compactMap({ key in checkpoint.entry(key).map { (key, $0) } }).first else {
                missing.append(initializer.name)
                continue
            }
            guard entry.shape == initializer.dims else {
                misshapen.append("'\(key)' is \(entry.shape) in the checkpoint, \(initializer.dims) in the graph")
                continue
            }
            guard initializer.dataType == 1 else {
                throw VisionError.invalidInput("the graph's weight '\(initializer.name.prefix(120))' is not float32")
            }
            weights[initializer.name] = try checkpoint.float32(key)
        }
        guard missing.isEmpty && misshapen.isEmpty else {
            var parts: [String] = []
            if !missing.isEmpty {
                parts.append("\(missing.count) weight(s) missing: " + missing.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
                             + (missing.count > 5 ? ", ..." : ""))
            }
            if !misshapen.isEmpty { parts.append(misshapen.prefix(5).joined(separator: "; ") + (misshapen.count > 5 ? "; ..." : "")) }
            throw VisionError.invalidInput("the checkpoint does not fit the graph: " + parts.joined(separator: "; "))
        }
        return weights
    }
}
