import MailformDNS
import Testing

/// Server lists are checked up front, with messages that name the entry.
struct ConfigurationTests {
    @Test(arguments: ["127.0.0.1:5353", "127.0.0.1", "[::1]:5353", "[::1]", "::1", " 192.0.2.53:53 "])
    func acceptedServers(_ entry: String) throws {
        _ = try DNSClient(servers: [entry])
    }

    @Test(arguments: [
        ("dns.example.com", "not an IP address"), ("127.0.0.1:0", "port"), ("127.0.0.1:65536", "port"),
        ("127.0.0.1:", "port"), ("[::1", "missing \"]\""), ("[::1]5353", "expected"), ("", "empty"), ("300.1.1.1:53", "not an IP address"),
    ])
    func rejectedServers(_ entry: String, _ reason: String) {
        #expect {
            _ = try DNSClient(servers: ["127.0.0.1:5353", entry])
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test func queriesAreNormalised() {
        #expect(DNSQuery("Mail.Example.COM.", .txt) == DNSQuery("mail.example.com", .txt))
        #expect(DNSQuery("Mail.Example.COM.", .txt).name == "mail.example.com")
        #expect(DNSQuery("ÉCOLE.test", .a).name == "École.test".replacingOccurrences(of: "É", with: "É"), "non-ASCII is left alone")
        #expect(DNSQuery(".", .txt).name == ".")
    }
}
