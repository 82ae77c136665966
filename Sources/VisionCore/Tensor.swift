/// Element types the engine exchanges with inference sessions.
public enum TensorElementType: String, Sendable, Equatable, CustomStringConvertible {
    case float32, float16, int64, int32, bool, uint8, other
    public var description: String { rawValue }
}

/// A dense, row-major tensor owned by Swift.
public struct Tensor: Sendable, Equatable {
    /// The values, by element type.
    public enum Storage: Sendable, Equatable {
        case float32([Float])
        /// IEEE half floats as raw bits.
        case float16([UInt16])
        case int64([Int64])
        /// Inputs a graph declares int32 (SigLIP 2's pixel_attention_mask); outputs read as int64.
        case int32([Int32])
        case bool([Bool])
    }

    public let shape: [Int]
    public let storage: Storage

    public init(shape: [Int], storage: Storage) {
        self.shape = shape
        self.storage = storage
    }

    public static func float32(_ values: [Float], shape: [Int]) -> Tensor {
        precondition(values.count == shape.reduce(1, *), "shape \(shape) does not match \(values.count) values")
        return Tensor(shape: shape, storage: .float32(values))
    }

    public static func int64(_ values: [Int64], shape: [Int]) -> Tensor {
        precondition(values.count == shape.reduce(1, *), "shape \(shape) does not match \(values.count) values")
        return Tensor(shape: shape, storage: .int64(values))
    }

    public static func int32(_ values: [Int32], shape: [Int]) -> Tensor {
        precondition(values.count == shape.reduce(1, *), "shape \(shape) does not match \(values.count) values")
        return Tensor(shape: shape, storage: .int32(values))
    }

    public static func bool(_ values: [Bool], shape: [Int]) -> Tensor {
        precondition(values.count == shape.reduce(1, *), "shape \(shape) does not match \(values.count) values")
        return Tensor(shape: shape, storage: .bool(values))
    }

    public var elementType: TensorElementType {
        switch storage {
        case .float32: .float32
        case .float16: .float16
        case .int64: .int64
        case .int32: .int32
        case .bool: .bool
        }
    }

    public var count: Int { shape.reduce(1, *) }

    /// The values as float32, converting half floats.
    public var floats: [Float] {
        switch storage {
        case .float32(let v): v
        case .float16(let v): v.map { Float(Float16(bitPattern: $0)) }
        case .int64(let v): v.map { Float($0) }
        case .int32(let v): v.map { Float($0) }
        case .bool(let v): v.map { $0 ? 1 : 0 }
        }
    }
}

/// What a session says about one of its inputs or outputs. A dimension of -1 is dynamic.
public struct TensorInfo: Sendable, Equatable {
    public let name: String
    public let elementType: TensorElementType
    public let shape: [Int]

    public init(name: String, elementType: TensorElementType, shape: [Int]) {
        self.name = name
        self.elementType = elementType
        self.shape = shape
    }
}
