/// A string enum of the wire format. An unknown value fails decoding the same way for every field
/// of every route (a 422 whose detail names the field and the accepted values).
public protocol WireEnum: RawRepresentable, CaseIterable, Decodable, Sendable where RawValue == String {}

extension WireEnum {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(rawValue: text) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "expected one of \(Self.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text.prefix(40))'"))
        }
        self = value
    }

    /// Every accepted value, for schemas.
    public static var wireValues: [String] { allCases.map(\.rawValue) }
}
