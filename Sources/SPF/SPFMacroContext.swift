/// The values macros expand to for one check (RFC 7208 section 7.2).
///
/// `validatedName` (`%{p}`) needs DNS queries, so the evaluator fills it in only
/// when a macro-string actually uses it; expansion itself never touches DNS.
public struct SPFMacroContext: Sendable, Hashable {
    /// `%{s}`: the sender, `local-part@domain`.
    public var sender: String
    /// `%{l}`: the sender's local-part (`postmaster` when it had none).
    public var localPart: String
    /// `%{o}`: the sender's domain.
    public var senderDomain: String
    /// `%{d}`: the domain whose record is being evaluated.
    public var domain: String
    /// `%{i}`, `%{c}`, `%{v}`: the client address.
    public var ip: IPAddress
    /// `%{h}`: the HELO/EHLO name.
    public var helo: String
    /// `%{p}`: the validated name of `ip`; nil expands to `unknown`.
    public var validatedName: String?
    /// `%{r}`: the receiving host's domain.
    public var receiver: String
    /// `%{t}`: seconds since the epoch.
    public var timestamp: Int

    public init(sender: String, localPart: String, senderDomain: String, domain: String, ip: IPAddress,
                helo: String, validatedName: String? = nil, receiver: String = "unknown", timestamp: Int = 0) {
        self.sender = sender
        self.localPart = localPart
        self.senderDomain = senderDomain
        self.domain = domain
        self.ip = ip
        self.helo = helo
        self.validatedName = validatedName
        self.receiver = receiver
        self.timestamp = timestamp
    }
}
