/// Whether one half of DMARC (aligned SPF, or an aligned DKIM signature) can
/// pass for the way a company sends. `unknown` keeps a DNS failure or a
/// missing setting from turning into a "mail will be rejected" claim.
enum DMARCAuthentication: Sendable, Hashable {
    case passes
    /// Lowercase reason, used in the `dmarc-reject-misaligned` message.
    case fails(String)
    case unknown
}
