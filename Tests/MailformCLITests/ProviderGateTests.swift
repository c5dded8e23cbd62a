import Foundation
import Testing

/// The store trusts a provider key with the region it holds it for: a
/// probe without --send-credentials never sends it to the other region,
/// even when the first one says "not found" (issue 23's hostile review).
struct ProviderGateTests {
    @Test func aMailgunKeyStaysInItsStoredRegion() throws {
        let servers = try TestServers.get()
        let ws = try ExampleWorkspace(copying: []).usingStoreKey()
        try ws.write("mailform.yaml", "mode: on-premise\nsecrets:\n  shared: [\"${file:secrets/mailgun.txt}\"]\nprobe:\n  timeout: 2s\n")
        try ws.write("secrets/mailgun.txt", servers.mailgun.key + "\n")
        try ws.write("companies/gated.yaml", ProbeTests.mailgunCompany("gated", domain: "mg.eu.example.test", region: "us"))
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"], environment: servers.environment).exitCode == 0)
        let before = servers.mailgunRequests.filter { $0.contains("mg.eu.example.test") }
        let gated = try ws.run(["probe", "--no-dns", "companies"], environment: servers.environment)
        let asked = servers.mailgunRequests.filter { $0.contains("mg.eu.example.test") }.dropFirst(before.count)
        #expect(gated.exitCode == 3 && gated.stdout.contains("in the US region") && gated.stdout.contains("--send-credentials asks it"), "\(gated.stdout)")
        #expect(asked.count == 1 && asked.allSatisfy { $0.hasPrefix("us ") }, "the key went to another region: \(Array(asked))")
        // Trusted by the operator, the other region is asked and named.
        let trusted = try ws.run(["probe", "--no-dns", "--send-credentials", "companies"], environment: servers.environment)
        #expect(trusted.stdout.contains("exists only in the EU region"), "\(trusted.stdout)")
    }
}
