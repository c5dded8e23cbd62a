import SPF
import Testing

/// The parser: what it builds, and the message it gives for each kind of mistake.
struct SPFRecordTests {
    @Test func parsesEveryTerm() throws {
        let record = try SPFRecord(parsing: "v=spf1 a mx:mail.example.com/24//64 ~ptr ?include:_spf.example.net exists:%{i}.bl.example.org "
            + "ip4:192.0.2.0/24 ip6:2001:db8::/32 -all exp=explain.%{d} Foo.Bar_1=anything")
        #expect(record.directives.map(\.text) == ["a", "mx:mail.example.com/24//64", "~ptr", "?include:_spf.example.net",
                                                  "exists:%{i}.bl.example.org", "ip4:192.0.2.0/24", "ip6:2001:db8::/32", "-all"])
        #expect(record.directives.map(\.qualifier) == [.pass, .pass, .softfail, .neutral, .pass, .pass, .pass, .fail])
        #expect(record.directives[0].mechanism == .a(domain: nil, ipv4Prefix: 32, ipv6Prefix: 128))
        guard case .mx(let domain?, 24, 64) = record.directives[1].mechanism else {
            Issue.record("mx parsed as \(record.directives[1].mechanism)")
            return
        }
        #expect(domain.text == "mail.example.com")
        #expect(record.directives[5].mechanism == .ip4(network: IPAddress("192.0.2.0")!, prefixLength: 24))
        #expect(record.explanation?.text == "explain.%{d}")
        #expect(record.redirect == nil)
        #expect(record.unknownModifiers == ["Foo.Bar_1=anything"])
        #expect(record.directives.filter(\.mechanism.countsAsDNSLookup).count == 5)
    }

    @Test func recognisesSPFRecordsOnly() {
        #expect(SPFRecord.isSPFRecord("v=spf1"))
        #expect(SPFRecord.isSPFRecord("V=SpF1 -all"))
        #expect(!SPFRecord.isSPFRecord("v=spf10"))
        #expect(!SPFRecord.isSPFRecord("v=spf1mx"))
        #expect(!SPFRecord.isSPFRecord("google-site-verification=abc"))
    }

    @Test(arguments: [
        ("v=spf1 ip4:1.2.3.4 -all moo", "\"moo\" is neither a known mechanism nor a modifier"),
        ("v=spf1 -all:foobar", "\"-all:foobar\": all takes no argument"),
        ("v=spf1 include", "\"include\": include needs a domain (include:example.com)"),
        ("v=spf1 include:", "\"include:\" has an empty domain"),
        ("v=spf1 ip4", "\"ip4\": ip4 needs an address (ip4:192.0.2.0/24)"),
        ("v=spf1 ip4:1.2.3", "\"ip4:1.2.3\": \"1.2.3\" is not a valid ipv4 address"),
        ("v=spf1 ip4:192.0.2.0/33", "\"ip4:192.0.2.0/33\": prefix length /33 is over 32, the most for ipv4"),
        ("v=spf1 ip4:192.0.2.0/024", "\"ip4:192.0.2.0/024\": prefix length /024 has a leading zero"),
        ("v=spf1 ip4:1.2.3.4//32", "\"ip4:1.2.3.4//32\": \"//32\" is not a prefix length"),
        ("v=spf1 ip6:::CAFE::BABE", "\"ip6:::CAFE::BABE\": \"::CAFE::BABE\" is not a valid ipv6 address"),
        ("v=spf1 a//129", "\"a//129\": prefix length /129 is over 128, the most for ipv6"),
        ("v=spf1 a:foo-bar", "\"a:foo-bar\": domain \"foo-bar\" has no dot before its last label; a domain must end in \".\" and a top-level label, or in a macro"),
        ("v=spf1 a:111.222.33.44", "\"a:111.222.33.44\": domain \"111.222.33.44\" ends in \"44\", which is not a valid top-level label (letters, digits and inner hyphens, not all digits)"),
        ("v=spf1 ptr/0", "\"ptr/0\": ptr takes only a domain, no prefix length"),
        ("v=spf1 redirect=a.example.com redirect=b.example.com", "redirect= appears more than once"),
        ("v=spf1 exp=", "\"exp=\" has an empty domain"),
        ("v=spf1 foo=%abc", "\"%abc\" has \"%a\", which is not a macro (a \"%\" must be followed by \"{\", \"%\", \"_\" or \"-\")"),
        ("v=spf1 a:%{r}.example.com", "\"a:%{r}.example.com\": macro \"%{r}\" in \"%{r}.example.com\" is only allowed in explanation text"),
        ("v=spf1 a:example.com\r-all", "record contains a carriage return at character 21; records are printable ascii separated by spaces"),
        ("v=spf1 \u{80}a -all", "record contains the non-ascii character U+0080 at character 8; records are printable ascii separated by spaces"),
        ("spf1 -all", "record does not start with \"v=spf1\" followed by a space"),
    ])
    func syntaxErrorsSayWhatIsWrong(_ text: String, _ message: String) {
        #expect(throws: SPFSyntaxError(message)) { try SPFRecord(parsing: text) }
    }
}
