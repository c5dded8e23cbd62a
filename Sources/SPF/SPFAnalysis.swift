/// Per-analysis state: a query cache (records are often included twice) and
/// the running lookup count that bounds how far includes are followed.
/// Used within one task only, like `SPFEvaluation`.
final class SPFAnalysis {
    let rootDomain: String
    let followLimit: Int
    var lookups = 0
    var nonexistent: Set<String> = []
    private var txtCache: [String: SPFDNSAnswer<SPFTXTRecord>] = [:]
    private var aCache: [String: SPFDNSAnswer<IPAddress>] = [:]
    private var aaaaCache: [String: SPFDNSAnswer<IPAddress>] = [:]
    private var mxCache: [String: SPFDNSAnswer<SPFMXRecord>] = [:]

    init(rootDomain: String, followLimit: Int) {
        self.rootDomain = rootDomain
        self.followLimit = followLimit
    }

    func txt(_ name: String, resolver: any SPFResolver) async -> SPFDNSAnswer<SPFTXTRecord> {
        if let cached = txtCache[name.lowercased()] { return cached }
        let answer = await resolver.txt(name)
        txtCache[name.lowercased()] = answer
        return answer
    }

    func a(_ name: String, resolver: any SPFResolver) async -> SPFDNSAnswer<IPAddress> {
        if let cached = aCache[name.lowercased()] { return cached }
        let answer = await resolver.a(name)
        aCache[name.lowercased()] = answer
        return answer
    }

    func aaaa(_ name: String, resolver: any SPFResolver) async -> SPFDNSAnswer<IPAddress> {
        if let cached = aaaaCache[name.lowercased()] { return cached }
        let answer = await resolver.aaaa(name)
        aaaaCache[name.lowercased()] = answer
        return answer
    }

    func mx(_ name: String, resolver: any SPFResolver) async -> SPFDNSAnswer<SPFMXRecord> {
        if let cached = mxCache[name.lowercased()] { return cached }
        let answer = await resolver.mx(name)
        mxCache[name.lowercased()] = answer
        return answer
    }
}
