/// The domain-name rules SPF applies, in one place.
///
/// SPF has three sets of them: the grammar's `domain-end` (checked on the
/// unexpanded text when a record is parsed), the RFC 1035 limits a name must
/// meet before it can be queried (checked after macro expansion), and the
/// stricter "multi-label" rule for the domain `check_host()` starts from.
enum DomainName {
    /// Drops one trailing dot: `example.com.` and `example.com` are the same
    /// name (RFC 7208 section 7.3 says a trailing dot is ignored for domains).
    static func withoutTrailingDot(_ name: String) -> String {
        name.hasSuffix(".") ? String(name.dropLast()) : name
    }

    /// Whether every label is 1–63 bytes and the name at most 253 bytes — the
    /// limits a DNS query name has. Expanded names that fail this cannot be
    /// asked about, so a mechanism treats them as matching nothing.
    static func isQueryable(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { (1...63).contains($0.utf8.count) }
    }

    /// RFC 7208 section 4.3: the starting domain must be well formed and have
    /// at least two labels, or the result is `none`. A bracketed address
    /// literal (`[192.0.2.1]`) is not a domain at all.
    static func isValidStartingDomain(_ name: String) -> Bool {
        guard !name.hasPrefix("["), isQueryable(name) else { return false }
        return name.contains(".")
    }

    /// Turns an expanded domain-spec into the name to query (RFC 7208 section
    /// 7.3): the trailing dot goes, and a name longer than 253 bytes loses
    /// labels from the left until it fits. Returns nil when no valid query name
    /// remains (an empty or over-long label).
    static func queryName(fromExpanded expanded: String) -> String? {
        var name = withoutTrailingDot(expanded)
        while name.utf8.count > 253, let dot = name.firstIndex(of: ".") {
            name = String(name[name.index(after: dot)...])
        }
        return isQueryable(name) ? name : nil
    }

    /// Whether `name` is `suffix` or a subdomain of it, ignoring case and
    /// trailing dots (the `ptr` mechanism's test).
    static func isSubdomain(_ name: String, of suffix: String) -> Bool {
        let name = withoutTrailingDot(name).lowercased()
        let suffix = withoutTrailingDot(suffix).lowercased()
        return name == suffix || name.hasSuffix("." + suffix)
    }

    /// Checks the grammar's `domain-end` on a parsed domain-spec: it must end in
    /// a macro, or in `.` toplabel with an optional trailing dot, where a
    /// toplabel is letters, digits and inner hyphens and is not all digits
    /// (RFC 7208 section 7.1). This is what rejects `a:foo-bar`,
    /// `a:111.222.33.44` (an address where `ip4:` was meant) and `a:example.com:8080`.
    static func validateDomainEnd(_ spec: SPFMacroString) throws(SPFSyntaxError) {
        guard let last = spec.tokens.last else {
            throw SPFSyntaxError("domain is empty")
        }
        guard case .literal(let text) = last else { return }
        let trimmed = withoutTrailingDot(text)
        guard let dot = trimmed.lastIndex(of: ".") else {
            throw SPFSyntaxError("domain \"\(spec.text)\" has no dot before its last label; a domain must end in \".\" and a top-level label, or in a macro")
        }
        let top = trimmed[trimmed.index(after: dot)...]
        guard isValidTopLabel(top) else {
            throw SPFSyntaxError("domain \"\(spec.text)\" ends in \"\(top)\", which is not a valid top-level label (letters, digits and inner hyphens, not all digits)")
        }
    }

    /// `toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )`
    static func isValidTopLabel(_ label: Substring) -> Bool {
        guard let first = label.first, let last = label.last, first != "-", last != "-" else { return false }
        guard label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else { return false }
        return label.contains(where: { $0.isLetter || $0 == "-" })
    }
}
