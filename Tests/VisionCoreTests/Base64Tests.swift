import Foundation
import Testing
@testable import VisionCore

@Suite struct Base64Tests {
    @Test func roundTripsEveryLengthAgainstFoundation() {
        var bytes: [UInt8] = []
        for n in 0..<70 {
            let encoded = Data(bytes).base64EncodedString()
            var mine: [UInt8] = []
            bytes.withUnsafeBytes { Base64.append($0, to: &mine) }
            #expect(String(decoding: mine, as: UTF8.self) == encoded, "encode length \(n)")
            #expect(Base64.decode(encoded) == bytes, "decode length \(n)")
            #expect(Base64.decode(encoded.replacingOccurrences(of: "=", with: "")) == bytes, "unpadded length \(n)")
            bytes.append(UInt8((n * 37 + 11) & 0xFF))
        }
    }

    @Test func ignoresWhitespaceAndRejectsGarbage() {
        #expect(Base64.decode("aGVs\nbG8g d29y\r\nbGQ=") == Array("hello world".utf8))
        #expect(Base64.decode("aGVsbG8$") == nil)
        #expect(Base64.decode("aGVsbG8=x") == nil)
        #expect(Base64.decode("a") == nil)
        #expect(Base64.decode("ü") == nil)
    }

    @Test func imageSourcesClassifyStrings() throws {
        #expect(try ImageSource(string: "http://example.org/a.png") == .url("http://example.org/a.png"))
        #expect(try ImageSource(string: "data:image/png;base64,aGk=") == .bytes(Array("hi".utf8)))
        #expect(try ImageSource(string: "aGk=") == .bytes(Array("hi".utf8)))
        #expect(throws: VisionError.self) { try ImageSource(string: "data:image/png,raw") }
        #expect(throws: VisionError.self) { try ImageSource(data: "ftp://x", format: "url") }
    }
}
