/// `provider: mailgun`: Mailgun's API with a domain, a key and a region
/// (`mailgun:`). Everything mailform knows of Mailgun is in this folder.
public struct MailgunProvider: APIProvider {
    public init() {}
    public var provider: Provider { .mailgun }
    public var displayName: String { "Mailgun" }
    public var fields: [APIField] {
        [APIField("domain", .text, required: true, sending: true, lowercased: true),
         // The records the DNS stage compares come from the API with the key.
         APIField("api_key", .secret, required: true, sending: true),
         APIField("region", .word(["us", "eu"]), defaultValue: "us", sending: true)]
    }
    public var rules: [any PolicyRule] { [APISenderDomainRule(provider: .mailgun, displayName: displayName)] }
    public var probe: any APIProbe { MailgunProbe() }
    public var spfInclude: String { "mailgun.org" }
}

extension Provider {
    public static let mailgun = Provider(word: "mailgun")
}
