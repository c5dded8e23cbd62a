import Testing
@testable import MailformStore

/// Export names and ids: regressions for two found from outside.
struct ExporterTests {
    /// Pools `relay-a` and `relay_a` once both became `..._POOL_RELAY_A_0_PASSWORD`,
    /// so the export of a store did not plan to no change.
    @Test func poolNamesThatDifferOnlyByDashOrUnderscoreGetDifferentVariables() {
        let dash = Exporter.envName(company: "a", path: "smtp_pools.relay-a.servers[0].password")
        let underscore = Exporter.envName(company: "a", path: "smtp_pools.relay_a.servers[0].password")
        #expect(dash == "MAILFORM_A__POOL_RELAY_A_0_PASSWORD")
        #expect(underscore == "MAILFORM_A__POOL_RELAY__A_0_PASSWORD")
        #expect(Exporter.envName(company: "acme-eu", path: "smtp.password") == "MAILFORM_ACME_EU__SMTP_PASSWORD")
    }

    /// A store company id `../../../../tmp/x` once made export write outside its folder.
    @Test(arguments: ["../../../../tmp/x", "a/b", "ACME", "-a", "", "a b", "a\u{0}", String(repeating: "a", count: 64)])
    func invalidStoreIDsAreRefused(_ id: String) {
        #expect(!Exporter.isValidID(id))
    }

    @Test func validIDsPass() {
        #expect(Exporter.isValidID("acme"))
        #expect(Exporter.isValidID("c000042-eu"))
    }
}
