import Testing
import VisionCore
@testable import VisionAPI

/// A server fault's answer carries no library's text: ONNX Runtime's message goes to the log
/// (`logDetail`), the client reads a fixed sentence; errors a client can act on keep their detail.
@Suite struct ServerFaultDetailTests {
    @Test func runtimeTextStaysInTheLog() throws {
        let runtime = "ONNX Runtime: Non-zero status code returned while running Reshape node. Name:'/Reshape_3'"
        for error in [VisionError.runtimeFailure(runtime), .internalError("loading 'x' failed: " + runtime)] {
            let mapped = try #require(APIError.from(error))
            #expect(mapped.status.code == 500)
            #expect(!mapped.detail.contains("Reshape") && !mapped.detail.contains("ONNX Runtime") && mapped.detail.contains("server log"))
            #expect(mapped.logDetail?.contains("Reshape") == true)
            #expect(error.publicMessage == mapped.detail)
        }
        let refused = VisionError.unsupportedModel("the graph onnx/model_q4.onnx uses an operator ...: MatMulNBits (opset 1)")
        #expect(APIError.from(refused)?.detail == refused.message && APIError.from(refused)?.status.code == 422)
    }
}
