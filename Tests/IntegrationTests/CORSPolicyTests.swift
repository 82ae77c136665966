import Hummingbird
import Testing
@testable import VisionAPI

@Suite struct CORSPolicyTests {
    @Test func anyOriginAnswersWildcardUnlessCredentials() {
        #expect(CORSPolicyMiddleware<BasicRequestContext>(origins: ["*"], allowCredentials: false)
            .allowedOrigin(for: "https://a.example") == "*")
        #expect(CORSPolicyMiddleware<BasicRequestContext>(origins: ["*"], allowCredentials: true)
            .allowedOrigin(for: "https://a.example") == "https://a.example")
    }

    @Test func listedOriginsOnly() {
        let cors = CORSPolicyMiddleware<BasicRequestContext>(origins: ["https://a.example", "https://b.example"],
                                                             allowCredentials: false)
        #expect(cors.allowedOrigin(for: "https://b.example") == "https://b.example")
        #expect(cors.allowedOrigin(for: "https://evil.example") == nil)
    }
}
