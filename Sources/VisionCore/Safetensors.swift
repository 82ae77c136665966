import Foundation

/// A file mapped into memory read-only for the life of this object (copy-on-write pages: nothing
/// is ever written back). Tensors handed to the inference runtime point into it, so whoever holds
/// such a tensor holds this mapping too.
public final class MappedFile: @unchecked Sendable {
    /// The first byte of the mapping (nil for an empty file).
    public let base: UnsafeRawPointer?
    public let size: Int

    public init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw VisionError.modelNotFound("cannot open '\((path as NSString).lastPathComponent)'") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw VisionError.internalError("cannot read the size of '\((path as NSString).lastPathComponent)'")
        }
        size = Int(info.st_size)
        guard size > 0 else {
            base = nil
            return
        }
        // Private and writable: the runtime receives `void *` and the pages stay the file's unless written.
        let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw VisionError.internalError("cannot map '\((path as NSString).lastPathComponent)' into memory")
        }
        // The runtime reads every weight once while it makes the session: fault the file in
        // ahead of it (read-ahead of the whole mapping) rather than page by page.
        madvise(mapped, size, MADV_WILLNEED)
        base = UnsafeRawPointer(mapped)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }

    /// Lets the kernel drop the mapping's resident pages (they come back from the file when read
    /// again). After a session is made, most weights live in the runtime's own packed copies;
    /// this keeps the file's pages from counting twice.
    public func dropResidentPages() {
        if let base { madvise(UnsafeMutableRawPointer(mutating: base), size, MADV_DONTNEED) }
    }
}

/// The element types a safetensors file declares.
public enum SafetensorsDType: String, Sendable, Equatable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .f64, .i64: 8
        case .f32, .i32: 4
        case .f16, .bf16, .i16: 2
        case .i8, .u8, .bool: 1
        }
    }
}

/// One `.safetensors` file: an 8-byte little-endian header length, a JSON header naming each
/// tensor's dtype, shape and byte range, then the data. Memory-mapped; tensors are views into it.
public final class SafetensorsFile: Sendable {
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let dtype: SafetensorsDType
        public let shape: [Int]
        /// Byte range within the file's data section.
        public let offsets: Range<Int>
    }

    public let mapping: MappedFile
    public let entries: [String: Entry]
    /// `__metadata__`, when present.
    public let metadata: [String: String]
    private let dataStart: Int

    /// Opens and checks `path`: the header parses, every range lies in the file and matches its
    /// dtype and shape. A file that does not is a 400 naming it, never a crash.
    public init(path: String) throws {
        let file = (path as NSString).lastPathComponent
        let mapping = try MappedFile(path: path)
        func bad(_ why: String) -> VisionError { .invalidInput("'\(file)' is not a valid safetensors file: \(why)") }
        guard mapping.size >= 8, let base = mapping.base else { throw bad("shorter than its header") }
        let declared = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
        guard declared > 1, declared <= UInt64(min(100_000_000, mapping.size - 8)) else { throw bad("header length \(declared)") }
        let headerLength = Int(declared)
        let header = Data(bytes: base + 8, count: headerLength)
        guard let object = (try? JSONSerialization.jsonObject(with: header)) as? [String: Any] else {
            throw bad("the header is not a JSON object")
        }
        let dataSize = mapping.size - 8 - headerLength
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                for (k, v) in value as? [String: Any] ?? [:] { metadata[k] = v as? String }
                continue
            }
            guard let info = value as? [String: Any], let typeName = info["dtype"] as? String,
                  let shape = (info["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  let offsets = (info["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  offsets.count == 2 else {
                throw bad("the entry of '\(name.prefix(80))' lacks dtype, shape or data_offsets")
            }
            guard let dtype = SafetensorsDType(rawValue: typeName) else { throw bad("'\(name.prefix(80))' has dtype \(typeName)") }
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataSize else {
                throw bad("'\(name.prefix(80))' lies outside the file")
            }
            let (count, overflow) = shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d)
                return (p, acc.1 || o)
            }
            guard !overflow, count * dtype.size == offsets[1] - offsets[0] else {
                throw bad("'\(name.prefix(80))' has \(offsets[1] - offsets[0]) bytes for shape \(shape) of \(typeName)")
            }
            entries[name] = Entry(name: name, dtype: dtype, shape: shape, offsets: offsets[0]..<offsets[1])
        }
        self.mapping = mapping
        self.entries = entries
        self.metadata = metadata
        dataStart = 8 + headerLength
    }

    /// The tensor's bytes, inside the mapping (valid while this file lives).
    public func bytes(_ entry: Entry) -> UnsafeRawBufferPointer {
        guard let base = mapping.base else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + dataStart + entry.offsets.lowerBound, count: entry.offsets.count)
    }
}

/// A model's weights as the hub stores them: `model.safetensors`, or shards listed by
/// `model.safetensors.index.json` (`weight_map`: tensor name → shard file).
public struct SafetensorsCheckpoint: Sendable {
    public let files: [SafetensorsFile]
    /// Tensor name → index into `files`.
    private let index: [String: Int]

    /// Opens the checkpoint in `folder` (a snapshot): the index's shards, else `model.safetensors`.
    public init(folder: String) throws {
        let fm = FileManager.default
        let indexPath = folder + "/model.safetensors.index.json"
        if fm.fileExists(atPath: indexPath) {
            guard let shards = fm.contents(atPath: indexPath).flatMap(Self.shards(inIndex:)) else {
                throw VisionError.invalidInput("model.safetensors.index.json has no weight_map")
            }
            for shard in shards where shard.contains("/") || shard.hasPrefix(".") {
                throw VisionError.invalidInput("model.safetensors.index.json names '\(shard.prefix(80))' outside the snapshot")
            }
            try self.init(files: shards.map { try SafetensorsFile(path: folder + "/" + $0) })
        } else if fm.fileExists(atPath: folder + "/model.safetensors") {
            try self.init(files: [SafetensorsFile(path: folder + "/model.safetensors")])
        } else {
            throw VisionError.modelNotFound("no model.safetensors or model.safetensors.index.json in the snapshot")
        }
    }

    /// The shard files `model.safetensors.index.json` names in its `weight_map`, sorted; nil when
    /// it has none.
    public static func shards(inIndex data: Data) -> [String]? {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let map = object["weight_map"] as? [String: String] else { return nil }
        return Set(map.values).sorted()
    }

    public init(files: [SafetensorsFile]) throws {
        var index: [String: Int] = [:]
        for (i, file) in files.enumerated() {
            for name in file.entries.keys {
                guard index[name] == nil else { throw VisionError.invalidInput("tensor '\(name.prefix(80))' is in two shards") }
                index[name] = i
            }
        }
        self.files = files
        self.index = index
    }

    /// Every tensor name.
    public var names: [String] { index.keys.sorted() }

    public func entry(_ name: String) -> SafetensorsFile.Entry? {
        index[name].flatMap { files[$0].entries[name] }
    }

    /// The tensor `name` as float32: a view into the mapping when stored as F32 (no copy), else
    /// converted from F16 / BF16 / F64 into memory of its own.
    public func float32(_ name: String) throws -> WeightBuffer {
        guard let i = index[name], let entry = files[i].entries[name] else {
            throw VisionError.modelNotFound("the checkpoint has no tensor '\(name.prefix(120))'")
        }
        let bytes = files[i].bytes(entry)
        switch entry.dtype {
        case .f32:
            return WeightBuffer(shape: entry.shape, bytes: bytes, owner: files[i].mapping)
        case .f16, .bf16, .f64:
            let count = bytes.count / entry.dtype.size
            let converted = OwnedFloats(count: count)
            let out = converted.pointer
            switch entry.dtype {
            case .f16:
                for k in 0..<count { out[k] = Float(Float16(bitPattern: bytes.loadUnaligned(fromByteOffset: 2 * k, as: UInt16.self))) }
            case .bf16:
                for k in 0..<count {
                    out[k] = Float(bitPattern: UInt32(bytes.loadUnaligned(fromByteOffset: 2 * k, as: UInt16.self)) << 16)
                }
            default:
                for k in 0..<count { out[k] = Float(bytes.loadUnaligned(fromByteOffset: 8 * k, as: Double.self)) }
            }
            return WeightBuffer(shape: entry.shape, bytes: UnsafeRawBufferPointer(start: out, count: 4 * count), owner: converted)
        default:
            throw VisionError.invalidInput("tensor '\(name.prefix(120))' is \(entry.dtype.rawValue), not a floating-point weight")
        }
    }
}

/// Float32 weights in memory someone owns (a mapped file, or a conversion's own buffer): the
/// bytes stay valid while `owner` lives.
public struct WeightBuffer: @unchecked Sendable {
    public let shape: [Int]
    public let bytes: UnsafeRawBufferPointer
    public let owner: AnyObject

    public init(shape: [Int], bytes: UnsafeRawBufferPointer, owner: AnyObject) {
        self.shape = shape
        self.bytes = bytes
        self.owner = owner
    }
}

/// A float buffer of its own, freed with it.
final class OwnedFloats: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
    }

    deinit { pointer.deallocate() }
}
