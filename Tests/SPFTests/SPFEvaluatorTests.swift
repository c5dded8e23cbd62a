import SPF
import Testing

/// What `SPFResult` reports besides the result code.
struct SPFEvaluatorTests {
    static let zone = ZoneResolver(zone: [
        "example.com": [.txt(["v=spf1 ip4:192.0.2.0/28 include:_spf.example.com -all exp=why.example.com"]), .txt(["unrelated"])],
        "_spf.example.com": [.txt(["v=spf1 a:out.example.com ?all"])],
        "out.example.com": [.a(IPAddress("198.51.100.7")!)],
        "why.example.com": [.txt(["%{i} may not send for %{d} (see https://example.com/spf?s=%{S})"])],
        "example.net": [.txt(["v=spf1 redirect=example.com"])],
        "example.org": [.txt(["v=spf1 mx:slow.example.org -all"])],
        "slow.example.org": [.timeout],
        "quiet.example": [.txt(["v=spf1 ip6:2001:db8::/32"])],
    ])

    static func check(_ ip: String, _ domain: String, sender: String? = nil) async -> SPFResult {
        var evaluator = SPFEvaluator(resolver: zone, defaultExplanation: "not permitted")
        evaluator.clock = { 0 }
        return await evaluator.checkHost(ip: IPAddress(ip)!, domain: domain, sender: sender ?? "user@\(domain)", helo: "mta.example.org")
    }

    @Test func aMatchInsideAnIncludeIsReportedAsTheInclude() async {
        let result = await Self.check("198.51.100.7", "example.com")
        #expect(result == SPFResult(code: .pass, domain: "example.com", mechanism: "include:_spf.example.com",
                                    mechanismDomain: "example.com", lookupCount: 2))
    }

    @Test func failCarriesTheExpandedExplanation() async {
        let result = await Self.check("203.0.113.5", "example.com", sender: "Jo Smith@example.com")
        #expect(result.code == .fail)
        #expect(result.mechanism == "-all")
        #expect(result.explanation == "203.0.113.5 may not send for example.com (see https://example.com/spf?s=Jo%20Smith%40example.com)")
        #expect(result.lookupCount == 2)
        #expect(result.voidLookupCount == 0)
    }

    @Test func redirectNamesTheRecordThatDecided() async {
        let result = await Self.check("192.0.2.3", "example.net")
        #expect(result.code == .pass)
        #expect(result.mechanism == "ip4:192.0.2.0/28")
        #expect(result.mechanismDomain == "example.com")
        #expect(result.lookupCount == 1)
    }

    @Test func errorsAndDefaultsExplainThemselves() async {
        let temp = await Self.check("192.0.2.3", "example.org")
        #expect(temp.code == .temperror)
        #expect(temp.reason == "mx lookup for slow.example.org (\"mx:slow.example.org\" in example.org) timed out")
        let neutral = await Self.check("192.0.2.3", "quiet.example")
        #expect(neutral.code == .neutral)
        #expect(neutral.mechanism == nil)
        #expect(neutral.reason == "no mechanism in the record of quiet.example matched and it has no redirect=")
        let none = await Self.check("192.0.2.3", "nowhere.example")
        #expect(none.code == .none)
        #expect(none.reason == "nowhere.example does not exist")
        let label = await Self.check("192.0.2.3", "localhost")
        #expect(label.reason == "\"localhost\" is not a valid multi-label domain name")
    }

    @Test func emptyMailFromChecksTheHeloName() async {
        let evaluator = SPFEvaluator(resolver: Self.zone)
        let result = await evaluator.checkMailFrom(ip: IPAddress("::ffff:192.0.2.9")!, mailFrom: "", helo: "example.com")
        #expect(result.code == .pass)
        #expect(result.domain == "example.com")
    }
}
