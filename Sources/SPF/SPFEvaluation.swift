/// The mutable state of one `check_host()` run, shared by every nested
/// `include` and `redirect`: RFC 7208's lookup limits apply to the whole
/// evaluation, not to each record.
///
/// It lives inside one task for the duration of one check and never crosses
/// an isolation boundary, so it needs no locking and is not `Sendable`.
final class SPFEvaluation {
    let ip: IPAddress
    let sender: String
    let localPart: String
    let senderDomain: String
    let helo: String
    let receiver: String
    let timestamp: Int
    let lookupLimit: Int
    let voidLookupLimit: Int

    private(set) var lookups = 0
    private(set) var voidLookups = 0
    /// `%{p}` per `<domain>`: the preferred name depends on the domain.
    var validatedNames: [String: String] = [:]

    init(ip: IPAddress, sender: String, localPart: String, senderDomain: String, helo: String,
         receiver: String, timestamp: Int, lookupLimit: Int, voidLookupLimit: Int) {
        self.ip = ip
        self.sender = sender
        self.localPart = localPart
        self.senderDomain = senderDomain
        self.helo = helo
        self.receiver = receiver
        self.timestamp = timestamp
        self.lookupLimit = lookupLimit
        self.voidLookupLimit = voidLookupLimit
    }

    /// Called before a DNS-querying term (include, a, mx, ptr, exists,
    /// redirect) is evaluated; the term over the limit makes the check a
    /// `permerror` (RFC 7208 section 4.6.4). Counting at evaluation time
    /// means terms never reached — after a match — cost nothing.
    func countLookup(_ term: String, in domain: String) throws(SPFAbort) {
        lookups += 1
        if lookups > lookupLimit {
            throw .permerror("evaluation needs more than \(lookupLimit) dns lookups; the limit was passed at \"\(term)\" in \(domain)")
        }
    }

    /// Called when a term's query finds no such name or no records; the third
    /// such lookup makes the check a `permerror` (RFC 7208 section 4.6.4).
    func countVoidLookup(_ term: String, in domain: String) throws(SPFAbort) {
        voidLookups += 1
        if voidLookups > voidLookupLimit {
            throw .permerror("evaluation has more than \(voidLookupLimit) void lookups (names with no records); the limit was passed at \"\(term)\" in \(domain)")
        }
    }

    /// The macro values with `<domain>` set to the record being evaluated.
    func macroContext(domain: String, validatedName: String?) -> SPFMacroContext {
        SPFMacroContext(sender: sender, localPart: localPart, senderDomain: senderDomain, domain: domain, ip: ip,
                        helo: helo, validatedName: validatedName, receiver: receiver, timestamp: timestamp)
    }
}

/// Ends an evaluation early with `permerror` or `temperror` and the reason.
enum SPFAbort: Error {
    case permerror(String)
    case temperror(String)
}
