import VisionCore

extension GraphInitializer {
    /// Bound at load (external), or a small int64 shape of the graph's own (what the attention
    /// fusion adds): anything else would be a weight shipped inside a weightless graph.
    public var isWeightOrShape: Bool { isExternal || (dataType == 7 && dims.reduce(1, *) <= 8) }
}
