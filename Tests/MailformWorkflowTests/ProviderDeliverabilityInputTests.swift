import Testing
@testable import MailformCore
@testable import MailformDeliverability
@testable import MailformProbe
@testable import MailformWorkflow

/// The DNS stage judges a company that sends through any HTTP-API provider
/// by that provider's word, domain, SPF include and the records its probe
/// reported, all from the provider's folder.
struct ProviderDeliverabilityInputTests {
    @Test func aProvidersRecordsReachTheDNSStage() {
        let key = ResolvedSecret(reference: SecretReference(kind: .env("MAILFORM_ACME__SENDGRID_API_KEY")), secret: Secret("k"), origin: "/w/companies/acme.yaml")
        let company = Company<ResolvedSecret>(id: "acme", name: nil, sender: Identity(email: "no-reply@acme.test", name: nil), logo: nil,
                                              dsarSender: nil, provider: .sendgrid, smtp: nil,
                                              apis: [APISettings(provider: .sendgrid, values: ["acme.test", "global"], secrets: [key])],
                                              pools: [], probeDisabledReason: nil)
        let reported = [ProviderDNSRecord(recordType: "CNAME", name: "s1._domainkey.acme.test", value: "s1.domainkey.u1.wl.sendgrid.net", valid: false)]
        let inputs = DeliverabilityStage.inputs([company], providerRecords: ["acme": reported], workspace: Workspace(root: "/w"))
        guard case .api(let api)? = inputs.first?.sending else { Issue.record("\(String(describing: inputs.first?.sending))"); return }
        #expect(api.provider == "sendgrid" && api.domain == "acme.test" && api.spfInclude == "sendgrid.net")
        #expect(api.records?.map(\.name) == ["s1._domainkey.acme.test"] && api.records?.first?.valid == false)
        #expect(api.records?.first?.isDKIMKey == true)
    }
}
