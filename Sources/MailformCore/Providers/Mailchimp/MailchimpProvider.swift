/// `provider: mailchimp`: Mailchimp Transactional (formerly Mandrill), with
/// an API key and the sending domain (`mailchimp:`). Everything mailform
/// knows of it is in this folder.
public struct MailchimpProvider: APIProvider {
    public init() {}
    public var provider: Provider { .mailchimp }
    public var displayName: String { "Mailchimp Transactional" }
    public var fields: [APIField] {
        [APIField("api_key", .secret, required: true, sending: true),
         APIField("domain", .text, required: true, sending: true, lowercased: true)]
    }
    public var rules: [any PolicyRule] { [APISenderDomainRule(provider: .mailchimp, displayName: displayName)] }
    public var probe: any APIProbe { MailchimpProbe() }
    /// Mandrill's SPF include (its sending domains' records name it).
    public var spfInclude: String { "spf.mandrillapp.com" }
}

extension Provider {
    public static let mailchimp = Provider(word: "mailchimp")
}
