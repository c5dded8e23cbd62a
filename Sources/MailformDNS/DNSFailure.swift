/// Why a DNS query produced no usable answer.
///
/// Issue 13: a DNS failure is a classified result, never a crash and never a
/// silent pass. The cases are the ones a report must tell apart: a timeout
/// (the server may be fine, the network is not), SERVFAIL (the domain's own
/// servers are broken or DNSSEC validation failed), REFUSED (the server will
/// not answer for this name — usually a wrong `--dns-server`), and everything
/// else with c-ares's words for it.
public enum DNSFailure: Sendable, Hashable, CustomStringConvertible {
    /// No answer within the per-query timeout (all tries).
    case timeout
    /// RCODE 2, SERVFAIL.
    case servfail
    /// RCODE 5, REFUSED.
    case refused
    /// Anything else: FORMERR, NOTIMP, a malformed or truncated answer, a
    /// refused connection, a name that cannot be queried, the client shutting down.
    case other(String)

    public var description: String {
        switch self {
        case .timeout: return "timeout"
        case .servfail: return "SERVFAIL"
        case .refused: return "REFUSED"
        case .other(let text): return text
        }
    }
}
