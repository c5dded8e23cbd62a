/// `provider: sendgrid`: Twilio SendGrid's v3 API with a key, the sending
/// domain and the account's region (`sendgrid:`). Everything mailform knows
/// of SendGrid is in this folder.
public struct SendGridProvider: APIProvider {
    public init() {}
    public var provider: Provider { .sendgrid }
    public var displayName: String { "SendGrid" }
    public var fields: [APIField] {
        [APIField("api_key", .secret, required: true, sending: true),
         APIField("domain", .text, required: true, sending: true, lowercased: true),
         APIField("region", .word(["global", "eu"]), defaultValue: "global", sending: true)]
    }
    public var rules: [any PolicyRule] { [APISenderDomainRule(provider: .sendgrid, displayName: displayName)] }
    public var probe: any APIProbe { SendGridProbe() }
    public var spfInclude: String { "sendgrid.net" }
}

extension Provider {
    public static let sendgrid = Provider(word: "sendgrid")
}
