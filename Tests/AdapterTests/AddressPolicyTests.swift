import Testing
@testable import RemoteImages

@Suite struct AddressPolicyTests {
    let policy = AddressPolicy()

    func ip(_ text: String) -> [UInt8] { AddressPolicy.parseIP(text)! }

    @Test(arguments: ["127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                      "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::",
                      "fe80::1", "fd00:ec2::254", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe"])
    func refusesNonPublicAddresses(_ address: String) {
        #expect(!policy.permits(ip(address)), "\(address) must be refused")
    }

    @Test(arguments: ["8.8.8.8", "1.1.1.1", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.4.4"])
    func allowsPublicAddresses(_ address: String) {
        #expect(policy.permits(ip(address)), "\(address) must be allowed")
    }

    @Test func allowListOpensRangesAndHosts() {
        let custom = AddressPolicy(allowList: ["10.0.0.0/8", "minio.internal"])
        #expect(custom.permits(ip("10.20.30.40")))
        #expect(!custom.permits(ip("192.168.0.1")))
        #expect(custom.hostIsAllowListed("MINIO.internal"))
        #expect(AddressPolicy(allowPrivate: true).permits(ip("127.0.0.1")))
    }
}
