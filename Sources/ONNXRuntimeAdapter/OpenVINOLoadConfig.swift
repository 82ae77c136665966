import VisionCore

/// The OpenVINO CPU properties a session asks for, as the plugin's `load_config` JSON (the plugin
/// 1.8 takes OpenVINO's own properties through `load_config` only; it ignores `precision`,
/// `num_of_threads` and `num_streams`, saying so). Nodes OpenVINO does not take stay on the CPU
/// provider.
enum OpenVINOLoadConfig {
    static func json(for options: SessionOptions) -> String {
        // f32 inference: the answers must equal the CPU provider's (OpenVINO would otherwise run
        // bf16 where the CPU has it).
        var properties = [("INFERENCE_PRECISION_HINT", "f32")]
        // A compiled model runs one request per stream: with several inference workers and one
        // stream, their runs would wait for each other (measured: 2 workers at 1 thread each ran
        // DINOv3 at 10.0/s on one stream, 18.9/s on two). Each stream gets INTRA_OP_THREADS
        // threads, as a CPU-provider session would.
        let streams = options.concurrentRuns
        if streams > 1 { properties.append(("NUM_STREAMS", "\(streams)")) }
        if let threads = options.intraOpThreads { properties.append(("INFERENCE_NUM_THREADS", "\(threads * streams)")) }
        let body = properties.map { #""\#($0.0)":"\#($0.1)""# }.joined(separator: ",")
        return #"{"CPU":{\#(body)}}"#
    }
}
