/// The outcome of `check_host()` (RFC 7208 section 2.6), with what a caller
/// needs to explain it: which term decided, the `exp=` explanation for a
/// `fail`, why an error happened, and how much of the DNS budget was used.
public struct SPFResult: Sendable, Hashable {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The client is authorised to send for the domain.
        case pass
        /// The client is explicitly not authorised.
        case fail
        /// Probably not authorised; the domain owner is not sure.
        case softfail
        /// The domain owner says nothing either way (also when nothing matched).
        case neutral
        /// No SPF record, or no valid domain to look one up for.
        case none
        /// The record is broken or exceeds a processing limit; needs a fix by the owner.
        case permerror
        /// A DNS failure; trying again later may succeed.
        case temperror
    }

    public var code: Code
    /// The domain `check_host()` started from.
    public var domain: String
    /// The term that decided, as written (`-all`, `include:_spf.example.com`,
    /// `ip4:192.0.2.0/24`). Nil when no term matched (the default `neutral`)
    /// and for `none`, `permerror` and `temperror`. An `include` that matched
    /// is reported as the `include`, not as the term inside it.
    public var mechanism: String?
    /// The domain whose record holds `mechanism` (differs from `domain` after `redirect=`).
    public var mechanismDomain: String?
    /// For `fail` only: the expanded `exp=` text, or the evaluator's default
    /// explanation when there is none or it could not be used.
    public var explanation: String?
    /// Why the result is what it is when no term decided: for `none`,
    /// `permerror`, `temperror` and the default `neutral`. Lowercase, stating the fact.
    public var reason: String?
    /// DNS-querying terms evaluated (include, a, mx, ptr, exists, redirect); at most 10 succeed.
    public var lookupCount: Int
    /// Lookups that found no such name or no records; at most 2 succeed.
    public var voidLookupCount: Int

    public init(code: Code, domain: String, mechanism: String? = nil, mechanismDomain: String? = nil,
                explanation: String? = nil, reason: String? = nil, lookupCount: Int = 0, voidLookupCount: Int = 0) {
        self.code = code
        self.domain = domain
        self.mechanism = mechanism
        self.mechanismDomain = mechanismDomain
        self.explanation = explanation
        self.reason = reason
        self.lookupCount = lookupCount
        self.voidLookupCount = voidLookupCount
    }
}
