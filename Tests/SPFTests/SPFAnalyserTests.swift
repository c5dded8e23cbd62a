import SPF
import Testing

/// `analyse(domain:)`: lookup counting across nested records, void lookups,
/// and the messages a deliverability report shows.
struct SPFAnalyserTests {
    static func address(_ text: String) -> IPAddress { IPAddress(text)! }

    static func analyse(_ domain: String, in zone: [String: [ZoneResolver.Entry]]) async -> SPFRecordReport {
        await SPFEvaluator(resolver: ZoneResolver(zone: zone)).analyse(domain: domain)
    }

    @Test func countsLookupsThroughNestedIncludes() async {
        let zone: [String: [ZoneResolver.Entry]] = [
            "example.com": [.txt(["v=spf1 include:_spf.example.com mx ip4:192.0.2.0/24 -all"]), .mx(10, "mail.example.com")],
            "_spf.example.com": [.txt(["v=spf1 include:_spf.esp.example a ~all"]), .a(Self.address("192.0.2.10"))],
            "_spf.esp.example": [.txt(["v=spf1 a:out.esp.example ", "ip6:2001:db8::/32 -all"])],
            "out.esp.example": [.a(Self.address("198.51.100.1"))],
            "mail.example.com": [.a(Self.address("192.0.2.25"))],
        ]
        let report = await Self.analyse("example.com", in: zone)
        #expect(report.status == .valid)
        #expect(report.record == "v=spf1 include:_spf.example.com mx ip4:192.0.2.0/24 -all")
        #expect(report.lookupCount == 5) // include, mx; include, a; a
        #expect(report.voidLookupCount == 0)
        #expect(report.problems.isEmpty)
        #expect(report.children.map(\.term) == ["include:_spf.example.com"])
        #expect(report.children.first?.lookupCount == 3)
        #expect(report.children.first?.children.first?.record == "v=spf1 a:out.esp.example ip6:2001:db8::/32 -all")
    }

    @Test func aRecordWithTwelveLookupsIsOverTheLimit() async {
        let zone: [String: [ZoneResolver.Entry]] = [
            "example.com": [.txt(["v=spf1 include:one.example.net include:two.example.net ~all"])],
            "one.example.net": [.txt(["v=spf1 a:h1.example.net a:h2.example.net a:h3.example.net a:h4.example.net a:h5.example.net -all"])],
            "two.example.net": [.txt(["v=spf1 mx:example.net mx:example.net mx:example.net exists:h1.example.net a:h2.example.net -all"])],
            "example.net": [.mx(10, "h1.example.net")],
            "h1.example.net": [.a(Self.address("203.0.113.1"))], "h2.example.net": [.a(Self.address("203.0.113.2"))],
            "h3.example.net": [.a(Self.address("203.0.113.3"))], "h4.example.net": [.a(Self.address("203.0.113.4"))],
            "h5.example.net": [.a(Self.address("203.0.113.5"))],
        ]
        let report = await Self.analyse("example.com", in: zone)
        #expect(report.lookupCount == 12)
        #expect(report.exceedsLookupLimit)
        #expect(report.status == .permerror)
        #expect(report.errors == [SPFProblem(severity: .error, domain: "example.com", message: "spf record uses 12 lookups, over the limit of 10")])

        // Evaluation agrees: a client no term matches runs into the limit.
        let result = await SPFEvaluator(resolver: ZoneResolver(zone: zone))
            .checkHost(ip: Self.address("198.51.100.9"), domain: "example.com", sender: "a@example.com", helo: "x.example.org")
        #expect(result.code == .permerror)
        #expect(result.lookupCount == 11)
        #expect(result.reason == "evaluation needs more than 10 dns lookups; the limit was passed at \"exists:h1.example.net\" in two.example.net")
    }

    @Test func voidLookupsAreCountedAndReported() async {
        let zone: [String: [ZoneResolver.Entry]] = [
            "example.com": [.txt(["v=spf1 a:gone.example.com mx:nomx.example.com exists:gone2.example.com a -all"]),
                            .a(Self.address("192.0.2.1"))],
            "nomx.example.com": [.a(Self.address("192.0.2.2"))],
        ]
        let report = await Self.analyse("example.com", in: zone)
        #expect(report.voidLookupCount == 3)
        #expect(report.status == .permerror)
        #expect(report.problems.map(\.message) == [
            "\"a:gone.example.com\": gone.example.com has no a or aaaa records (a void lookup)",
            "\"mx:nomx.example.com\": nomx.example.com has no mx records (a void lookup)",
            "\"exists:gone2.example.com\": gone2.example.com has no a records, so it never matches (a void lookup)",
            "spf record has 3 void lookups, over the limit of 2",
        ])
        #expect(report.warnings.count == 3)
    }

    @Test func syntaxErrorsAndMissingRecordsAreErrorsWithTheirDomain() async {
        let zone: [String: [ZoneResolver.Entry]] = [
            "example.com": [.txt(["v=spf1 include:broken.example.net include:empty.example.net include:example.org -all"])],
            "broken.example.net": [.txt(["v=spf1 ip4:192.0.2.300 -all"])],
            "empty.example.net": [.txt(["some other text"])],
            "example.org": [.txt(["v=spf1 -all"]), .txt(["v=spf1 +all"])],
        ]
        let report = await Self.analyse("example.com", in: zone)
        #expect(report.status == .permerror)
        #expect(report.lookupCount == 3)
        #expect(report.errors.map(\.description) == [
            "error: broken.example.net: record is invalid: \"ip4:192.0.2.300\": \"192.0.2.300\" is not a valid ipv4 address",
            "error: example.com: \"include:empty.example.net\" points at empty.example.net, which has no spf record; checks give permerror",
            "error: example.org: 2 spf records are published; there must be exactly one",
        ])
    }

    @Test func noRecordLoopsAndUnreachableTerms() async {
        let none = await Self.analyse("example.com", in: ["example.com": [.txt(["v=spf10 nope"])]])
        #expect(none.status == .none)
        #expect(none.problems.map(\.message) == ["no spf record is published"])
        let gone = await Self.analyse("example.com", in: [:])
        #expect(gone.problems.map(\.message) == ["the domain does not exist, so it has no spf record"])
        let invalid = await Self.analyse("localhost", in: [:])
        #expect(invalid.problems.map(\.message) == ["\"localhost\" is not a valid multi-label domain name"])

        let zone: [String: [ZoneResolver.Entry]] = [
            "a.example": [.txt(["v=spf1 include:b.example +all a mx redirect=c.example"])],
            "b.example": [.txt(["v=spf1 include:a.example ptr exists:%{i}.bl.example include:%{d}.spf.example -all"])],
            "b.example.spf.example": [.txt(["v=spf1 ip4:192.0.2.0/24 -all"])],
        ]
        let report = await Self.analyse("a.example", in: zone)
        #expect(report.lookupCount == 5) // include:b; in b: include:a (not followed), ptr, exists, include:%{d}…
        #expect(report.problems.map(\.description) == [
            "error: b.example: \"include:a.example\" leads back to a.example, a loop; checks give permerror",
            "warning: b.example: \"ptr\" is slow and unreliable; rfc 7208 says not to use ptr",
            "warning: a.example: \"+all\" authorises every host on the internet to send for a.example",
            "warning: a.example: 2 terms after \"+all\" are never evaluated",
            "warning: a.example: redirect= is ignored because the record has an all mechanism",
        ])
        #expect(report.children.first?.children.map(\.domain) == ["b.example.spf.example"])
        #expect(report.status == .permerror)
    }

    @Test func redirectIsFollowedWhenThereIsNoAll() async {
        let zone: [String: [ZoneResolver.Entry]] = [
            "example.com": [.txt(["v=spf1 ip4:192.0.2.1 redirect=_spf.example.net"])],
            "_spf.example.net": [.timeout],
        ]
        let report = await Self.analyse("example.com", in: zone)
        #expect(report.lookupCount == 1)
        #expect(report.status == .temperror)
        #expect(report.children.map(\.term) == ["redirect=_spf.example.net"])
        #expect(report.problems.map(\.message) == ["txt lookup for _spf.example.net timed out; try again later"])
    }
}
