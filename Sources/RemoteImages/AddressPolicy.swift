import Foundation

/// Decides which network addresses image URLs may reach. By default everything that is not a
/// public unicast address is refused: loopback, private, carrier-grade NAT, link-local (including
/// the 169.254.169.254 metadata service), multicast, reserved and unspecified ranges, and the
/// IPv6 equivalents (with IPv4-mapped addresses checked as IPv4).
public struct AddressPolicy: Sendable, Equatable {
    /// Hosts (exact names) and CIDR ranges allowed even though they are not public.
    public var allowList: [String]
    /// Allow every address (for trusted networks only).
    public var allowPrivate: Bool

    public init(allowList: [String] = [], allowPrivate: Bool = false) {
        self.allowList = allowList
        self.allowPrivate = allowPrivate
    }

    /// Whether `host` is named on the allow-list.
    public func hostIsAllowListed(_ host: String) -> Bool {
        allowList.contains { $0.lowercased() == host.lowercased() }
    }

    /// Whether a resolved address may be contacted. `address` is 4 or 16 bytes.
    public func permits(_ address: [UInt8]) -> Bool {
        if allowPrivate { return true }
        if allowList.contains(where: { Self.cidr($0)?.contains(address) == true }) { return true }
        return Self.isPublic(address)
    }

    static func isPublic(_ a: [UInt8]) -> Bool {
        if a.count == 4 { return isPublicV4(a) }
        guard a.count == 16 else { return false }
        // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible / NAT64 forms carry an IPv4 address.
        if a[0..<10].allSatisfy({ $0 == 0 }) && a[10] == 0xFF && a[11] == 0xFF { return isPublicV4(Array(a[12...])) }
        if a[0..<12].allSatisfy({ $0 == 0 }) { return false }  // ::, ::1 and deprecated compatible forms
        if a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xFF && a[3] == 0x9B { return isPublicV4(Array(a[12...])) }  // 64:ff9b::/96
        if a[0] & 0xFE == 0xFC { return false }  // fc00::/7 unique local
        if a[0] == 0xFE && a[1] & 0xC0 == 0x80 { return false }  // fe80::/10 link-local
        if a[0] == 0xFE && a[1] & 0xC0 == 0xC0 { return false }  // fec0::/10 site-local
        if a[0] == 0xFF { return false }  // multicast
        if a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0D && a[3] == 0xB8 { return false }  // documentation
        return true
    }

    static func isPublicV4(_ a: [UInt8]) -> Bool {
        switch (a[0], a[1]) {
        case (0, _), (10, _), (127, _): return false
        case (100, 64...127): return false  // carrier-grade NAT
        case (169, 254): return false  // link-local, cloud metadata
        case (172, 16...31): return false
        case (192, 168): return false
        case (192, 0) where a[2] == 0 || a[2] == 2: return false
        case (198, 18...19): return false  // benchmarking
        case (198, 51) where a[2] == 100: return false
        case (203, 0) where a[2] == 113: return false
        case (224...255, _): return false  // multicast, reserved, broadcast
        default: return true
        }
    }

    struct CIDR {
        let network: [UInt8]
        let prefix: Int
        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == network.count else { return false }
            var bits = prefix
            for i in 0..<network.count {
                if bits <= 0 { return true }
                let mask: UInt8 = bits >= 8 ? 0xFF : ~UInt8(0xFF >> bits)
                if address[i] & mask != network[i] & mask { return false }
                bits -= 8
            }
            return true
        }
    }

    static func cidr(_ text: String) -> CIDR? {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let bytes = parseIP(String(parts[0])) else { return nil }
        let prefix = parts.count == 2 ? Int(parts[1]) : bytes.count * 8
        guard let prefix, prefix >= 0, prefix <= bytes.count * 8 else { return nil }
        return CIDR(network: bytes, prefix: prefix)
    }

    /// The textual form of a 4- or 16-byte address (no brackets).
    static func format(_ address: [UInt8]) -> String? {
        let family: Int32
        switch address.count {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return nil
        }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let ok = address.withUnsafeBytes { raw in inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil }
        return ok ? String(cString: buffer) : nil
    }

    /// Parses a literal IPv4 or IPv6 address.
    static func parseIP(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        let trimmed = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
        if inet_pton(AF_INET6, trimmed, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}
