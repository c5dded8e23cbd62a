import SPF
import Testing

struct IPAddressTests {
    @Test(arguments: [
        ("192.0.2.1", "192.0.2.1"),
        ("0.0.0.0", "0.0.0.0"),
        ("2001:DB8::1", "2001:db8::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("::", "::"),
        ("::1", "::1"),
        ("1::", "1::"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("CAFE:BABE::192.168.218.40", "cafe:babe::c0a8:da28"),
        ("::FFFF:1.2.3.4", "::ffff:1.2.3.4"),
        ("::ffff:0:1.2.3.4", "::ffff:0:102:304"),
    ])
    func parsesAndPrintsCanonically(_ text: String, _ canonical: String) {
        #expect(IPAddress(text)?.description == canonical)
    }

    @Test(arguments: ["1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.256", "1.2.3.4:8080", "::CAFE::BABE", ":CAFE::BABE",
                      "1:2:3:4:5:6:7:8:9", "12345::", "fe80::1%eth0", "", "1.2.3.4/24", "::1.2.3"])
    func rejectsMalformedAddresses(_ text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func mappedAddressesAndPrefixes() {
        #expect(IPAddress("::FFFF:1.2.3.4")?.ipv4Mapped == IPAddress("1.2.3.4"))
        #expect(IPAddress("::1.2.3.4")?.ipv4Mapped == nil)
        let client = IPAddress("192.0.2.77")!
        #expect(client.isInNetwork(IPAddress("192.0.2.0")!, prefixLength: 24))
        #expect(!client.isInNetwork(IPAddress("192.0.3.0")!, prefixLength: 24))
        #expect(client.isInNetwork(IPAddress("1.1.1.1")!, prefixLength: 0))
        #expect(!client.isInNetwork(IPAddress("::")!, prefixLength: 0), "families never match")
        let v6 = IPAddress("cafe:babe:8000::1")!
        #expect(v6.isInNetwork(IPAddress("cafe:babe:8000::")!, prefixLength: 33))
        #expect(!v6.isInNetwork(IPAddress("cafe:babe::")!, prefixLength: 33))
        #expect(v6.isInNetwork(IPAddress("cafe:babe:8000::1")!, prefixLength: 128))
        #expect(!v6.isInNetwork(IPAddress("cafe:babe:8000::2")!, prefixLength: 128))
        #expect(IPAddress(bytes: [192, 0, 2, 1]) == IPAddress("192.0.2.1"))
        #expect(IPAddress("2001:db8::1")!.bytes == [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1])
    }

    @Test func reverseNames() {
        #expect(IPAddress("192.0.2.3")!.reverseDNSName == "3.2.0.192.in-addr.arpa")
        #expect(IPAddress("2001:db8::1")!.reverseDNSName.lowercased()
            == "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa")
    }
}
